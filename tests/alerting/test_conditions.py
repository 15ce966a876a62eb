"""Conditions read the right numbers: query metrics (checked against numpy), hosts, drift, data quality,
model quality, no data; default rules appear for every model and stay editable."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import update

from monitorx.services.alerting import AlertingService, ManualClock
from monitorx.services.alerting.specs import RulePatch
from monitorx.store import tables as t

from .conftest import START, ingest, make_model, model_id, project, put_result, rule


def alerts_of(alerting: AlertingService, services: Any, rule_id: int) -> dict[str, Any]:
    found = alerting.alerts.find(project(services), ["pending", "firing", "resolved"], rule_id)
    return {a.labels.get("host") or a.labels.get("model", ""): a for a in found}


def test_latency_error_rate_and_cost_thresholds_match_numpy(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    rng = np.random.default_rng(3)
    n = 2000
    lat = rng.lognormal(6.3, 0.3, n)  # ~550 ms
    err = rng.random(n) < 0.08
    ts = START - rng.uniform(1, 290, n)
    ingest(
        services,
        [
            {
                "model": "fraud",
                "version": "v2" if i % 2 else "v1",
                "timestamp": float(ts[i]),
                "latency_ms": float(lat[i]),
                "error": bool(err[i]),
                "cost_usd": 0.01,
            }
            for i in range(n)
        ],
    )
    window = {"window_s": 300}
    p95 = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "metric", "metric": "latency_p95", "op": ">", "threshold": 500, **window},
    )
    errors = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.05, **window},
    )
    v1_errors = rule(
        alerting,
        services,
        model="fraud",
        versions=["v1"],
        condition={"type": "metric", "metric": "error_count", "op": ">", "threshold": 0, **window},
    )
    cost = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "metric", "metric": "cost_usd", "op": ">", "threshold": 25.0, **window},
    )
    alerting.tick()
    a = alerts_of(alerting, services, p95.id)["fraud"]
    assert a.state == "firing"
    exact = np.quantile(lat, 0.95, method="lower")
    assert a.value == pytest.approx(exact, rel=0.01)
    b = alerts_of(alerting, services, errors.id)["fraud"]
    assert b.state == "firing" and b.value == pytest.approx(err.mean(), abs=1e-12)
    c = alerts_of(alerting, services, v1_errors.id)["fraud"]
    assert c.value == float(err[::2].sum())  # even indices are v1
    assert alerts_of(alerting, services, cost.id) == {}  # 2000 x 0.01 = 20 < 25
    assert "latency_p95 is" in a.annotations["summary"] and a.labels["severity"] == "warning"


def test_no_data(services: Any, alerting: AlertingService, clock: ManualClock) -> None:
    make_model(services, "quiet")
    slow = rule(
        alerting,
        services,
        model="quiet",
        condition={"type": "metric", "metric": "throughput", "op": "<", "threshold": 1.0},
    )
    ok = rule(
        alerting,
        services,
        model="quiet",
        condition={"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.05},
    )
    loud = rule(
        alerting,
        services,
        model="quiet",
        condition={"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.05, "no_data": "alert"},
    )
    alerting.tick()
    assert alerts_of(alerting, services, slow.id)["quiet"].value == 0.0  # no events: throughput 0 < 1/s
    assert alerts_of(alerting, services, ok.id) == {}
    assert alerts_of(alerting, services, loud.id)["quiet"].value is None
    assert alerts_of(alerting, services, loud.id)["quiet"].state == "firing"


def test_host_rules_are_per_host_serving_the_model(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    make_model(services, "fraud")
    gib = 1 << 30
    samples = [
        {
            "host": "a",
            "timestamp": START - 60,
            "cpu_percent": 95.0,
            "memory_used_bytes": 15 * gib,
            "memory_total_bytes": 16 * gib,
            "models": [{"model": "fraud", "version": "1"}],
        },
        {
            "host": "a",
            "timestamp": START - 30,
            "cpu_percent": 85.0,
            "memory_used_bytes": 8 * gib,
            "memory_total_bytes": 16 * gib,
            "models": [{"model": "fraud", "version": "1"}],
        },
        {"host": "b", "timestamp": START - 30, "cpu_percent": 99.0, "models": [{"model": "other", "version": "1"}]},
    ]
    services.ingest.ingest_resources(project(services), orjson.dumps({"batch_id": "r1", "samples": samples}))
    cpu = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "host", "metric": "cpu_percent", "op": ">", "threshold": 80},
    )
    mem = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "host", "metric": "memory_percent", "op": ">", "threshold": 90},
    )
    every = rule(alerting, services, condition={"type": "host", "metric": "cpu_percent", "op": ">", "threshold": 80})
    alerting.tick()
    (a,) = alerts_of(alerting, services, cpu.id).values()
    assert a.labels["host"] == "a" and a.labels["model"] == "fraud" and a.value == pytest.approx(90.0)
    assert alerts_of(alerting, services, mem.id) == {}  # (93.75 + 50) / 2 < 90
    assert sorted(alerts_of(alerting, services, every.id)) == ["a", "b"]


def test_drift_data_quality_and_model_quality_read_monitor_results(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    mid = make_model(services, "fraud")
    put_result(
        services,
        mid,
        "drift",
        START - 600,
        value=0.6,
        flagged=True,
        result={
            "dataset_drift": True,
            "features": {"amount": {"drifted": True, "statistic": 0.31}, "age": {"drifted": False, "statistic": 0.01}},
        },
    )
    put_result(
        services,
        mid,
        "data_quality",
        START - 600,
        value=0.02,
        flagged=True,
        result={
            "features": {
                "age": {"missing_share": 0.3, "new_categories": []},
                "country": {"missing_share": 0.0, "new_categories": ["XX", "YY"]},
            }
        },
    )
    put_result(services, mid, "quality", START - 7200, value=20.0, result={"metrics": {"mae": 20.0}})  # too old
    put_result(services, mid, "quality", START - 600, value=12.0, result={"metrics": {"mae": 12.0, "rmse": 30.0}})
    cases = {
        "dataset": ({"type": "drift"}, True, 0.6),
        "amount": ({"type": "drift", "feature": "amount"}, True, 0.31),
        "age": ({"type": "drift", "feature": "age"}, False, None),
        "missing age": (
            {"type": "data_quality", "check": "missing_share", "feature": "age", "threshold": 0.1},
            True,
            0.3,
        ),
        "missing all": ({"type": "data_quality", "check": "missing_share", "threshold": 0.1}, False, None),
        "new country": ({"type": "data_quality", "check": "new_categories", "feature": "country"}, True, 2.0),
        "new any": ({"type": "data_quality", "check": "new_categories", "threshold": 1}, True, 2.0),
        "dq flagged": ({"type": "data_quality", "check": "flagged"}, True, 0.02),
        "mae": ({"type": "quality", "metric": "mae", "op": ">", "threshold": 15, "window_s": 3600}, False, None),
        "rmse": ({"type": "quality", "metric": "rmse", "op": ">", "threshold": 15, "window_s": 3600}, True, 30.0),
        "f1 missing": (
            {"type": "quality", "metric": "f1", "op": "<", "threshold": 0.5, "no_data": "alert"},
            True,
            None,
        ),
        "unknown feature": ({"type": "drift", "feature": "zip"}, False, None),
    }
    ids = {
        name: rule(alerting, services, name=name, model="fraud", condition=cond).id
        for name, (cond, _, _) in cases.items()
    }
    alerting.tick()
    for name, (_, fires, value) in cases.items():
        found = alerts_of(alerting, services, ids[name])
        assert bool(found) == fires, name
        if fires:
            assert found["fraud"].value == (pytest.approx(value) if value is not None else None), name


def test_default_rules_appear_once_per_model_and_stay_editable(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    make_model(services, "fraud", {"latency_p95_ms": 300.0})
    ingest(services, [{"model": "churn", "latency_ms": 1.0, "timestamp": START - 5}])
    alerting.tick()
    rules = alerting.rules.find(project(services))
    names = sorted(r.name for r in rules if r.model == "fraud")
    assert names == [
        "fraud: dataset drift",
        "fraud: error rate > 5%",
        "fraud: host CPU > 80%",
        "fraud: host memory > 90%",
        "fraud: p95 latency over its threshold",
    ]
    assert {r.origin for r in rules} == {"default"} and len(rules) == 10  # churn too, registered by ingest
    latency = next(r for r in rules if r.name == "fraud: p95 latency over its threshold")
    assert latency.condition["threshold_from"] == "latency_p95_ms" and latency.for_s == 300
    # The model's own threshold (300 ms) applies, not the 500 ms fallback.
    ingest(services, [{"model": "fraud", "latency_ms": 400.0, "timestamp": START - 10 - i} for i in range(50)])
    alerting.tick()
    (a,) = alerting.alerts.find(project(services), ["pending"], latency.id)
    assert "> 300" in a.annotations["summary"]
    edited = alerting.rules.update(
        project(services), latency.id, RulePatch.model_validate({"for_s": 0, "enabled": False})
    )
    assert edited.for_s == 0 and not edited.enabled and edited.origin == "default"
    drift = next(r for r in rules if r.name == "fraud: dataset drift")
    alerting.rules.delete(project(services), drift.id)
    clock.advance(60)
    alerting.tick()
    assert "fraud: dataset drift" not in {r.name for r in alerting.rules.find(project(services))}


def test_a_failing_rule_records_its_error_and_does_not_stop_the_others(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    make_model(services, "fraud")
    broken = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "metric", "metric": "throughput", "op": "<", "threshold": 1},
    )
    fine = rule(
        alerting,
        services,
        model="fraud",
        condition={"type": "metric", "metric": "throughput", "op": "<", "threshold": 1},
    )
    with services.db.write() as conn:
        bad = orjson.dumps({"type": "metric", "metric": "no_such_metric", "op": "<", "threshold": 1, "window_s": 60})
        conn.execute(update(t.alert_rules).where(t.alert_rules.c.id == broken.id).values(condition=bad.decode()))
    report = alerting.tick()
    assert report is not None and report.errors == 1
    assert "no_such_metric" in (alerting.rules.get(project(services), broken.id).last_error or "")
    assert alerts_of(alerting, services, fine.id)["fraud"].state == "firing"


def test_a_rule_on_every_model_follows_new_models_and_vanished_ones_resolve(
    services: Any, alerting: AlertingService, clock: ManualClock
) -> None:
    every = rule(alerting, services, condition={"type": "metric", "metric": "throughput", "op": "<", "threshold": 1})
    make_model(services, "a")
    alerting.tick()
    make_model(services, "b")
    clock.advance(60)
    alerting.tick()
    assert sorted(alerts_of(alerting, services, every.id)) == ["a", "b"]
    with services.db.write() as conn:
        conn.execute(t.models.delete().where(t.models.c.id == model_id(services, "b")))
    services.registry.forget()
    clock.advance(60)
    alerting.tick()
    states = {k: v.state for k, v in alerts_of(alerting, services, every.id).items()}
    assert states == {"a": "firing", "b": "resolved"}
