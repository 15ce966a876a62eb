"""Label matchers, as Alertmanager's: ``name = value``, ``!=``, ``=~`` (regex), ``!~``; all must match."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from monitorx.errors import InvalidInput

OPS = ("=", "!=", "=~", "!~")
_MAX_PATTERN = 200


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def check_regex(pattern: str, loc: list[Any]) -> None:
    if len(pattern) > _MAX_PATTERN:
        raise InvalidInput(
            f"{'.'.join(map(str, loc))}: a regex may have at most {_MAX_PATTERN} characters",
            [{"loc": loc, "msg": "regex too long", "type": "value_error"}],
        )
    try:
        _compile(pattern)
    except re.error as exc:
        raise InvalidInput(
            f"{'.'.join(map(str, loc))}: not a valid regular expression: {exc}",
            [{"loc": loc, "msg": f"invalid regex: {exc}", "type": "value_error"}],
        ) from None


def matches_one(matcher: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    # A missing label matches as the empty string, as in Alertmanager.
    value = labels.get(matcher["name"], "")
    op = matcher["op"]
    if op == "=":
        return value == matcher["value"]
    if op == "!=":
        return value != matcher["value"]
    hit = _compile(matcher["value"]).fullmatch(value) is not None  # anchored, as Alertmanager's
    return hit if op == "=~" else not hit


def matches_all(matchers: Sequence[Mapping[str, str]], labels: Mapping[str, str]) -> bool:
    return all(matches_one(m, labels) for m in matchers)
