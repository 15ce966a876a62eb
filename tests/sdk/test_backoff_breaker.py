"""Backoff and the circuit breaker on a fake clock: no test here sleeps."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from monitorx.sdk.backoff import MAX_RETRY_AFTER_S, Backoff, retry_after_s
from monitorx.sdk.breaker import BreakerState, CircuitBreaker

from .fakes import FakeClock


def test_full_jitter_stays_under_an_exponential_ceiling() -> None:
    backoff = Backoff(base_s=0.5, cap_s=8.0, rng=random.Random(1))
    assert [backoff.ceiling(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for attempt in range(1, 12):
        draws = [backoff.delay(attempt) for _ in range(300)]
        assert all(0.0 <= d <= backoff.ceiling(attempt) for d in draws)
        # Full jitter: the draws spread over the whole range, not just near the ceiling.
        assert min(draws) < 0.2 * backoff.ceiling(attempt) < 0.8 * backoff.ceiling(attempt) < max(draws)


def test_huge_attempt_numbers_do_not_overflow() -> None:
    assert Backoff(base_s=1.0, cap_s=30.0).ceiling(10_000) == 30.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), ("99999", MAX_RETRY_AFTER_S), ("soon", None), (None, None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_s(header) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True)
    assert retry_after_s(header, wall_clock=now.timestamp) == pytest.approx(30.0)


def test_breaker_opens_after_consecutive_failures_and_probes_once() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    assert breaker.seconds_until_probe() == pytest.approx(10.0)

    clock.advance(9.9)
    assert not breaker.allow()
    clock.advance(0.1)
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time

    breaker.record_failure()  # the probe failed: a full period again
    assert breaker.state is BreakerState.OPEN
    clock.advance(9.0)
    assert not breaker.allow()
    clock.advance(1.0)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow() and breaker.allow()
    assert breaker.times_opened == 1


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=1.0, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_breaker_rejects_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(failure_threshold=0)
    with pytest.raises(ValueError):
        Backoff(base_s=-1)
