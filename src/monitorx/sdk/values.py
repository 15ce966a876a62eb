"""Coerce what callers hand us into the JSON types the wire contract accepts.

Everything here runs on the sender thread, never on the caller's: the hot path stores
references and this module turns them into plain, bounded, finite JSON values later.
Nothing here raises on odd input; a value that cannot be represented becomes ``None``
(or is left out), so one strange feature never costs a whole batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

JsonScalar = None | bool | int | float | str

MAX_TEXT = 1000  # a feature or prediction string longer than this is cut: it is a label, not a document
MAX_NAME = 200  # features, versions, error types, prediction ids (docs/api.md)
MAX_TAG_KEY = 100
MAX_TAG_VALUE = 200
_CONTAINERS = (list, tuple, set, frozenset, dict, bytes, bytearray, memoryview)


def scalar(value: object) -> JsonScalar:
    """A number, string, bool or None; NaN and infinities become None, numpy scalars their Python value."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT]
    if isinstance(value, int):
        return int(value)  # an IntEnum or other int subclass serialises as its number
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (*_CONTAINERS, Mapping)):
        return None
    item = getattr(value, "item", None)
    if callable(item):  # numpy / torch scalars and one-element arrays
        try:
            inner = item()
        except Exception:
            return None
        return None if inner is value else scalar(inner)
    text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT]


def key(value: object, limit: int = MAX_NAME) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit]


def _plain_features(mapping: dict[object, object]) -> bool:
    """True when every key and value already is what the wire wants (the common case)."""
    for name, value in mapping.items():
        if type(name) is not str or len(name) > MAX_NAME:
            return False
        kind = type(value)
        if kind is float:
            if not math.isfinite(value):  # type: ignore[arg-type]
                return False
        elif kind is str:
            if len(value) > MAX_TEXT:  # type: ignore[arg-type]
                return False
        elif kind is not int and kind is not bool and value is not None:
            return False
    return True


def _plain_tags(mapping: dict[object, object]) -> bool:
    for name, value in mapping.items():
        if type(name) is not str or type(value) is not str:
            return False
        if len(name) > MAX_TAG_KEY or len(value) > MAX_TAG_VALUE:
            return False
    return True


def features(value: object) -> dict[str, JsonScalar] | None:
    """A mapping of feature name to scalar, from a dict or anything with ``to_dict()`` (a pandas row)."""
    if type(value) is dict:
        snapshot = dict(value)  # one C-level copy: the caller may reuse or mutate its dict later
        if _plain_features(snapshot):
            return snapshot
    if not isinstance(value, Mapping):
        to_dict = getattr(value, "to_dict", None)
        if not callable(to_dict):
            return None
        try:
            value = to_dict()
        except Exception:
            return None
        if not isinstance(value, Mapping):
            return None
    return {key(k): scalar(v) for k, v in value.items()}


def prediction(value: object) -> JsonScalar | dict[str, JsonScalar]:
    """A scalar, or an object of scalars (class scores); ``[a, b]`` becomes ``{"0": a, "1": b}``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return scalar(value)
    if isinstance(value, Mapping):
        return {key(k): scalar(v) for k, v in value.items()}
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, (list, tuple)):
        try:
            value = tolist()
        except Exception:
            return None
        if not isinstance(value, (list, tuple)):
            return scalar(value)
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return scalar(value[0])
        return {str(i): scalar(v) for i, v in enumerate(value)}
    return scalar(value)


def tags(value: object) -> dict[str, str] | None:
    if type(value) is dict:
        snapshot = dict(value)
        if _plain_tags(snapshot):
            return snapshot
    if not isinstance(value, Mapping):
        return None
    return {key(k, MAX_TAG_KEY): key(v, MAX_TAG_VALUE) for k, v in value.items() if v is not None}


def non_negative(value: object) -> float | None:
    """A finite number >= 0, else None (a negative latency is a clock bug, not a measurement)."""
    if type(value) is float:
        return value if 0.0 <= value < math.inf else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = scalar(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
    number = float(value)
    return number if math.isfinite(number) and number >= 0.0 else None


def count(value: object) -> int | None:
    """A whole number >= 0 (token counts); 812.0 becomes 812, 812.5 becomes None."""
    number = non_negative(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def timestamp(value: object) -> float | str | None:
    """Epoch seconds, or an RFC 3339 string passed through; a datetime becomes epoch seconds."""
    if type(value) is float:
        return value if 0.0 <= value < math.inf else None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        return value
    return non_negative(value)


def text_or_none(value: object, limit: int = MAX_NAME) -> str | None:
    return None if value is None else key(value, limit)
