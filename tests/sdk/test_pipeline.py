"""Batching, retries, the breaker and the bounds, driving Pipeline.step() on a fake clock."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import uuid
from collections.abc import Callable

import httpx
import pytest

import monitorx
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeClock, FakeServer

MakePipeline = Callable[..., Pipeline]


def connect_error() -> httpx.ConnectError:
    return httpx.ConnectError("connection refused")


def log_n(n: int, start: int = 0, model: str = "m") -> None:
    for i in range(start, start + n):
        monitorx.log(model=model, latency_ms=float(i), error=False, tags={"i": str(i)})


def test_full_batches_go_at_once_and_the_rest_after_the_interval(
    make_pipeline: MakePipeline, clock: FakeClock, fake_server: FakeServer
) -> None:
    pipeline = make_pipeline(fake_server, batch_size=3, flush_interval_s=1.0)
    log_n(7)
    pipeline.step()
    assert [len(b["events"]) for b in fake_server.bodies] == [3, 3]
    clock.advance(0.5)
    pipeline.step()
    assert len(fake_server.bodies) == 2  # the seventh waits for the interval
    clock.advance(0.5)
    pipeline.step()
    assert [len(b["events"]) for b in fake_server.bodies] == [3, 3, 1]
    assert [e["latency_ms"] for e in fake_server.items()] == [float(i) for i in range(7)]
    assert monitorx.delivery_stats().sent == 7
    assert monitorx.delivery_stats().batches_sent == 3


def test_each_batch_is_gzipped_json_with_a_fresh_uuid4_batch_id(
    make_pipeline: MakePipeline, fake_server: FakeServer
) -> None:
    pipeline = make_pipeline(fake_server, batch_size=2, api_key="mx_test")
    log_n(4)
    pipeline.step()
    ids = fake_server.batch_ids()
    assert len(ids) == len(set(ids)) == 2
    assert all(uuid.UUID(i).version == 4 for i in ids)
    request = fake_server.requests[0]
    assert request.url.path == "/api/v1/events"
    assert request.headers["content-encoding"] == "gzip"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer mx_test"
    assert json.loads(gzip.decompress(request.content))["batch_id"] == ids[0]


def test_uncompressed_when_asked(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server, compress=False)
    log_n(1)
    pipeline.flush()
    assert "content-encoding" not in fake_server.requests[0].headers
    assert json.loads(fake_server.requests[0].content)["events"][0]["model"] == "m"


def test_a_retried_batch_keeps_its_batch_id_and_is_stored_once(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([503, connect_error(), 500])
    pipeline = make_pipeline(server, backoff_base_s=1.0, backoff_max_s=60.0)
    log_n(2)
    waits = []
    for _ in range(4):
        pipeline.flush() if not waits else pipeline.step()
        waits.append(pipeline.step())
        clock.advance(waits[-1] + 0.001)
    assert len(server.requests) == 4
    assert len(set(server.batch_ids())) == 1
    assert len(server.items()) == 2
    stats = monitorx.delivery_stats()
    assert (stats.sent, stats.retried, stats.failed_batches, stats.dropped_total) == (2, 3, 0, 0)


def test_backoff_waits_grow_within_the_full_jitter_ceiling(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([connect_error()] * 6)
    pipeline = make_pipeline(server, backoff_base_s=0.5, backoff_max_s=4.0, breaker_failures=100)
    log_n(1)
    pipeline.flush()
    for attempt in range(1, 7):
        wait = pipeline.step()
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        assert 0.0 <= wait <= ceiling
        clock.advance(wait / 2)
        before = len(server.requests)
        pipeline.step()
        assert len(server.requests) == before  # not yet due: nothing sent
        clock.advance(wait / 2 + 0.001)
        pipeline.step()
    assert len(server.items()) == 1


def test_a_4xx_is_not_retried_but_dropped_counted_and_logged_once(
    make_pipeline: MakePipeline, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeServer([422, 422])
    pipeline = make_pipeline(server, batch_size=2)
    with caplog.at_level(logging.WARNING, logger="monitorx"):
        log_n(4)
        pipeline.step()
        for _ in range(5):
            clock.advance(10)
            pipeline.step()
    assert len(server.requests) == 2
    stats = monitorx.delivery_stats()
    assert stats.dropped["rejected"] == 4 and stats.failed_batches == 2 and stats.retried == 0
    rejected = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(rejected) == 1
    assert "scripted 422" in rejected[0].getMessage()
    assert stats.breaker == "closed"


def test_429_waits_for_retry_after_and_does_not_trip_the_breaker(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    too_many = httpx.Response(429, headers={"Retry-After": "7"})
    server = FakeServer([too_many] * 4)
    pipeline = make_pipeline(server, breaker_failures=2)
    log_n(1)
    pipeline.flush()
    for _ in range(3):
        assert pipeline.step() == pytest.approx(7.0)
        clock.advance(6.9)
        requests = len(server.requests)
        pipeline.step()
        assert len(server.requests) == requests
        clock.advance(0.2)
        pipeline.step()
    assert monitorx.delivery_stats().breaker == "closed"
    clock.advance(7.1)
    pipeline.step()
    assert len(server.items()) == 1


def test_the_breaker_stops_hammering_a_dead_server_then_probes(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([connect_error()] * 4)
    pipeline = make_pipeline(server, breaker_failures=3, breaker_reset_s=10.0, backoff_base_s=0.01)
    log_n(5)
    pipeline.flush()
    for _ in range(5):
        clock.advance(0.02)
        pipeline.step()
    assert len(server.requests) == 3
    assert monitorx.delivery_stats().breaker == "open"
    for _ in range(20):  # 9.5 s of a dead server: no request
        clock.advance(0.475)
        pipeline.step()
    assert len(server.requests) == 3
    clock.advance(1.0)
    pipeline.step()  # half-open: one probe, which fails
    assert len(server.requests) == 4
    assert monitorx.delivery_stats().breaker == "open"
    clock.advance(5.0)
    log_n(5, start=5)  # new events keep coming while it is open
    pipeline.step()
    assert len(server.requests) == 4
    clock.advance(5.1)
    pipeline.step()  # the next probe succeeds and everything buffered follows
    assert monitorx.delivery_stats().breaker == "closed"
    assert sorted(e["latency_ms"] for e in server.items()) == [float(i) for i in range(10)]
    assert len({b["batch_id"] for b in server.bodies}) == 2


def test_the_unsent_buffer_is_bounded_dropping_the_oldest(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([connect_error()] * 3)
    pipeline = make_pipeline(server, batch_size=2, max_buffer_events=5, breaker_failures=100, backoff_base_s=0.01)
    for start in (0, 2, 4):
        log_n(2, start=start)
        pipeline.flush()
        clock.advance(1)
    stats = monitorx.delivery_stats()
    assert stats.dropped["buffer_full"] == 2 and stats.failed_batches == 1 and stats.queued == 4
    pipeline.step()
    assert sorted(e["latency_ms"] for e in server.items()) == [2.0, 3.0, 4.0, 5.0]
    assert monitorx.delivery_stats().queued == 0


def test_a_full_queue_drops_the_oldest_records(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server, max_queue=10)
    log_n(25)
    assert pipeline.flush()
    assert [e["latency_ms"] for e in fake_server.items()] == [float(i) for i in range(15, 25)]
    stats = monitorx.delivery_stats()
    assert stats.dropped["queue_full"] == 15 and stats.sent == 10


def test_413_splits_the_batch(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    fake_server.script = [413]
    pipeline = make_pipeline(fake_server, batch_size=4)
    log_n(4)
    pipeline.step()
    assert [len(b["events"]) for b in fake_server.bodies] == [4, 2, 2]
    assert len(set(fake_server.batch_ids())) == 3
    assert [e["latency_ms"] for e in fake_server.items()] == [0.0, 1.0, 2.0, 3.0]
    assert monitorx.delivery_stats().dropped_total == 0


def test_an_invalid_record_is_dropped_alone(
    make_pipeline: MakePipeline, fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = make_pipeline(fake_server)
    log_n(2)
    monitorx.log(model="", latency_ms=1.0)
    monitorx.log(model="m", version="v" * 201)
    log_n(1, start=2)
    with caplog.at_level(logging.WARNING, logger="monitorx"):
        pipeline.flush()
    assert [e["latency_ms"] for e in fake_server.items()] == [0.0, 1.0, 2.0]
    assert monitorx.delivery_stats().dropped["invalid"] == 2
    assert any("model: must not be empty" in r.getMessage() for r in caplog.records)


def test_max_retries_gives_up_and_counts(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([500, 500])
    pipeline = make_pipeline(server, max_retries=1, backoff_base_s=0.01)
    log_n(3)
    pipeline.flush()
    clock.advance(1)
    pipeline.step()
    stats = monitorx.delivery_stats()
    assert len(server.requests) == 2
    assert stats.dropped["retries_exhausted"] == 3 and stats.failed_batches == 1 and stats.queued == 0


def test_a_transport_that_raises_anything_is_a_retry_not_a_crash(make_pipeline: MakePipeline, clock: FakeClock) -> None:
    server = FakeServer([RuntimeError("a broken custom transport")])
    pipeline = make_pipeline(server)
    log_n(1)
    pipeline.flush()
    clock.advance(1)
    pipeline.step()
    assert len(server.items()) == 1


def test_close_counts_what_could_not_be_sent(make_pipeline: MakePipeline) -> None:
    server = FakeServer([connect_error()] * 100)
    pipeline = make_pipeline(server, install=False)
    pipeline.events.put(("not", "a", "record"))
    for i in range(3):
        pipeline.events.put((0, 1.0, "m", None, None, float(i), False, None, None, None, None, None,
                             None, None, None, None, None, None))  # fmt: skip
    assert not pipeline.close(0)
    stats = pipeline.stats()
    assert stats.dropped["shutdown"] == 3 and stats.dropped["encode_error"] == 1


def test_flush_with_the_sender_thread(fake_server: FakeServer) -> None:
    assert monitorx.init(url="http://monitorx.test", transport=fake_server.transport, flush_interval_s=30)
    log_n(5)
    assert monitorx.flush(timeout=10)
    assert [e["latency_ms"] for e in fake_server.items()] == [0.0, 1.0, 2.0, 3.0, 4.0]
    stats = monitorx.delivery_stats()
    assert stats.sent == 5 and stats.queued == 0 and stats.breaker == "closed"
    assert monitorx.shutdown(timeout=5)
    monitorx.log(model="m", latency_ms=1.0)  # after shutdown: a no-op
    assert monitorx.delivery_stats().enabled is False


def test_flush_gives_up_at_its_timeout_when_the_server_hangs() -> None:
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(30)
        return httpx.Response(200, json={})

    monitorx.init(url="http://monitorx.test", transport=httpx.MockTransport(hang))
    log_n(1)
    assert monitorx.flush(timeout=0.2) is False
    release.set()
    assert monitorx.flush(timeout=10)


def test_init_without_a_usable_url_disables_quietly(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MONITORX_URL", raising=False)
    with caplog.at_level(logging.WARNING, logger="monitorx"):
        assert monitorx.init() is False
        assert monitorx.init(url="ftp://example.com") is False
    assert "no server URL" in caplog.text and "must start with http" in caplog.text

    @monitorx.monitor(model="m")
    def predict(features: dict[str, float]) -> float:
        return 1.0

    assert predict({"a": 1.0}) == 1.0
    assert monitorx.flush() is True
    assert monitorx.delivery_stats().enabled is False


def test_init_reads_the_environment(monkeypatch: pytest.MonkeyPatch, fake_server: FakeServer) -> None:
    monkeypatch.setenv("MONITORX_URL", "http://from-env.test")
    monkeypatch.setenv("MONITORX_API_KEY", "mx_env")
    assert monitorx.init(transport=fake_server.transport)
    log_n(1)
    assert monitorx.flush(5)
    assert fake_server.requests[0].url.host == "from-env.test"
    assert fake_server.requests[0].headers["authorization"] == "Bearer mx_env"


def test_out_of_range_options_fail_loudly_at_init() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        monitorx.init(url="http://x.test", batch_size=0)


def test_both_json_encoders_give_the_same_body() -> None:
    from monitorx.sdk import delivery

    events: list[dict[str, object]] = [
        {"model": "m", "features": {"big": 2**70, "x": 1.5, "s": "ü"}, "tags": {"a": "b"}},
        {"model": "m", "prediction": None, "error": False},
    ]
    batch = delivery.encode("/api/v1/events", "events", events, compress=False)  # orjson here, if installed
    decoded = json.loads(batch.body)
    assert decoded["events"] == events
    assert json.loads(delivery._stdlib_dumps({"events": events}))["events"] == events
