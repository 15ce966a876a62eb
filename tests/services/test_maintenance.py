"""Compaction and retention change storage, never answers (beyond what retention promises)."""

from __future__ import annotations

import math
import time
import uuid
from typing import Any

import numpy as np
import orjson
import pytest
from sqlalchemy import func, select

from monitorx.services.query import SeriesFilter
from monitorx.store import tables as t

METRICS = [
    "count",
    "error_count",
    "latency_p50",
    "latency_p99",
    "latency_mean",
    "latency_min",
    "latency_max",
    "input_tokens",
    "cost_usd",
    "ttft_p95",
]


def ingest(svc: Any, pid: int, events: list[dict[str, Any]], size: int = 97) -> None:
    for i in range(0, len(events), size):
        svc.ingest.ingest_events(pid, orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events[i : i + size]}))


def rollup_rows(svc: Any, before: float = float("inf")) -> dict[int, int]:
    with svc.db.read() as conn:
        by_resolution = (
            select(t.rollups.c.resolution, func.count())
            .where(t.rollups.c.bucket_start < before)
            .group_by(t.rollups.c.resolution)
        )
        return {int(r): int(n) for r, n in conn.execute(by_resolution).all()}


def test_compaction_keeps_every_answer(services: Any) -> None:
    svc, pid = services, services.boot.project_id
    now = time.time()
    rng = np.random.default_rng(4)
    start = math.floor(now / 3600) * 3600 - 40 * 86400  # old enough to become hourly
    events = [
        {
            "model": "m",
            "version": f"v{i % 2}",
            "timestamp": float(start + rng.uniform(0, 6 * 3600)),
            "latency_ms": float(rng.lognormal(3, 1)),
            "error": bool(i % 7 == 0),
            "input_tokens": 3,
            "cost_usd": 0.5,
            "ttft_ms": float(rng.uniform(10, 20)),
        }
        for i in range(3000)
    ]
    recent = [dict(e, timestamp=now - 3600 + (e["timestamp"] - start) / 6) for e in events]
    ingest(svc, pid, events + recent)

    def answers() -> list[Any]:
        return [
            svc.query.series(pid, "m", METRICS, start, start + 6 * 3600, 3600, SeriesFilter(), "version"),
            svc.query.series(pid, "m", METRICS, now - 3600, now, 600, SeriesFilter(), None),
        ]

    before = answers()
    rows_before = rollup_rows(svc)
    report = svc.maintenance.run(now=now)
    assert report is not None and report.hours_built > 0 and report.partials_merged > 0
    after = answers()
    rows_after = rollup_rows(svc)
    old = rollup_rows(svc, before=start + 6 * 3600)
    assert old == {3600: 12}  # 6 hours x 2 versions, one row each; their minutes are gone
    assert rows_after[60] < rows_before[60]
    for b, a in zip(before, after, strict=True):
        for gb, ga in zip(b["series"], a["series"], strict=True):
            assert gb["labels"] == ga["labels"]
            for m in METRICS:
                np.testing.assert_allclose(
                    np.array(ga["values"][m], dtype=float), np.array(gb["values"][m], dtype=float), rtol=1e-9
                )


def test_retention_deletes_what_expired(services: Any) -> None:
    svc, pid = services, services.boot.project_id
    now = time.time()
    old = now - (svc.settings.raw_retention_days + 1) * 86400
    ingest(svc, pid, [{"model": "m", "timestamp": old, "latency_ms": 1.0}])
    ingest(svc, pid, [{"model": "m", "timestamp": now, "latency_ms": 2.0}])
    svc.ingest.ingest_resources(
        pid,
        orjson.dumps({"batch_id": "r", "samples": [{"host": "h", "timestamp": now - 40 * 86400, "cpu_percent": 1.0}]}),
    )
    report = svc.maintenance.run(now=now)
    assert report is not None
    assert report.deleted["event_chunks"] == 1 and report.deleted["resource_samples"] == 1
    events = svc.query.events(pid, "m", 0, now + 1, 10, SeriesFilter())
    assert [e["latency_ms"] for e in events] == [2.0]
    # Rollups outlive raw events: the old minute still counts.
    assert svc.query.summary(pid, "m", old - 60, now + 60, SeriesFilter())["stats"]["count"] == 2


@pytest.mark.postgresql_only
def test_one_replica_does_maintenance_at_a_time(services: Any) -> None:
    from sqlalchemy import text

    with services.db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": 0x4D4F4E58_0002})
        assert services.maintenance.run() is None
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": 0x4D4F4E58_0002})
    assert services.maintenance.run() is not None


def test_late_events_for_a_sealed_hour_count_once(services: Any) -> None:
    svc, pid = services, services.boot.project_id
    now = time.time()
    hour = math.floor(now / 3600) * 3600 - 3 * 3600
    first = [{"model": "m", "timestamp": hour + i, "latency_ms": float(i)} for i in range(600)]
    late = [{"model": "m", "timestamp": hour + 1800 + i, "latency_ms": 1000.0 + i} for i in range(300)]
    ingest(svc, pid, first)
    svc.maintenance.run(now=now)  # the hour is sealed into an hourly row
    ingest(svc, pid, late)  # then late events arrive for it

    def stats() -> list[Any]:
        hourly = svc.query.series(pid, "m", METRICS, hour, hour + 3600, 3600, SeriesFilter(), None)
        fine = svc.query.series(pid, "m", METRICS, hour, hour + 3600, 300, SeriesFilter(), None)
        summary = svc.query.summary(pid, "m", hour, hour + 3600, SeriesFilter())["stats"]
        return [hourly["series"][0]["values"], sum(fine["series"][0]["values"]["count"]), summary]

    lat = np.array([e["latency_ms"] for e in first + late])
    for _ in range(2):  # before and after the next maintenance pass
        hourly, fine_count, summary = stats()
        assert hourly["count"] == [900] and fine_count == 900 and summary["count"] == 900
        exact = float(np.quantile(lat, 0.99, method="lower"))
        assert abs(hourly["latency_p99"][0] - exact) <= 0.01 * exact
        assert summary["latency_max"] == 1299.0
        svc.maintenance.run(now=now)
