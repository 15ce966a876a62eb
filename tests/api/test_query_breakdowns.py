"""Error types and latency distributions (the dashboard's breakdowns) against numpy on the raw events."""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections import Counter
from typing import Any

import numpy as np
import orjson
import pytest

HOUR = 3600


def send(api: Any, events: list[dict[str, Any]], size: int = 700) -> None:
    for i in range(0, len(events), size):
        r = api.post(
            "/api/v1/events", content=orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events[i : i + size]})
        )
        assert r.status_code == 200, r.text


def generate(seed: int, n: int, start: float) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    versions = rng.choice(["v2", "v3"], n)
    ts = start + rng.uniform(0, 3 * HOUR, n)
    latency = rng.lognormal(np.where(versions == "v3", 3.4, 3.0), 0.6)
    error = rng.random(n) < 0.08
    kinds = rng.choice(["TimeoutError", "ValueError", "FeatureStoreError"], n, p=[0.6, 0.3, 0.1])
    named = rng.random(n) < 0.8  # some errors name no type: counted as "error"
    return [
        {
            "model": "fraud",
            "version": str(versions[i]),
            "timestamp": float(ts[i]),
            "latency_ms": float(latency[i]),
            "error": bool(error[i]),
            "error_type": str(kinds[i]) if error[i] and named[i] else None,
            "tags": {"endpoint": "/score" if i % 3 else "/batch"},
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("seed", [5])
def test_error_types_count_every_error_once(api: Any, seed: int) -> None:
    start = math.floor(time.time() / HOUR) * HOUR - 4 * HOUR
    events = generate(seed, 5000, start)
    send(api, events)
    # Fold some minutes into hours, so both resolutions are read.
    api.services.maintenance.run(now=time.time())
    lo, hi = start + 1800, start + 2 * HOUR + 600  # whole minutes: rollups answer minute by minute
    for params, keep in (
        ({}, lambda e: True),
        ({"version": "v3"}, lambda e: e["version"] == "v3"),
        ({"tag": "endpoint:/batch"}, lambda e: e["tags"]["endpoint"] == "/batch"),
    ):
        r = api.get("/api/v1/models/fraud/error-types", params={"start": lo, "end": hi, **params})
        assert r.status_code == 200, r.text
        chosen = [e for e in events if lo <= e["timestamp"] < hi and e["error"] and keep(e)]
        expected = Counter(e["error_type"] or "error" for e in chosen)
        body = r.json()
        assert {t["type"]: t["count"] for t in body["types"]} == dict(expected)
        assert body["total"] == len(chosen)
        counts = [t["count"] for t in body["types"]]
        assert counts == sorted(counts, reverse=True)


def test_latency_histogram_counts_match_numpy_per_version(api: Any) -> None:
    start = math.floor(time.time() / HOUR) * HOUR - 4 * HOUR
    events = generate(9, 6000, start)
    send(api, events)
    api.services.maintenance.run(now=time.time())
    lo, hi = start, start + 3 * HOUR
    for max_buckets in (2000, 40):
        r = api.get(
            "/api/v1/models/fraud/latency-histogram",
            params={"start": lo, "end": hi, "group_by": "version", "max_buckets": max_buckets},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        edges = np.array(body["edges"])
        assert len(edges) - 1 <= max_buckets and np.all(np.diff(edges) > 0)
        assert [g["labels"] for g in body["series"]] == [{"version": "v2"}, {"version": "v3"}]
        for g in body["series"]:
            lat = np.array([e["latency_ms"] for e in events if e["version"] == g["labels"]["version"]])
            # Bucket i counts (edges[i], edges[i+1]]: exactly what numpy counts between the same edges.
            expected = [int(((lat > a) & (lat <= b)).sum()) for a, b in itertools.pairwise(edges)]
            assert g["counts"] == expected
            assert sum(g["counts"]) == lat.size


def test_breakdowns_answer_empty_ranges_and_refuse_bad_ones(api: Any) -> None:
    send(api, [{"model": "quiet", "latency_ms": 5.0}])
    r = api.get("/api/v1/models/quiet/latency-histogram", params={"start": 1000, "end": 2000})
    assert r.status_code == 200 and r.json()["edges"] == [] and r.json()["series"][0]["counts"] == []
    r = api.get("/api/v1/models/quiet/error-types")
    assert r.status_code == 200 and r.json() == {**r.json(), "total": 0, "types": []}
    assert api.get("/api/v1/models/quiet/error-types", params={"start": 2000, "end": 1000}).status_code == 422
    r = api.get("/api/v1/models/quiet/latency-histogram", params={"group_by": "colour"})
    assert r.status_code == 422 and "group_by" in r.json()["message"]
    assert api.get("/api/v1/models/nope/error-types").status_code == 404


def test_group_stats_match_numpy_for_each_tag_value(api: Any) -> None:
    start = math.floor(time.time() / HOUR) * HOUR - 4 * HOUR
    events = generate(13, 4000, start)
    send(api, events)
    lo, hi = start + 600, start + 2 * HOUR + 1200  # not aligned to any step: one window, not two
    r = api.get(
        "/api/v1/models/fraud/groups",
        params={"start": lo, "end": hi, "group_by": "tag:endpoint", "metrics": "count,error_rate,latency_p95"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [g["labels"] for g in body["groups"]] == [{"endpoint": "/batch"}, {"endpoint": "/score"}]
    for g in body["groups"]:
        chosen = [e for e in events if lo <= e["timestamp"] < hi and e["tags"]["endpoint"] == g["labels"]["endpoint"]]
        assert g["stats"]["count"] == len(chosen)
        assert g["stats"]["error_rate"] == pytest.approx(sum(e["error"] for e in chosen) / len(chosen))
        exact = float(np.quantile([e["latency_ms"] for e in chosen], 0.95, method="lower"))
        assert abs(g["stats"]["latency_p95"] - exact) <= 0.01 * exact * (1 + 1e-9)
