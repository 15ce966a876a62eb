"""@monitor, trace() and log(): the user's function behaves exactly as before, and the
events carry the right fields (checked on what reaches the wire)."""

from __future__ import annotations

import asyncio
import inspect
import math
import time
from collections.abc import Callable
from typing import Any

import pytest

import monitorx
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeServer

MakePipeline = Callable[..., Pipeline]
BOOM = ValueError("the model failed")


def sent(pipeline: Pipeline, server: FakeServer, key: str = "events") -> list[dict[str, Any]]:
    assert pipeline.flush()
    return server.items(key)


@monitorx.monitor(model="fraud", version="3")
def predict(features: dict[str, Any], threshold: float = 0.5) -> float:
    """Score a transaction."""
    if features.get("fail"):
        raise BOOM
    return 0.93


def test_the_decorated_function_is_unchanged_when_monitorx_is_not_initialised() -> None:
    assert predict({"amount": 1.0}) == 0.93
    with pytest.raises(ValueError) as caught:
        predict({"fail": True})
    assert caught.value is BOOM
    assert predict.__name__ == "predict" and predict.__doc__ == "Score a transaction."
    assert inspect.signature(predict) == inspect.signature(predict.__wrapped__)  # type: ignore[attr-defined]


def test_a_sync_call_is_recorded_with_its_fields(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server, environment="staging")

    @monitorx.monitor(model="fraud", version="3", tags={"region": "eu"})
    def slow(features: dict[str, Any]) -> dict[str, float]:
        time.sleep(0.02)
        return {"yes": 0.8, "no": 0.2}

    before = time.time()
    features = {"amount": 120.5, "country": "DE", "is_new": True, "age": None, "bad": math.nan}
    assert slow(features) == {"yes": 0.8, "no": 0.2}
    prediction_id = monitorx.last_prediction_id()
    [event] = sent(pipeline, fake_server)
    assert event["model"] == "fraud" and event["version"] == "3" and event["environment"] == "staging"
    assert event["latency_ms"] >= 20.0  # it slept 20 ms: a lower bound, not a timing assertion
    assert event["error"] is False and "error_type" not in event
    assert event["features"] == {"amount": 120.5, "country": "DE", "is_new": True, "age": None, "bad": None}
    assert event["prediction"] == {"yes": 0.8, "no": 0.2}
    assert event["tags"] == {"region": "eu"}
    assert event["prediction_id"] == prediction_id and len(prediction_id or "") == 16
    assert before <= event["timestamp"] <= time.time()


