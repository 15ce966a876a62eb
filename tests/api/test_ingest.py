"""Ingest over HTTP: whole batches or nothing, exactly once, and clear answers to bad input."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from monitorx.store import tables as t


def counts(api: Any) -> dict[str, int]:
    with api.services.db.read() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in [
                ("rollups", t.rollups),
                ("chunks", t.event_chunks),
                ("models", t.models),
                ("batches", t.ingested_batches),
                ("series", t.series),
            ]
        }


def batch(batch_id: str, events: list[dict[str, Any]]) -> bytes:
    # The stdlib encoder, unlike orjson, writes integers of any size, as a careless client might.
    return json.dumps({"batch_id": batch_id, "events": events}).encode()


def test_a_batch_is_stored_and_a_resent_batch_id_stores_nothing_twice(api: Any) -> None:
    events = [{"model": "fraud", "latency_ms": float(i), "tags": {"region": "eu"}} for i in range(100)]
    first = api.post("/api/v1/events", content=batch("b-1", events))
    assert first.status_code == 200
    assert first.json() == {"batch_id": "b-1", "accepted": 100, "duplicate": False}
    before = counts(api)
    again = api.post(
        "/api/v1/events", content=gzip.compress(batch("b-1", events)), headers={"Content-Encoding": "gzip"}
    )
    assert again.json() == {"batch_id": "b-1", "accepted": 100, "duplicate": True}
    assert counts(api) == before
    summary = api.get("/api/v1/models/fraud").json()
    assert summary["stats"]["count"] == 100


def test_one_bad_event_rejects_the_whole_batch_and_names_it(api: Any) -> None:
    events: list[dict[str, Any]] = [{"model": "fraud", "latency_ms": 5.0} for _ in range(10)]
    events[7]["latency_ms"] = "fast"
    before = counts(api)
    r = api.post("/api/v1/events", content=batch("b-bad", events))
    assert r.status_code == 422
    body = r.json()
    assert body["message"].startswith("events[7].latency_ms:")
    assert body["errors"][0]["loc"] == ["events", 7, "latency_ms"]
    assert counts(api) == before
    # The rejected batch id was not consumed: fixing the event and resending works.
    events[7]["latency_ms"] = 1.0
    assert api.post("/api/v1/events", content=batch("b-bad", events)).json()["accepted"] == 10


@pytest.mark.parametrize(
    ("event", "where"),
    [
        ({"model": ""}, "events[0].model"),
        ({"model": "m", "latency_ms": -1}, "events[0].latency_ms"),
        ({"model": "m", "error": "yes"}, "events[0].error"),
        ({"model": "m", "latency_ms": False}, "events[0].latency_ms"),
        ({"model": "m", "colour": "red"}, "events[0].colour"),
        ({"model": "m", "tags": {"a": 1}}, "events[0].tags.a"),
        ({"model": "m", "timestamp": "yesterday"}, "events[0].timestamp"),
        ({"model": "m", "timestamp": time.time() + 3 * 86400}, "events[0].timestamp"),
        ({"model": "m", "input_tokens": 1.5}, "events[0].input_tokens"),
        ({"latency_ms": 1}, "events[0].model"),
        # Found by schemathesis: a pre-1970 time and a count beyond 64 bits once reached storage.
        ({"model": "m", "timestamp": "1172-11-17T09:04:22+20:36"}, "events[0].timestamp"),
        ({"model": "m", "input_tokens": 2**70}, "events[0].input_tokens"),
        ({"model": "m", "cost_usd": 1e308}, "events[0].cost_usd"),
    ],
)
def test_invalid_fields_are_named(api: Any, event: dict[str, Any], where: str) -> None:
    r = api.post("/api/v1/events", content=batch("b", [event]))
    assert r.status_code == 422, r.text
    assert r.json()["message"].startswith(where + ":"), r.json()["message"]
    assert counts(api)["rollups"] == 0


def test_malformed_bodies_get_400(api: Any) -> None:
    assert api.post("/api/v1/events", content=b"{not json").status_code == 400
    r = api.post("/api/v1/events", content=b"not gzip", headers={"Content-Encoding": "gzip"})
    assert r.status_code == 400 and "gzip" in r.json()["message"]
    r = api.post("/api/v1/events", content=b"{}", headers={"Content-Encoding": "br"})
    assert r.status_code == 400
    r = api.post("/api/v1/events", content=b'{"batch_id": "x"}')
    assert r.status_code == 422 and r.json()["message"].startswith("events:")


def test_limits_answer_413(api: Any) -> None:
    settings = api.services.settings
    too_many = [{"model": "m"}] * (settings.max_batch_events + 1)
    r = api.post("/api/v1/events", content=batch("big", too_many))
    assert r.status_code == 413 and str(settings.max_batch_events) in r.json()["message"]
    huge = b" " * (settings.max_body_bytes + 1)
    assert api.post("/api/v1/events", content=huge).status_code == 413
    # A small gzip body that inflates past the limit (a "zip bomb") is refused too.
    bomb = gzip.compress(b"[" + b" " * (settings.max_body_bytes + 10) + b"]")
    r = api.post("/api/v1/events", content=bomb, headers={"Content-Encoding": "gzip"})
    assert r.status_code == 413
    assert counts(api)["batches"] == 0


def test_first_event_registers_model_version_and_environment(api: Any) -> None:
    api.post(
        "/api/v1/events",
        content=batch(
            "r",
            [
                {"model": "chat", "version": "2", "environment": "staging"},
                {"model": "chat"},
            ],
        ),
    )
    model = api.get("/api/v1/models/chat").json()["model"]
    assert model["versions"] == ["2", "default"] or sorted(model["versions"]) == ["2", "default"]
    assert model["environments"] == ["prod", "staging"]
    assert api.get("/api/v1/environments").json()["environments"] == ["prod", "staging"]


def test_timestamps_in_rfc3339_epoch_or_default(api: Any) -> None:
    now = time.time()
    api.post(
        "/api/v1/events",
        content=batch(
            "ts",
            [
                {"model": "m", "timestamp": "2026-01-02T03:04:05Z", "latency_ms": 1},
                {"model": "m", "timestamp": "2026-01-02T04:04:05+01:00", "latency_ms": 2},
                {"model": "m", "timestamp": 1767323045, "latency_ms": 3},
                {"model": "m", "latency_ms": 4},
            ],
        ),
    )
    events = api.get("/api/v1/models/m/events", params={"limit": 10}).json()["events"]
    by_latency = {e["latency_ms"]: e["timestamp"] for e in events}
    assert by_latency[1.0] == by_latency[2.0] == by_latency[3.0] == 1767323045.0
    assert abs(by_latency[4.0] - now) < 60


def test_llm_fields_and_error_types_are_summed(api: Any) -> None:
    events = [
        {
            "model": "chat",
            "latency_ms": 900,
            "input_tokens": 100,
            "output_tokens": 20,
            "ttft_ms": 200 + i,
            "cost_usd": 0.001,
            "error": i % 4 == 0,
            "error_type": "RateLimitError" if i % 4 == 0 else None,
        }
        for i in range(40)
    ]
    api.post("/api/v1/events", content=batch("llm", events))
    stats = api.get("/api/v1/models/chat").json()["stats"]
    assert stats["input_tokens"] == 4000 and stats["output_tokens"] == 800
    assert stats["cost_usd"] == pytest.approx(0.04)
    assert stats["error_rate"] == pytest.approx(0.25)
    assert stats["ttft_p50"] == pytest.approx(219, rel=0.01)


def test_resources_are_stored_and_queryable(api: Any) -> None:
    now = time.time()
    samples = [
        {
            "host": "gpu-1",
            "timestamp": now - 30 + i,
            "cpu_percent": 10.0 * (i % 3),
            "memory_used_bytes": 4,
            "memory_total_bytes": 16,
            "gpus": [
                {
                    "index": 0,
                    "utilization_percent": 50.0,
                    "memory_used_bytes": 10,
                    "memory_total_bytes": 40,
                    "temperature_c": 60.0,
                    "power_w": 300.0,
                }
            ],
            "models": [{"model": "fraud", "version": "3"}],
        }
        for i in range(6)
    ]
    r = api.post("/api/v1/resources", content=orjson.dumps({"batch_id": "res", "samples": samples}))
    assert r.json() == {"batch_id": "res", "accepted": 6, "duplicate": False}
    again = api.post("/api/v1/resources", content=orjson.dumps({"batch_id": "res", "samples": samples}))
    assert again.json()["duplicate"] is True
    hosts = api.get("/api/v1/hosts").json()["hosts"]
    assert [h["host"] for h in hosts] == ["gpu-1"] and hosts[0]["models"] == [{"model": "fraud", "version": "3"}]
    series = api.get(
        "/api/v1/hosts/gpu-1/series",
        params={
            "metrics": "cpu_percent,memory_percent,gpu_memory_percent,gpu_power_w",
            "start": now - 60,
            "end": now,
            "step": 60,
        },
    ).json()
    assert series["values"]["cpu_percent"] == [pytest.approx(10.0)]
    assert series["values"]["memory_percent"] == [pytest.approx(25.0)]
    assert series["values"]["gpu_memory_percent"] == [pytest.approx(25.0)]
    assert api.get("/api/v1/hosts/nope/series", params={"metrics": "cpu_percent"}).status_code == 404
    bad = api.post(
        "/api/v1/resources",
        content=orjson.dumps({"batch_id": "r2", "samples": [{"host": "h", "cpu_percent": -5}]}),
    )
    assert bad.status_code == 422 and bad.json()["message"].startswith("samples[0].cpu_percent")
