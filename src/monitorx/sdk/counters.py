"""What the SDK did with what it was given: sent, retried, dropped (and why), still queued.

Counters are written by one thread (the sender, or the async client's task) and read by
any: a read of an ``int`` attribute is atomic, so :meth:`Counters.snapshot` needs no lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class DropReason(StrEnum):
    QUEUE_FULL = "queue_full"  # the caller-side queue was full: its oldest records fell out
    BUFFER_FULL = "buffer_full"  # unsent batches went over the buffer bound: the oldest were dropped
    REJECTED = "rejected"  # the server answered a 4xx other than 408/429: retrying cannot help
    RETRIES_EXHAUSTED = "retries_exhausted"  # max_retries attempts failed
    INVALID = "invalid"  # a record the server would refuse (e.g. an empty model name)
    ENCODE_ERROR = "encode_error"  # could not be serialised
    SHUTDOWN = "shutdown"  # still unsent when the SDK was shut down


@dataclass(frozen=True)
class Stats:
    """A snapshot of the SDK's delivery counters (events, actuals and host samples together).

    >>> s = monitorx.delivery_stats()
    >>> s.sent, s.dropped_total, s.breaker
    (1000, 0, 'closed')
    """

    queued: int
    sent: int
    retried: int
    dropped: Mapping[str, int]
    failed_batches: int
    breaker: str
    batches_sent: int = 0
    enabled: bool = True

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())


@dataclass
class Counters:
    sent: int = 0
    batches_sent: int = 0
    retried: int = 0
    failed_batches: int = 0
    dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DropReason, 0))

    def drop(self, reason: DropReason, items: int) -> None:
        self.dropped[reason] += items

    def snapshot(self, *, queued: int, breaker: str, enabled: bool = True) -> Stats:
        return Stats(
            queued=queued,
            sent=self.sent,
            retried=self.retried,
            dropped={str(reason): n for reason, n in self.dropped.items()},
            failed_batches=self.failed_batches,
            breaker=breaker,
            batches_sent=self.batches_sent,
            enabled=enabled,
        )


def empty_stats() -> Stats:
    return Counters().snapshot(queued=0, breaker="closed", enabled=False)
