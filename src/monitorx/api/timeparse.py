"""Query-string times: RFC 3339 or epoch seconds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from monitorx.errors import InvalidInput


def parse_time(value: str | None, name: str, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        ts = float(value)
    except ValueError:
        try:
            dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"{name} must be RFC 3339 (2026-11-23T07:00:00Z) or epoch seconds, not '{value}'",
                [{"loc": ["query", name], "msg": "not a time", "type": "value_error"}],
            ) from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        ts = dt.timestamp()
    if not math.isfinite(ts) or not 0 <= ts < 1e11:
        raise InvalidInput(
            f"{name} is out of range",
            [{"loc": ["query", name], "msg": "out of range", "type": "value_error"}],
        )
    return ts
