"""The SDK against the real server (``monitorx serve`` in a subprocess, SQLite in a temp dir):
what arrives, exactly once, through outages, failing answers and overflow."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from typing import Any, Literal

import httpx
import pytest

import monitorx
from monitorx.sdk import runtime
from monitorx.sdk.config import Config
from monitorx.sdk.pipeline import Pipeline

from .http_servers import FlakyProxy


def server_events(server: Any, model: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v1/models/{model}/events", params={"limit": 1000}, headers=server.headers())
    if answer.status_code == 404:
        return []
    answer.raise_for_status()
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def server_count(server: Any, model: str) -> float:
    now = time.time()
    answer = httpx.get(
        f"{server.url}/api/v1/models/{model}/series",
        params={"metrics": "count", "start": now - 3600, "end": now + 120, "step": 60},
        headers=server.headers(),
    )
    answer.raise_for_status()
    return sum(v or 0.0 for group in answer.json()["series"] for v in group["values"]["count"])


def by_id(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = [e["prediction_id"] for e in events]
    duplicates = [pid for pid, n in Counter(ids).items() if n > 1]
    assert not duplicates, f"stored more than once: {duplicates[:5]}"
    return {e["prediction_id"]: e for e in events}


def fast_retries(**options: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "flush_interval_s": 0.05,
        "backoff_base_s": 0.05,
        "backoff_max_s": 0.5,
        "breaker_failures": 3,
        "breaker_reset_s": 0.5,
        "timeout_s": 5.0,
    }
    settings.update(options)
    return settings


def test_events_arrive_with_their_values(server: Any) -> None:
    assert monitorx.init(url=server.url, api_key=server.api_key, environment="staging", flush_interval_s=0.1)

    @monitorx.monitor(model="fraud", version="3", tags={"region": "eu"})
    def predict(features: dict[str, Any]) -> dict[str, float]:
        time.sleep(0.005)
        if features["amount"] < 0:
            raise ArithmeticError("negative amount")
        return {"yes": 0.93, "no": 0.07}

    sent_features: dict[str, dict[str, Any]] = {}
    for i in range(5):
        features = {
            "amount": 120.5 + i, "country": "DE", "is_new": i % 2 == 0, "age": None, "score": 0.25 * i,
            "items": i, "channel": "web", "hour": 13, "ratio": 1 / (i + 1), "segment": f"s{i}",
        }  # fmt: skip
        assert predict(features) == {"yes": 0.93, "no": 0.07}
        sent_features[monitorx.last_prediction_id() or ""] = features
    with pytest.raises(ArithmeticError):
        predict({"amount": -1.0})
    error_id = monitorx.last_prediction_id()

    with monitorx.trace(model="chat", version="2", tags={"endpoint": "/chat"}) as t:
        t.log_llm(input_tokens=812, output_tokens=120, ttft_ms=230, cost_usd=0.003, provider="openai",
                  llm_model="gpt-4o-mini")  # fmt: skip
        t.prediction = "Hello there"
    monitorx.log(model="plain", latency_ms=12.5, error=False, tags={"a": "x", "b": "y"}, prediction_id="plain-1")
    monitorx.log(model="plain", latency_ms=40.0, error=TimeoutError(), prediction_id="plain-2")

    assert monitorx.flush(timeout=30)
    stats = monitorx.delivery_stats()
    assert stats.sent == 9 and stats.dropped_total == 0 and stats.queued == 0

    fraud = by_id(server_events(server, "fraud"))
    assert len(fraud) == 6
    for prediction_id, features in sent_features.items():
        event = fraud[prediction_id]
        assert event["features"] == features
        assert event["prediction"] == {"yes": 0.93, "no": 0.07}
        assert event["error"] is False and event.get("error_type") is None
        assert event["tags"] == {"region": "eu"}
        assert event["version"] == "3" and event["environment"] == "staging"
        assert event["latency_ms"] >= 5.0
    assert fraud[error_id or ""]["error"] is True
    assert fraud[error_id or ""]["error_type"] == "ArithmeticError"

    [chat] = server_events(server, "chat")
    assert chat["prediction_id"] == t.prediction_id and chat["prediction"] == "Hello there"
    assert (chat["input_tokens"], chat["output_tokens"], chat["ttft_ms"], chat["cost_usd"]) == (
        812,
        120,
        230,
        0.003,
    )
    assert (chat["provider"], chat["llm_model"]) == ("openai", "gpt-4o-mini")
    assert chat["tags"] == {"endpoint": "/chat"}

    plain = by_id(server_events(server, "plain"))
    assert plain["plain-1"]["latency_ms"] == 12.5 and plain["plain-1"]["tags"] == {"a": "x", "b": "y"}
    assert plain["plain-2"]["error_type"] == "TimeoutError"
    assert (server_count(server, "fraud"), server_count(server, "chat"), server_count(server, "plain")) == (
        6,
        1,
        2,
    )


def test_a_stopped_and_restarted_server_gets_everything_once(server: Any) -> None:
    assert monitorx.init(url=server.url, api_key=server.api_key, **fast_retries())
    expected = []

    def burst(n: int) -> None:
        for _ in range(n):
            prediction_id = f"outage-{len(expected)}"
            monitorx.log(model="outage", latency_ms=float(len(expected)), prediction_id=prediction_id)
            expected.append(prediction_id)

    burst(50)
    assert monitorx.flush(timeout=30)
    server.stop()
    for _ in range(4):
        burst(50)
        time.sleep(0.3)
    deadline = time.monotonic() + 30
    while monitorx.delivery_stats().breaker == "closed" and time.monotonic() < deadline:
        time.sleep(0.05)
    during = monitorx.delivery_stats()
    assert during.breaker in ("open", "half_open") and during.queued == 200
    server.start()
    assert monitorx.flush(timeout=60)
    stats = monitorx.delivery_stats()
    assert stats.sent == 250 and stats.dropped_total == 0 and stats.retried > 0
    stored = by_id(server_events(server, "outage"))
    assert sorted(stored) == sorted(expected)
    assert server_count(server, "outage") == 250


@pytest.mark.parametrize("mode", ["before", "after"])
def test_failed_answers_then_success_store_no_duplicates(server: Any, mode: Literal["before", "after"]) -> None:
    proxy = FlakyProxy(server.url, fail_first=3, mode=mode)
    try:
        assert monitorx.init(url=proxy.url, api_key=server.api_key, **fast_retries(breaker_failures=10))
        for i in range(30):
            monitorx.log(model=f"flaky-{mode}", latency_ms=1.0, prediction_id=f"f-{i}")
        assert monitorx.flush(timeout=30)
    finally:
        proxy.close()
    assert [status for _, status in proxy.posts[:4]] == [500, 500, 500, 200]
    stored = by_id(server_events(server, f"flaky-{mode}"))
    assert sorted(stored) == sorted(f"f-{i}" for i in range(30))
    assert monitorx.delivery_stats().retried == 3 and monitorx.delivery_stats().sent == 30


def test_queue_overflow_drops_the_oldest_and_counts(server: Any) -> None:
    # An unstarted pipeline: the queue overflows deterministically before anything drains it.
    pipeline = Pipeline(Config(url=server.url, api_key=server.api_key, max_queue=100))
    runtime.install(pipeline)
    for i in range(1000):
        monitorx.log(model="overflow", latency_ms=1.0, prediction_id=f"o-{i}")
    assert pipeline.flush()
    stats = monitorx.delivery_stats()
    assert stats.dropped["queue_full"] == 900 and stats.sent == 100
    stored = by_id(server_events(server, "overflow"))
    assert sorted(stored) == sorted(f"o-{i}" for i in range(900, 1000))


def test_a_wrong_key_is_dropped_counted_and_never_raises(server: Any, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "mx_" + "0" * 8 + "_" + "A" * 43
    assert monitorx.init(url=server.url, api_key=wrong, flush_interval_s=0.05)

    @monitorx.monitor(model="nokey")
    def predict(features: dict[str, int]) -> int:
        return 1

    with caplog.at_level("WARNING", logger="monitorx"):
        for _ in range(3):
            assert predict({"a": 1}) == 1
            monitorx.flush(timeout=10)
    stats = monitorx.delivery_stats()
    assert stats.dropped["rejected"] == 3 and stats.sent == 0 and stats.breaker == "closed"
    assert sum("rejected" in r.getMessage() for r in caplog.records) == 1


def test_host_samples_arrive(server: Any) -> None:
    @monitorx.monitor(model="hosted", version="5")
    def predict(features: dict[str, int]) -> int:
        return 1

    assert monitorx.init(url=server.url, api_key=server.api_key, collect_host=True, host_interval_s=0.1)
    predict({"a": 1})
    hostname = socket.gethostname()
    deadline = time.monotonic() + 30
    hosts: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        monitorx.flush(timeout=5)
        answer = httpx.get(f"{server.url}/api/v1/hosts", headers=server.headers())
        hosts = [h for h in answer.json()["hosts"] if h["host"] == hostname]
        if hosts:
            break
        time.sleep(0.1)
    [host] = hosts
    assert host["cpu_percent"] is not None and 0 < host["memory_used_bytes"] <= host["memory_total_bytes"]
    assert {"model": "hosted", "version": "5"} in host["models"]


def test_the_compat_client_against_the_real_server(server: Any) -> None:
    async def main() -> tuple[bool, dict[str, int]]:
        async with monitorx.MonitorXClient(server.url, api_key=server.api_key) as client:
            one = await client.collect_inference_metric("compat", "classification", 12.5, request_id="c-0")
            many = await client.collect_inference_metrics_batch(
                [
                    {
                        "model_id": "compat",
                        "model_type": "classification",
                        "latency": 1.0,
                        "request_id": f"c-{i}",
                    }
                    for i in range(1, 5)
                ]
            )
            return one, many

    one, many = asyncio.run(main())
    assert one and many == {"success": 4, "failed": 0}
    stored = by_id(server_events(server, "compat"))
    assert sorted(stored) == [f"c-{i}" for i in range(5)]
    assert stored["c-0"]["tags"] == {"model_type": "classification"} and stored["c-0"]["latency_ms"] == 12.5


def test_interpreter_exit_flushes(server: Any) -> None:
    code = textwrap.dedent(
        f"""
        import monitorx
        monitorx.init(url={server.url!r}, api_key={server.api_key!r}, flush_interval_s=60)
        for i in range(20):
            monitorx.log(model="at-exit", latency_ms=1.0, prediction_id=f"x-{{i}}")
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert sorted(by_id(server_events(server, "at-exit"))) == sorted(f"x-{i}" for i in range(20))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # Python 3.12+
def test_a_forked_child_sends_its_own_events_and_never_the_parents(server: Any) -> None:
    assert monitorx.init(url=server.url, api_key=server.api_key, flush_interval_s=60)
    for i in range(3):
        monitorx.log(model="forked", latency_ms=1.0, prediction_id=f"parent-{i}")
    time.sleep(0.2)  # the parent's sender has staged them (the interval is long): a child must not send them
    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            for i in range(2):
                monitorx.log(model="forked", latency_ms=1.0, prediction_id=f"child-{i}")
            if monitorx.flush(timeout=30) and monitorx.delivery_stats().sent == 2:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert monitorx.flush(timeout=30)
    assert monitorx.delivery_stats().sent == 3
    stored = by_id(server_events(server, "forked"))
    assert sorted(stored) == ["child-0", "child-1", "parent-0", "parent-1", "parent-2"]
