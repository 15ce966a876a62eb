"""A server that never answers, or is not there: the caller notices nothing.

Timing here is compared loosely (medians of interleaved calls, with a generous margin),
never against an absolute wall time: the machine is shared and noisy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import monitorx

from .http_servers import SilentServer, closed_port_url


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def work(features: dict[str, float]) -> float:
    total = 0.0
    for i in range(2000):  # ~0.1-0.3 ms of pure Python
        total += features["x"] * i
    return total


def median_ns(call: Callable[[], Any], other: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Medians of per-call time for two callables, interleaved so drift affects both alike."""
    mine, theirs = [], []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        mine.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        other()
        theirs.append(time.perf_counter_ns() - start)
    return statistics.median(mine), statistics.median(theirs)


def test_a_server_that_never_answers_leaves_latency_unchanged(silent: SilentServer) -> None:
    assert monitorx.init(url=silent.url, flush_interval_s=0.05, timeout_s=60)
    monitored = monitorx.monitor(model="m")(work)
    features = {"x": 1.5}
    for _ in range(200):  # the sender is now stuck in its first POST
        monitored(features)
    deadline = time.monotonic() + 10
    while not silent.accepted and time.monotonic() < deadline:
        time.sleep(0.01)
    assert silent.accepted, "the sender never connected"
    decorated, plain = median_ns(lambda: monitored(features), lambda: work(features), rounds=2000)
    assert decorated <= plain * 1.5 + 50_000, (decorated, plain)
    assert monitored(features) == work(features)
    assert monitorx.flush(timeout=0.2) is False  # bounded, and no exception
    stats = monitorx.delivery_stats()
    assert stats.sent == 0 and stats.queued > 0
    assert monitorx.shutdown(timeout=0.2) is False


def test_a_closed_port_trips_the_breaker_and_nothing_raises() -> None:
    assert monitorx.init(
        url=closed_port_url(),
        flush_interval_s=0.01,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        breaker_failures=3,
    )

    @monitorx.monitor(model="m")
    def predict(features: dict[str, float]) -> float:
        return 2.0

    deadline = time.monotonic() + 30
    while monitorx.delivery_stats().breaker == "closed" and time.monotonic() < deadline:
        assert predict({"x": 1.0}) == 2.0
        time.sleep(0.01)
    stats = monitorx.delivery_stats()
    assert stats.breaker in ("open", "half_open") and stats.sent == 0 and stats.retried >= 2
    assert stats.dropped_total == 0  # buffered, not lost


def test_exit_is_bounded_when_the_server_hangs(silent: SilentServer) -> None:
    code = textwrap.dedent(
        f"""
        import monitorx
        monitorx.init(url={silent.url!r}, timeout_s=600, exit_timeout_s=0.5, flush_interval_s=0.01)
        for i in range(10):
            monitorx.log(model="m", latency_ms=1.0)
        """
    )
    # The child would hang for 600 s on its POST without the exit bound; the limit here is
    # only a guard against that, not a timing assertion.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
