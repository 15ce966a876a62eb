"""The caller-side queue: drops of the oldest records are counted without caller work."""

from __future__ import annotations

import itertools
import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from monitorx.sdk.channel import Channel, count_value


def test_count_value_reads_without_advancing() -> None:
    counter = itertools.count()
    assert count_value(counter) == 0
    next(counter)
    next(counter)
    assert count_value(counter) == 2 == count_value(counter)
    assert count_value(itertools.count(2**70)) == 2**70


def test_a_full_queue_drops_the_oldest_and_counts_them() -> None:
    channel = Channel("events", "/x", "events", maxlen=10)
    for i in range(25):
        channel.put((i,))
    assert channel.dropped() == 15
    assert [r[0] for r in channel.drain()] == list(range(15, 25))
    assert channel.dropped() == 15


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20), st.lists(st.one_of(st.integers(0, 40), st.just(-1)), max_size=30))
def test_drop_count_is_exact_whenever_callers_pause(maxlen: int, script: list[int]) -> None:
    """Any interleaving of bursts (n appends) and drains (-1) gives the exact drop count."""
    channel = Channel("events", "/x", "events", maxlen=maxlen)
    in_queue = dropped = 0
    for step in script:
        if step < 0:
            channel.drain()
            in_queue = 0
        else:
            for _ in range(step):
                channel.put((0,))
            overflow = max(0, in_queue + step - maxlen)
            dropped += overflow
            in_queue = min(maxlen, in_queue + step)
        assert channel.dropped() == dropped


def test_concurrent_callers_never_lose_or_invent_records() -> None:
    channel = Channel("events", "/x", "events", maxlen=1000)
    per_thread, threads = 20_000, 4
    taken = 0
    done = threading.Event()

    def produce() -> None:
        for i in range(per_thread):
            channel.put((i,))

    workers = [threading.Thread(target=produce) for _ in range(threads)]
    for worker in workers:
        worker.start()

    def reached_the_end() -> bool:
        return not any(worker.is_alive() for worker in workers)

    while not done.is_set():
        taken += len(channel.drain())
        assert channel.dropped() <= per_thread * threads - taken  # never more than the truth
        if reached_the_end():
            done.set()
    taken += len(channel.drain())
    assert taken + channel.dropped() == per_thread * threads


def test_reset_after_fork_forgets_the_parent_records() -> None:
    channel = Channel("events", "/x", "events", maxlen=3)
    for i in range(5):
        channel.put((i,))
    channel.reset()
    assert len(channel.queue) == 0 and channel.dropped() == 0 and channel.appended() == 0
    channel.put((1,))
    assert channel.drain() == [(1,)]
