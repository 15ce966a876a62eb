"""The shape of a record on the queue: a flat tuple, because building a tuple is the
cheapest thing the caller's thread can do (no dict, no object, no validation).

An event record has ``EVENT_FIELDS`` slots in this order::

    kind, timestamp, model, version, environment, latency_ms, error, error_type,
    prediction_id, features, prediction, tags,
    input_tokens, output_tokens, ttft_ms, cost_usd, provider, llm_model

``kind`` is ``SINGLE`` for one inference, or ``ROWS`` for a batch call of a
scikit-learn style model: then ``features`` holds the input rows, ``prediction`` the
output rows and the ``input_tokens`` slot a :class:`RowsInfo`; the sender expands it to one
event per row. ``prediction_id`` is an ``int`` the SDK generated (sent as 16 hex digits),
a caller's ``str``, or ``None``. Slots hold the caller's own objects, by reference: the
sender thread turns them into JSON values (see ``values.py``).

An actual record is ``(prediction_id, actual, timestamp)``. A resource record is the
finished sample dict (the collector runs on its own thread, never on the caller's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Record = tuple[Any, ...]

SINGLE = 0
ROWS = 1

EVENT_FIELDS = 18
(
    KIND,
    TIMESTAMP,
    MODEL,
    VERSION,
    ENVIRONMENT,
    LATENCY_MS,
    ERROR,
    ERROR_TYPE,
    PREDICTION_ID,
    FEATURES,
    PREDICTION,
    TAGS,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    TTFT_MS,
    COST_USD,
    PROVIDER,
    LLM_MODEL,
) = range(EVENT_FIELDS)


@dataclass(frozen=True)
class RowsInfo:
    """What the sender needs to split a batch call into per-row events.

    ``source`` is the wrapped model: the sender reads its ``feature_names_in_`` and
    ``classes_``, so the caller's thread does not.
    """

    source: object
    proba: bool
    max_rows: int


def prediction_id_text(value: object) -> str | None:
    """The wire form of a prediction id: generated ids are 16 hex digits."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:016x}"
    return str(value)
