"""Turn queued records into the JSON objects of ``POST /api/v1/events`` and ``/actuals``.

Runs on the sender thread. Optional fields that are null are left out (the server's
default is null), which keeps batches small. A record the server would refuse as a
whole (an empty or over-long model, version, environment or prediction id) is reported by
:class:`InvalidRecord` so the caller can drop that record alone: one bad event must not
cost its 999 neighbours in the same batch (the server rejects a batch as a unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from monitorx.sdk import values
from monitorx.sdk.records import ROWS, Record, RowsInfo, prediction_id_text

Event = dict[str, Any]
_INF = float("inf")


class InvalidRecord(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _name(value: object, field: str, limit: int, *, required: bool = True) -> str:
    if type(value) is str and 0 < len(value) <= limit:
        return value
    if not isinstance(value, str):
        raise InvalidRecord(field, f"must be a string, got {type(value).__name__}")
    if required and not value:
        raise InvalidRecord(field, "must not be empty")
    if len(value) > limit:
        raise InvalidRecord(field, f"longer than {limit} characters")
    return value


class EventBuilder:
    """Builds event dicts, and remembers which (model, version) pairs it has seen."""

    def __init__(self, environment: str) -> None:
        self.environment = environment
        self.seen_models: dict[tuple[str, str], None] = {}
        self._last_served: tuple[object, object] | None = None

    def build(self, record: Record, out: list[Event]) -> int:
        """Append the record's event(s) to ``out``; return how many. Raises :class:`InvalidRecord`."""
        (
            kind, ts, model, version, environment, latency_ms, error, error_type, prediction_id,
            features, prediction, tags, input_tokens, output_tokens, ttft_ms, cost_usd, provider,
            llm_model,
        ) = record  # fmt: skip
        event: Event = {"model": _name(model, "model", values.MAX_NAME)}
        if version is not None:
            event["version"] = _name(version, "version", values.MAX_NAME)
        event["environment"] = self.environment if environment is None else _name(environment, "environment", 100)
        served = (model, "default" if version is None else version)
        if served != self._last_served:  # a dict write per event adds up; most runs are one model
            self.seen_models[served] = None
            self._last_served = served
        # Fast paths inline (a float that is already fine): this loop runs once per event.
        if type(ts) is float and 0.0 <= ts < _INF:
            event["timestamp"] = ts
        else:
            stamp = values.timestamp(ts)
            if stamp is not None:
                event["timestamp"] = stamp
        if type(latency_ms) is float and 0.0 <= latency_ms < _INF:
            event["latency_ms"] = latency_ms
        elif latency_ms is not None:
            latency = values.non_negative(latency_ms)
            if latency is not None:
                event["latency_ms"] = latency
        if error is False and error_type is None:
            event["error"] = False
        else:
            failed, kind_of_error = _error_fields(error, error_type)
            event["error"] = failed
            if kind_of_error is not None:
                event["error_type"] = kind_of_error
        pid = None if prediction_id is None else prediction_id_text(prediction_id)
        if pid is not None:
            _name(pid, "prediction_id", values.MAX_NAME)
        if tags:
            tag_map = values.tags(tags)
            if tag_map:
                event["tags"] = tag_map
        if kind == ROWS:
            return _expand_rows(event, pid, features, prediction, input_tokens, out)
        if pid is not None:
            event["prediction_id"] = pid
        if features is not None:
            feature_map = values.features(features)
            if feature_map:
                event["features"] = feature_map
        if prediction is not None:
            event["prediction"] = values.prediction(prediction)
        if not (input_tokens is None and output_tokens is None and ttft_ms is None and cost_usd is None
                and provider is None and llm_model is None):  # fmt: skip
            _llm_fields(event, input_tokens, output_tokens, ttft_ms, cost_usd, provider, llm_model)
        out.append(event)
        return 1


def _error_fields(error: object, error_type: object) -> tuple[bool, str | None]:
    if isinstance(error, BaseException):
        name = type(error).__name__ if error_type is None else error_type
        return True, values.text_or_none(name)
    if isinstance(error, str):
        return True, values.text_or_none(error if error_type is None else error_type)
    failed = bool(error) or error_type is not None
    return failed, values.text_or_none(error_type)


