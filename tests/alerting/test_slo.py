"""SLO burn-rate rules on synthetic traffic: each workbook pair fires on the traffic made to trip it, and
nothing fires on a healthy series (objective 99.5 % over 30 days: budget 0.5 %)."""

from __future__ import annotations

from typing import Any

import pytest

from monitorx.services.alerting import AlertingService, ManualClock, slo_windows
from monitorx.stats import slo

from .conftest import START, ingest, project, rule

PER_MINUTE = 4
HOUR = 3600


def traffic(
    model: str, segments: list[tuple[float, float, float]], slow_ms: float | None = None
) -> list[dict[str, Any]]:
    """Events every 15 s over 3 days and 10 minutes before START.

    ``segments``: (from, to, bad share) in seconds before START; elsewhere 0.1 % are bad. Bad events
    are errors, or, with ``slow_ms``, answers that slow; they are spread evenly so every window
    holds its share.
    """
    events = []
    n_bad = 0
    span = 3 * 86400 + 600
    for i in range(span // 60 * PER_MINUTE):
        ts = START - span + i * (60 / PER_MINUTE) + 1
        ago = START - ts
        share = next((s for lo, hi, s in segments if hi <= ago < lo), 0.001)
        seen = i + 1
        bad = int(seen * share) > int(i * share) if share < 1 else True
        n_bad += bad
        ev: dict[str, Any] = {"model": model, "timestamp": ts, "latency_ms": 50.0}
        if slow_ms is None:
            ev["error"] = bad
        elif bad:
            ev["latency_ms"] = slow_ms
        events.append(ev)
    return events


def slo_rule(alerting: AlertingService, services: Any, model: str, **cond: Any) -> Any:
    condition = {"type": "slo", "sli": "availability", "objective": 0.995, **cond}
    return rule(alerting, services, name=f"{model} SLO", model=model, condition=condition)


def firing(alerting: AlertingService, services: Any, rule_id: int) -> dict[str, float | None]:
    alerts = alerting.alerts.find(project(services), ["firing"], rule_id)
    return {a.labels["slo"]: a.value for a in alerts}


def test_burn_rate_pairs_fire_on_the_traffic_made_for_them(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    scenarios = {
        "healthy": [],
        "fast": [(HOUR, 0, 0.10)],  # 20x over 1 h and 5 m: page (pair 1)
        "slow": [(6 * HOUR, 0, 0.04)],  # 8x over 6 h and 30 m, under 14.4x over 1 h: page (pair 2)
        "simmer": [(4 * 86400, 0, 0.006)],  # 1.2x for days: ticket only
        "recovered": [(70 * 60, 10 * 60, 0.10)],  # 1 h still burns, the last 5 m do not: no page
    }
    events = [e for name, segs in scenarios.items() for e in traffic(name, segs)]
    events += traffic("latency", [(HOUR, 0, 0.2)], slow_ms=400.0)  # 20 % over 300 ms against 99 % under
    ingest(services, events)
    rules = {name: slo_rule(alerting, services, name) for name in scenarios}
    rules["latency"] = slo_rule(
        alerting, services, "latency", sli="latency", objective=0.99, latency_threshold_ms=300.0
    )
    rules["healthy-latency"] = rule(
        alerting,
        services,
        name="healthy latency SLO",
        model="healthy",
        condition={"type": "slo", "sli": "latency", "objective": 0.99, "latency_threshold_ms": 300.0},
    )
    alerting.tick()
    got = {name: firing(alerting, services, r.id) for name, r in rules.items()}
    assert set(got["fast"]) == {"page"} and got["fast"]["page"] == pytest.approx(20.0, rel=0.1)
    # 4 % of 120 events in 30 m is 4 or 5 of them: a burn of 6.7 to 8.3, over the factor 6 either way.
    assert set(got["slow"]) == {"page"} and 6.0 < (got["slow"]["page"] or 0) <= 8.4
    assert set(got["simmer"]) == {"ticket"} and got["simmer"]["ticket"] == pytest.approx(1.2, rel=0.1)
    assert got["healthy"] == {} and got["recovered"] == {} and got["healthy-latency"] == {}
    assert set(got["latency"]) == {"page"} and got["latency"]["page"] == pytest.approx(20.0, rel=0.1)
    (page,) = alerting.alerts.find(project(services), ["firing"], rules["fast"].id)
    assert page.labels["severity"] == "critical" and "over 1h and 5m (> 14.4)" in page.annotations["summary"]
    (ticket,) = alerting.alerts.find(project(services), ["firing"], rules["simmer"].id)
    assert ticket.labels["severity"] == "warning"


def test_window_counts_are_the_same_once_hours_are_folded(services: Any) -> None:
    ingest(services, traffic("latency", [(HOUR, 0, 0.2)], slow_ms=400.0))
    model = services.registry.get_model(project(services), "latency")
    with services.db.read() as conn:
        ids = [s.id for s in services.registry.series_of(conn, model.id)]
    windows = slo.windows_needed()
    before = [slo_windows.window_counts(services.db, 30, ids, START, windows, ms) for ms in (None, 300.0)]
    report = services.maintenance.run(now=START)
    assert report is not None and report.hours_built > 0
    after = [slo_windows.window_counts(services.db, 30, ids, START, windows, ms) for ms in (None, 300.0)]
    assert after == before
    assert before[1][3600] == (48.0, 240.0)  # the last hour: 240 answers, 20 % of them slow
    assert before[0][3 * 86400] == (0.0, 3 * 86400 / 60 * PER_MINUTE)
