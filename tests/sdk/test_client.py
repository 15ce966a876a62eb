"""The original async client API, on the shared delivery rules, with a fake sleep."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from monitorx import MonitorXClient

from .fakes import FakeClock, FakeServer

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


class AsyncFakeServer(FakeServer):
    async def handle(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self(request)

    @property
    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


def client(server: AsyncFakeServer, clock: FakeClock, **options: Any) -> MonitorXClient:
    return MonitorXClient(
        "http://monitorx.test/",
        api_key="mx_test",
        transport=server.async_transport,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(3),
        **options,
    )


def test_one_metric_is_sent_at_once_in_the_v1_format(clock: FakeClock) -> None:
    server = AsyncFakeServer()

    async def main() -> bool:
        async with client(server, clock) as c:
            return await c.collect_inference_metric(
                "fraud", "classification", latency=12.5, request_id="r-1", version="3",
                features={"amount": 1.0}, prediction=0.9, tags={"region": "eu"},
            )  # fmt: skip

    assert run(main())
    [event] = server.items()
    assert event["model"] == "fraud" and event["version"] == "3" and event["latency_ms"] == 12.5
    assert event["prediction_id"] == "r-1" and event["prediction"] == 0.9
    assert event["tags"] == {"region": "eu", "model_type": "classification"}
    assert server.requests[0].headers["authorization"] == "Bearer mx_test"


def test_retries_with_backoff_keep_the_batch_id(clock: FakeClock) -> None:
    server = AsyncFakeServer([503, httpx.ConnectError("down")])
    c = client(server, clock, max_retries=3, retry_backoff=1.0)
    assert run(c.collect_inference_metric("m", "regression", 3.0))
    assert len(server.requests) == 3 and len(set(server.batch_ids())) == 1
    assert len(clock.slept) == 2
    assert 0 <= clock.slept[0] <= 1.0 and 0 <= clock.slept[1] <= 2.0
    stats = c.stats()
    assert (stats.sent, stats.retried) == (1, 2)
    run(c.aclose())


def test_what_fails_after_max_retries_is_kept_and_flushed_later_with_the_same_id(clock: FakeClock) -> None:
    server = AsyncFakeServer([500, 500, 500])
    c = client(server, clock, max_retries=2)
    assert not run(c.collect_inference_metric("m", "other", 1.0))
    assert c.get_buffer_size() == 1
    assert run(c.flush_buffer()) == {"flushed": 1, "failed": 0}
    assert len(set(server.batch_ids())) == 1 and len(server.items()) == 1
    assert c.get_buffer_size() == 0


def test_a_4xx_is_not_retried(clock: FakeClock) -> None:
    server = AsyncFakeServer([401])
    c = client(server, clock)
    assert not run(c.collect_inference_metric("m", "other", 1.0))
    assert len(server.requests) == 1 and c.get_buffer_size() == 0
    assert c.stats().dropped["rejected"] == 1


def test_the_breaker_stops_requests_to_a_dead_server(clock: FakeClock) -> None:
    server = AsyncFakeServer([httpx.ConnectError("down")] * 100)
    c = client(server, clock, max_retries=0, breaker_failures=2, breaker_reset_s=60)
    for _ in range(5):
        assert not run(c.collect_inference_metric("m", "other", 1.0))
    assert len(server.requests) == 2
    assert c.stats().breaker == "open"
    assert c.get_buffer_size() == 5
    clock.advance(61)
    server.script = []
    assert run(c.flush_buffer()) == {"flushed": 5, "failed": 0}
    assert c.stats().breaker == "closed"


def test_buffering_queues_until_flush_and_is_bounded(clock: FakeClock) -> None:
    server = AsyncFakeServer()
    c = client(server, clock, buffer_size=3)
    c.enable_buffering()

    async def main() -> dict[str, int]:
        for i in range(5):
            assert await c.collect_inference_metric("m", "other", float(i))
        assert not server.requests
        return await c.flush_buffer()

    assert run(main()) == {"flushed": 3, "failed": 0}
    assert [e["latency_ms"] for e in server.items()] == [2.0, 3.0, 4.0]
    assert len(server.requests) == 1
    assert c.stats().dropped["buffer_full"] == 2
    c.disable_buffering()
    assert run(c.collect_inference_metric("m", "other", 9.0))
    assert len(server.requests) == 2


def test_a_batch_is_one_request(clock: FakeClock) -> None:
    server = AsyncFakeServer()
    metrics: list[dict[str, Any]] = [
        {"model_id": "m", "model_type": "llm", "latency": float(i), "error": i == 2} for i in range(4)
    ]
    metrics.append({"latency": 1.0})  # no model_id
    c = client(server, clock)
    assert run(c.collect_inference_metrics_batch(metrics)) == {"success": 4, "failed": 1}
    assert len(server.requests) == 1
    assert [e["error"] for e in server.items()] == [False, False, True, False]


def test_leaving_the_context_flushes_the_buffer(clock: FakeClock) -> None:
    server = AsyncFakeServer()

    async def main() -> None:
        async with client(server, clock) as c:
            c.enable_buffering()
            await c.collect_inference_metrics_batch([{"model_id": "m", "model_type": "x", "latency": 1.0}])

    run(main())
    assert len(server.items()) == 1


def test_legacy_arguments_are_accepted(clock: FakeClock) -> None:
    server = AsyncFakeServer()
    c = client(server, clock)
    assert run(c.collect_inference_metric("m", "cv", 4.0, throughput=10.0, error_rate=0.1, resource_usage=None))
    assert server.items()[0]["latency_ms"] == 4.0