def _llm_fields(
    event: Event,
    input_tokens: object,
    output_tokens: object,
    ttft_ms: object,
    cost_usd: object,
    provider: object,
    llm_model: object,
) -> None:
    for name, number in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if number is not None:
            tokens = values.count(number)
            if tokens is not None:
                event[name] = tokens
    for name, number in (("ttft_ms", ttft_ms), ("cost_usd", cost_usd)):
        if number is not None:
            amount = values.non_negative(number)
            if amount is not None:
                event[name] = amount
    for name, text in (("provider", provider), ("llm_model", llm_model)):
        if text is not None:
            event[name] = values.key(text)


def _expand_rows(base: Event, pid: str | None, inputs: object, outputs: object, info: object, out: list[Event]) -> int:
    """One event per row of a scikit-learn style batch call (see ``wrapping.py``)."""
    if not isinstance(info, RowsInfo):
        raise InvalidRecord("rows", "missing row description")
    made = 0
    for index, (row_features, row_prediction) in enumerate(_rows(inputs, outputs, info)):
        event = dict(base)
        if pid is not None:
            event["prediction_id"] = f"{pid}-{index}"
        if row_features:
            event["features"] = row_features
        if row_prediction is not None:
            event["prediction"] = row_prediction
        out.append(event)
        made += 1
    return made


def _rows(
    inputs: object, outputs: object, info: RowsInfo
) -> Iterator[tuple[dict[str, values.JsonScalar] | None, object]]:
    input_rows = _as_rows(inputs, records=True)
    output_rows = _as_rows(outputs, records=False)
    if output_rows is None:
        output_rows = []
    if input_rows is None:
        input_rows = [None] * len(output_rows)
    names = _names(getattr(info.source, "feature_names_in_", None))
    classes = _names(getattr(info.source, "classes_", None)) if info.proba else None
    for index, (row, result) in enumerate(zip(input_rows, output_rows, strict=False)):
        if index >= info.max_rows:
            break
        yield _row_features(row, names), _row_prediction(result, classes)


def _names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    listed = _as_rows(value, records=False)
    return None if listed is None else tuple(values.key(name) for name in listed)


def _as_rows(value: object, *, records: bool) -> list[Any] | None:
    if value is None:
        return None
    if records and hasattr(value, "columns"):  # a pandas DataFrame: rows as dicts, with its column names
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            try:
                rows = to_dict("records")
                return list(rows) if isinstance(rows, list) else None
            except Exception:
                return None
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            listed = tolist()
        except Exception:
            return None
        return listed if isinstance(listed, list) else [listed]
    if isinstance(value, Iterable):
        return list(value)
    return None


def _row_features(row: object, names: tuple[str, ...] | None) -> dict[str, values.JsonScalar] | None:
    if row is None:
        return None
    if isinstance(row, Mapping):
        return values.features(row)
    if isinstance(row, (list, tuple)):
        if names is not None and len(names) == len(row):
            return {values.key(name): values.scalar(v) for name, v in zip(names, row, strict=True)}
        return {f"f{i}": values.scalar(v) for i, v in enumerate(row)}
    return {"f0": values.scalar(row)}


def _row_prediction(result: object, classes: tuple[str, ...] | None) -> object:
    if classes is not None and isinstance(result, (list, tuple)) and len(classes) == len(result):
        return {c: values.scalar(p) for c, p in zip(classes, result, strict=True)}
    return values.prediction(result)


def build_actual(record: Record) -> Event:
    prediction_id, actual, ts = record
    pid = prediction_id_text(prediction_id)
    if pid is None:
        raise InvalidRecord("prediction_id", "is required")
    event: Event = {"prediction_id": _name(pid, "prediction_id", values.MAX_NAME)}
    event["actual"] = values.prediction(actual)
    stamp = values.timestamp(ts)
    if stamp is not None:
        event["timestamp"] = stamp
    return event
