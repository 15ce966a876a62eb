"""A bounded queue of records between the callers' threads and the sender thread.

The caller's side is two C calls and no lock: ``append`` (``deque.append``, atomic under
the GIL; with ``maxlen`` the oldest record falls out when it is full) and ``tick``
(``next()`` on an ``itertools.count``, also atomic), which counts what was appended. The
sender is the only consumer. It knows how many it took out, so how many fell out is
``appended - drained - len(queue)``: exact once callers pause, never more than the truth
while they run (see :meth:`Channel.dropped`), and no caller ever pays for counting drops.
"""

from __future__ import annotations

import itertools
from collections import deque

from monitorx.sdk.records import Record


def count_value(counter: itertools.count[int]) -> int:
    """The next value an ``itertools.count`` would return, without taking it.

    ``repr`` is the only way to read a count without advancing it; it is ``count(N)``.
    """
    text = repr(counter)
    return int(text[text.index("(") + 1 : -1])


class Channel:
    __slots__ = ("_counter", "_dropped", "append", "drained", "key", "name", "path", "queue", "tick")

    def __init__(self, name: str, path: str, key: str, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError(f"{name} queue size must be >= 1")
        self.name = name
        self.path = path
        self.key = key
        self.queue: deque[Record] = deque(maxlen=maxlen)
        self.append = self.queue.append
        self._counter = itertools.count()
        self.tick = self._counter.__next__
        self.drained = 0
        self._dropped = 0

    def put(self, record: Record) -> None:
        self.append(record)
        self.tick()

    def appended(self) -> int:
        return count_value(self._counter)

    def drain(self) -> list[Record]:
        """Take everything queued now, oldest first (sender thread only)."""
        taken: list[Record] = []
        popleft = self.queue.popleft
        try:
            while True:
                taken.append(popleft())
        except IndexError:
            pass
        self.drained += len(taken)
        return taken

    def dropped(self) -> int:
        """How many records fell out of the full queue so far (sender thread only).

        Callers append before they tick, so reading the count first and the length second
        can only undercount, never invent a drop; the running maximum converges to the
        exact figure whenever callers pause.
        """
        seen = self.appended() - self.drained - len(self.queue)
        if seen > self._dropped:
            self._dropped = seen
        return self._dropped

    def reset(self) -> None:
        """In a forked child: the parent's records stay the parent's to send."""
        self.queue.clear()
        self._counter = itertools.count()
        self.tick = self._counter.__next__
        self.drained = 0
        self._dropped = 0