def test_an_exception_is_recorded_and_reraised_unchanged(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    with pytest.raises(ValueError) as caught:
        predict({"fail": True})
    assert caught.value is BOOM
    assert caught.traceback[-1].name == "predict"  # the user's frame is still where it was raised
    [event] = sent(pipeline, fake_server)
    assert event["error"] is True and event["error_type"] == "ValueError"
    assert "prediction" not in event and event["features"] == {"fail": True}


def test_control_flow_exceptions_pass_through_unrecorded(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    @monitorx.monitor(model="m")
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert sent(pipeline, fake_server) == []


def test_async_functions_stay_async(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    @monitorx.monitor(model="chat", version="2")
    async def answer(features: dict[str, Any]) -> str:
        await asyncio.sleep(0.01)
        if features.get("fail"):
            raise BOOM
        return "hi"

    assert inspect.iscoroutinefunction(answer)

    async def main() -> list[str | None]:
        assert await answer({"q": 1}) == "hi"
        first = monitorx.last_prediction_id()
        with pytest.raises(ValueError) as caught:
            await answer({"fail": True})
        assert caught.value is BOOM
        return [first, monitorx.last_prediction_id()]

    ids = asyncio.run(main())
    events = sent(pipeline, fake_server)
    assert [e["prediction_id"] for e in events] == ids
    assert [e.get("prediction") for e in events] == ["hi", None]
    assert [e["error"] for e in events] == [False, True]
    assert all(e["latency_ms"] >= 10.0 for e in events)


def test_last_prediction_id_is_per_task(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    @monitorx.monitor(model="m")
    async def score(features: dict[str, int]) -> int:
        await asyncio.sleep(0.01 * features["n"])
        return features["n"]

    async def one(n: int) -> tuple[int, str | None]:
        await score({"n": n})
        await asyncio.sleep(0.05)  # the other tasks record in between
        return n, monitorx.last_prediction_id()

    async def main() -> list[tuple[int, str | None]]:
        return list(await asyncio.gather(*(one(n) for n in range(3))))

    results = asyncio.run(main())
    by_id = {e["prediction_id"]: e["prediction"] for e in sent(pipeline, fake_server)}
    assert all(by_id[pid] == n for n, pid in results)


class Scorer:
    @monitorx.monitor(model="m")
    def predict(self, row: dict[str, int]) -> int:
        return len(row)


def test_which_argument_holds_the_features(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    @monitorx.monitor(model="m")
    def first_positional(x: dict[str, int], features: dict[str, int] | None = None) -> int:
        return 0

    @monitorx.monitor(model="m", features="payload")
    def named(request_id: str, payload: dict[str, int]) -> int:
        return 0

    @monitorx.monitor(model="m", features=False)
    def off(features: dict[str, int]) -> int:
        return 0

    @monitorx.monitor(model="m")
    def not_a_mapping(values: list[int]) -> int:
        return 0

    first_positional({"x": 1}, features={"f": 1})  # the parameter named "features" wins
    first_positional({"x": 2})
    named("r1", payload={"p": 1})
    named("r2", {"p": 2})
    off({"f": 1})
    not_a_mapping([1, 2])
    Scorer().predict({"a": 1, "b": 2})
    events = sent(pipeline, fake_server)
    assert [e.get("features") for e in events] == [
        {"f": 1},
        None,
        {"p": 1},
        {"p": 2},
        None,
        None,
        {"a": 1, "b": 2},
    ]


def test_trace_records_a_block_with_llm_fields(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    with monitorx.trace(model="chat", version="2", features={"prompt_len": 812}) as t:
        t.log_llm(input_tokens=812, output_tokens=120, ttft_ms=230, cost_usd=0.003)
        t.log_llm(provider="openai", llm_model="gpt-4o-mini")  # later calls add, not erase
        t.set_tag("endpoint", "/chat")
        t.prediction = "Hello!"
    [event] = sent(pipeline, fake_server)
    assert event["input_tokens"] == 812 and event["output_tokens"] == 120
    assert event["ttft_ms"] == 230 and event["cost_usd"] == 0.003
    assert event["provider"] == "openai" and event["llm_model"] == "gpt-4o-mini"
    assert event["tags"] == {"endpoint": "/chat"} and event["prediction"] == "Hello!"
    assert event["features"] == {"prompt_len": 812}
    assert event["prediction_id"] == t.prediction_id == monitorx.last_prediction_id()


def test_trace_records_and_propagates_an_error(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    with pytest.raises(ValueError) as caught, monitorx.trace(model="chat", prediction_id="req-42"):
        raise BOOM
    assert caught.value is BOOM
    with monitorx.trace(model="chat") as t:
        t.error_type = "Timeout"  # an error the block handled itself
    events = sent(pipeline, fake_server)
    assert [(e["error"], e.get("error_type")) for e in events] == [(True, "ValueError"), (True, "Timeout")]
    assert events[0]["prediction_id"] == "req-42"


def test_async_trace_and_first_token(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    async def main() -> float:
        async with monitorx.trace(model="chat") as t:
            await asyncio.sleep(0.01)
            ttft = t.first_token()
            await asyncio.sleep(0.01)
        return ttft

    ttft = asyncio.run(main())
    [event] = sent(pipeline, fake_server)
    assert event["ttft_ms"] == ttft >= 10.0
    assert event["latency_ms"] > event["ttft_ms"]


def test_log_takes_errors_in_three_forms(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    monitorx.log(model="m", latency_ms=1.5, error=False, tags={"a": "x", "b": "y"})
    monitorx.log(model="m", latency_ms=2.5, error=TimeoutError("slow"))
    monitorx.log(model="m", latency_ms=None, error="RateLimited")
    monitorx.log(model="m", latency_ms=-3, error=True, error_type="Bad", prediction_id="p-1", timestamp=1_795_333_093.1)
    events = sent(pipeline, fake_server)
    assert [(e.get("latency_ms"), e["error"], e.get("error_type")) for e in events] == [
        (1.5, False, None),
        (2.5, True, "TimeoutError"),
        (None, True, "RateLimited"),
        (None, True, "Bad"),  # a negative latency is a clock bug: sent as null, not rejected
    ]
    assert events[0]["tags"] == {"a": "x", "b": "y"}
    assert events[3]["prediction_id"] == "p-1" and events[3]["timestamp"] == 1_795_333_093.1


def test_log_actual_goes_to_the_actuals_endpoint(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    predict({"amount": 3.0})
    prediction_id = monitorx.last_prediction_id()
    assert prediction_id is not None
    monitorx.log_actual(prediction_id, 1, timestamp=1_795_333_093.1)
    [actual] = sent(pipeline, fake_server, key="actuals")
    assert actual == {"prediction_id": prediction_id, "actual": 1, "timestamp": 1_795_333_093.1}
    assert any(r.url.path == "/api/v1/actuals" for r in fake_server.requests)


def test_prediction_ids_are_unique(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    for i in range(500):
        predict({"i": i})
    ids = [e["prediction_id"] for e in sent(pipeline, fake_server)]
    assert len(set(ids)) == 500
