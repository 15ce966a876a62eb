"""How long to wait before retrying: exponential backoff with full jitter, and ``Retry-After``.

Full jitter (a uniform draw in ``[0, min(cap, base * 2**(attempt-1))]``) spreads the
retries of many clients that failed together, so a recovering server is not hit by a
synchronised wave (see "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

MAX_RETRY_AFTER_S = 600.0  # a server asking for more than this is misconfigured; come back sooner


class Backoff:
    def __init__(self, base_s: float = 0.5, cap_s: float = 30.0, rng: random.Random | None = None) -> None:
        if base_s < 0 or cap_s < 0:
            raise ValueError("backoff base_s and cap_s must be >= 0")
        self.base_s = base_s
        self.cap_s = cap_s
        self._rng = rng if rng is not None else random.Random()

    def ceiling(self, attempt: int) -> float:
        """The largest delay the ``attempt``-th retry (1-based) may wait."""
        exponent = min(max(attempt, 1) - 1, 60)  # 2**60 * base is past any cap; avoid float overflow
        return min(self.cap_s, self.base_s * 2.0**exponent)

    def delay(self, attempt: int) -> float:
        return self._rng.uniform(0.0, self.ceiling(attempt))

    def reseed(self) -> None:
        """After fork: a child must not draw the same jitter as its parent."""
        self._rng.seed()


def retry_after_s(header: str | None, wall_clock: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if header is None:
        return None
    header = header.strip()
    try:
        seconds = float(header)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(header).timestamp() - wall_clock()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
