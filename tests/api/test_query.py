"""Query answers against exact computations (numpy) on the raw events that were sent."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import numpy as np
import orjson
import pytest

from monitorx.stats.histogram import ALPHA

REL = ALPHA * (1 + 1e-9)  # percentiles: within 1% of the exact order statistic
HOUR = 3600


def send(api: Any, events: list[dict[str, Any]], size: int = 700) -> None:
    for i in range(0, len(events), size):
        body = {"batch_id": uuid.uuid4().hex, "events": events[i : i + size]}
        r = api.post("/api/v1/events", content=orjson.dumps(body))
        assert r.status_code == 200, r.text


def generate(seed: int, n: int, start: float) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    versions = rng.choice(["v1", "v2", "v3"], n)
    regions = rng.choice(["eu", "us"], n)
    envs = rng.choice(["prod", "staging"], n, p=[0.8, 0.2])
    ts = start + rng.uniform(0, 3 * HOUR, n)
    latency = rng.lognormal(np.where(versions == "v2", 3.5, 3.0), 0.7)
    error = rng.random(n) < np.where(regions == "us", 0.1, 0.02)
    return [
        {
            "model": "fraud",
            "version": str(versions[i]),
            "environment": str(envs[i]),
            "timestamp": float(ts[i]),
            "latency_ms": float(latency[i]),
            "error": bool(error[i]),
            "tags": {"region": str(regions[i])},
        }
        for i in range(n)
    ]


def exact_quantile(values: list[float], q: float) -> float:
    return float(np.quantile(np.array(values), q, method="lower"))


@pytest.mark.parametrize("seed", [3, 11])
def test_series_match_numpy_across_filters_and_groups(api: Any, seed: int) -> None:
    start = math.floor(time.time() / HOUR) * HOUR - 4 * HOUR
    events = generate(seed, 6000, start)
    send(api, events)
    params: dict[str, Any] = {
        "metrics": "count,error_count,error_rate,throughput,latency_p50,latency_p90,latency_p95,latency_p99,"
        "latency_mean,latency_min,latency_max",
        "start": start,
        "end": start + 3 * HOUR,
        "step": HOUR,
    }
    cases = [
        ({}, None, lambda e: ()),
        ({"group_by": "version"}, "version", lambda e: (("version", e["version"]),)),
        (
            {"group_by": "tag:region", "environment": "prod"},
            "region",
            lambda e: (("region", e["tags"]["region"]),),
        ),
        (
            {"version": ["v1", "v3"], "tag": "region:us", "group_by": "environment"},
            "environment",
            lambda e: (("environment", e["environment"]),),
        ),
    ]
    for extra, _, label in cases:
        answer = api.get("/api/v1/models/fraud/series", params={**params, **extra})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["timestamps"] == [start, start + HOUR, start + 2 * HOUR]

        def keep(e: dict[str, Any], extra: dict[str, Any] = extra) -> bool:
            versions = extra.get("version")
            return (
                (versions is None or e["version"] in versions)
                and ("environment" not in extra or e["environment"] == extra["environment"])
                and ("tag" not in extra or e["tags"]["region"] == extra["tag"].split(":")[1])
            )

        expected: dict[tuple[Any, ...], list[list[dict[str, Any]]]] = {}
        for e in events:
            if keep(e):
                cells = expected.setdefault(label(e), [[], [], []])
                cells[int((e["timestamp"] - start) // HOUR)].append(e)
        got = {tuple(sorted(g["labels"].items())): g["values"] for g in body["series"]}
        assert set(got) == set(expected), extra
        for key, cells in expected.items():
            values = got[key]
            for i, cell in enumerate(cells):
                lat = [e["latency_ms"] for e in cell]
                errors = sum(e["error"] for e in cell)
                assert values["count"][i] == len(cell)
                assert values["error_count"][i] == errors
                assert values["error_rate"][i] == pytest.approx(errors / len(cell), rel=1e-12)
                assert values["throughput"][i] == pytest.approx(len(cell) / HOUR, rel=1e-12)
                assert values["latency_mean"][i] == pytest.approx(np.mean(lat), rel=1e-9)
                assert values["latency_min"][i] == pytest.approx(min(lat), rel=1e-12)
                assert values["latency_max"][i] == pytest.approx(max(lat), rel=1e-12)
                for name, q in [
                    ("latency_p50", 0.5),
                    ("latency_p90", 0.9),
                    ("latency_p95", 0.95),
                    ("latency_p99", 0.99),
                ]:
                    exact = exact_quantile(lat, q)
                    assert abs(values[name][i] - exact) <= REL * exact, (extra, key, i, name)


def test_summary_over_any_range_is_a_merge_of_minutes(api: Any) -> None:
    start = math.floor(time.time() / HOUR) * HOUR - 4 * HOUR
    events = generate(5, 3000, start)
    send(api, events, size=300)  # many partials per minute
    lo, hi = start + 1234 // 60 * 60, start + 7777 // 60 * 60  # minute-aligned, not hour-aligned
    stats = api.get("/api/v1/models/fraud", params={"start": lo, "end": hi}).json()["stats"]
    inside = [e for e in events if lo <= e["timestamp"] < hi]
    lat = [e["latency_ms"] for e in inside]
    assert stats["count"] == len(inside)
    for name, q in [("latency_p50", 0.5), ("latency_p99", 0.99)]:
        exact = exact_quantile(lat, q)
        assert abs(stats[name] - exact) <= REL * exact


def test_empty_ranges_answer_empty_series(api: Any) -> None:
    send(api, [{"model": "fraud", "latency_ms": 1.0}])
    body = api.get(
        "/api/v1/models/fraud/series",
        params={
            "metrics": "count,latency_p95,error_rate",
            "start": 1_000_000_200,
            "end": 1_000_000_200 + 600,
            "step": 300,
        },
    ).json()
    assert body["series"][0]["values"] == {
        "count": [0, 0],
        "latency_p95": [None, None],
        "error_rate": [None, None],
    }
    nothing = api.get("/api/v1/models/fraud/series", params={"metrics": "count", "version": "nope"}).json()
    assert nothing["series"] == []


@pytest.mark.parametrize(
    ("params", "status", "needle"),
    [
        ({"metrics": "latency_p42"}, 422, "unknown metrics"),
        ({"metrics": "count", "step": 90}, 422, "step"),
        ({"metrics": "count", "step": 30}, 422, "step"),
        ({"metrics": "count", "start": "2026-13-01"}, 422, "start"),
        ({"metrics": "count", "start": 2000, "end": 1000}, 422, "end must be after start"),
        ({"metrics": "count", "start": 0, "end": 1e9, "step": 60}, 422, "points"),
        ({"metrics": "count", "group_by": "colour"}, 422, "group_by"),
        ({"metrics": "count", "tag": "region"}, 422, "key:value"),
        ({}, 422, "metrics"),
    ],
)
def test_bad_queries_get_clear_4xx(api: Any, params: dict[str, Any], status: int, needle: str) -> None:
    send(api, [{"model": "fraud", "latency_ms": 1.0}])
    r = api.get("/api/v1/models/fraud/series", params=params)
    assert r.status_code == status, r.text
    assert needle in r.json()["message"], r.json()


def test_unknown_model_is_404(api: Any) -> None:
    for path in (
        "/api/v1/models/ghost",
        "/api/v1/models/ghost/series?metrics=count",
        "/api/v1/models/ghost/events",
    ):
        r = api.get(path)
        assert r.status_code == 404 and "ghost" in r.json()["message"]


def test_model_list_health_and_last_event(api: Any) -> None:
    now = time.time()
    send(api, [{"model": "a", "latency_ms": float(i), "timestamp": now - 60 + i / 10} for i in range(100)])
    send(api, [{"model": "b", "latency_ms": 5.0, "error": True, "timestamp": now - 10}])
    models = {m["name"]: m for m in api.get("/api/v1/models").json()["models"]}
    assert models["a"]["health"]["count"] == 100
    assert models["b"]["health"]["error_rate"] == 1.0
    assert models["a"]["last_event_at"] == pytest.approx(now - 60 + 9.9)
    assert abs(models["a"]["health"]["latency_p95"] - exact_quantile([float(i) for i in range(100)], 0.95)) <= 0.95


def test_raw_events_newest_first_with_filters(api: Any) -> None:
    now = time.time()
    for b in range(5):
        send(
            api,
            [
                {
                    "model": "m",
                    "version": f"v{i % 2}",
                    "latency_ms": float(b * 10 + i),
                    "timestamp": now - 100 + b * 10 + i,
                    "features": {"x": i},
                    "prediction": 0.5,
                    "prediction_id": f"p{b}-{i}",
                }
                for i in range(10)
            ],
        )
    events = api.get("/api/v1/models/m/events", params={"limit": 7, "version": "v1"}).json()["events"]
    assert [e["latency_ms"] for e in events] == [49.0, 47.0, 45.0, 43.0, 41.0, 39.0, 37.0]
    assert events[0]["features"] == {"x": 9.0} and events[0]["prediction_id"] == "p4-9"
