"""``monitorx.wrap(model_obj, ...)``: monitor any object with ``predict``/``predict_proba``.

The wrapper forwards every attribute to the wrapped object; only the prediction methods
it actually has are timed. One batch call is recorded as one queued record, whatever its
size: the sender thread later splits it into one event per row (features from the input
row, named by ``feature_names_in_`` or the DataFrame's columns; prediction from the output
row, class scores named by ``classes_``), each with the call's latency and a prediction id
``<last_prediction_id()>-<row>``. Arrays are kept by reference until then: do not write
into them after the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import perf_counter, time
from typing import Any, Generic, TypeVar

from monitorx.sdk.recording import HOT, LAST_ID, serve
from monitorx.sdk.records import ROWS, SINGLE, RowsInfo

M = TypeVar("M")
MONITORED_METHODS = {"predict": False, "predict_proba": True}  # method -> returns class scores


class MonitoredModel(Generic[M]):
    def __init__(
        self,
        inner: M,
        model: str,
        version: str | None = None,
        *,
        environment: str | None = None,
        tags: Mapping[str, str] | None = None,
        max_rows: int = 10_000,
    ) -> None:
        serve(model, version)
        self.__dict__["_monitorx"] = (inner, model, version, environment, tags, max_rows)

    @property
    def wrapped(self) -> M:
        inner: M = self.__dict__["_monitorx"][0]
        return inner

    def __getattr__(self, name: str) -> Any:
        inner, model, version, environment, tags, max_rows = self.__dict__["_monitorx"]
        attribute = getattr(inner, name)
        if name not in MONITORED_METHODS or not callable(attribute):
            return attribute
        info = RowsInfo(source=inner, proba=MONITORED_METHODS[name], max_rows=max_rows)
        timed = _timed(attribute, model, version, environment, tags, info)
        self.__dict__[name] = timed  # later lookups find it without __getattr__
        return timed

    def __setattr__(self, name: str, value: object) -> None:
        setattr(self.wrapped, name, value)

    def __repr__(self) -> str:
        return f"monitorx.wrap({self.wrapped!r})"


def _timed(
    method: Callable[..., Any],
    model: str,
    version: str | None,
    environment: str | None,
    tags: Mapping[str, str] | None,
    info: RowsInfo,
) -> Callable[..., Any]:
    def call(X: Any, *args: Any, **kwargs: Any) -> Any:
        channel = HOT.events
        if channel is None:
            return method(X, *args, **kwargs)
        start_wall = time()
        start = perf_counter()
        try:
            result = method(X, *args, **kwargs)
        except Exception as exc:
            latency_ms = (perf_counter() - start) * 1000.0
            try:
                channel.append(
                    (SINGLE, start_wall, model, version, environment, latency_ms, True,
                     exc.__class__.__name__, None, None, None, tags, None, None, None, None, None, None)
                )  # fmt: skip
                channel.tick()
            except Exception:  # noqa: S110 - recording must never fail the caller's call
                pass
            raise
        latency_ms = (perf_counter() - start) * 1000.0
        try:
            prediction_id = HOT.next_id()
            channel.append(
                (ROWS, start_wall, model, version, environment, latency_ms, False, None, prediction_id,
                 X, result, tags, info, None, None, None, None, None)
            )  # fmt: skip
            channel.tick()
            LAST_ID.set(prediction_id)
        except Exception:  # noqa: S110 - recording must never fail the caller's call
            pass
        return result

    call.__name__ = getattr(method, "__name__", "predict")
    call.__doc__ = getattr(method, "__doc__", None)
    return call


def wrap(
    model_obj: M,
    model: str,
    version: str | None = None,
    *,
    environment: str | None = None,
    tags: Mapping[str, str] | None = None,
    max_rows: int = 10_000,
) -> MonitoredModel[M]:
    """Monitor ``model_obj.predict`` / ``predict_proba`` calls as inferences of ``model``.

    >>> clf = monitorx.wrap(clf, model="churn", version="7")
    >>> clf.predict(X)  # same result as before; one event per row is sent in the background
    """
    return MonitoredModel(model_obj, model, version, environment=environment, tags=tags, max_rows=max_rows)
