"""Warnings through ``logging`` (logger ``"monitorx"``), at most one per kind per interval.

A dead server produces the same failure thousands of times; the model service's log
should get one line a minute saying so, with how many were suppressed, not thousands.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger("monitorx")


class RateLimitedLog:
    def __init__(
        self,
        interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger = logger,
    ) -> None:
        self._interval_s = interval_s
        self._clock = clock
        self._log = log
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}
        self._lock = threading.Lock()

    def warning(self, key: str, message: str, *args: object) -> None:
        self._emit(logging.WARNING, key, message, args)

    def error(self, key: str, message: str, *args: object) -> None:
        self._emit(logging.ERROR, key, message, args)

    def info(self, key: str, message: str, *args: object) -> None:
        self._emit(logging.INFO, key, message, args)

    def _emit(self, level: int, key: str, message: str, args: tuple[object, ...]) -> None:
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self._interval_s:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            self._last[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            message += " (%d similar messages suppressed)"
            args = (*args, suppressed)
        self._log.log(level, message, *args)
