"""The examples run: the streaming one against a canned OpenAI-style event stream."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MakePipeline = Callable[..., Pipeline]


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def sse(*chunks: object) -> bytes:
    lines = [": keep-alive"] + [f"data: {json.dumps(c)}" for c in chunks] + ["data: [DONE]"]
    return ("\n\n".join(lines) + "\n\n").encode()


def chat_server(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    stream = sse(
        {"choices": [{"delta": {"role": "assistant"}}]},
        {"choices": [{"delta": {"content": "Rayleigh "}}]},
        {"choices": [{"delta": {"content": "scattering."}}]},
        {"choices": [], "usage": {"prompt_tokens": 812, "completion_tokens": 120, "total_tokens": 932}},
    )
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)


def test_openai_stream_records_tokens_ttft_and_cost(
    make_pipeline: MakePipeline, fake_server: FakeServer, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load("openai_stream")
    pipeline = make_pipeline(fake_server)
    with httpx.Client(base_url="http://llm.test/v1", transport=httpx.MockTransport(chat_server)) as client:
        answer = example.stream_chat(
            client,
            "gpt-4o-mini",
            [{"role": "user", "content": "Why is the sky blue?"}],
            prices=example.Prices(0.15, 0.60),
        )
    assert answer == "Rayleigh scattering."
    assert "Rayleigh scattering." in capsys.readouterr().out
    assert pipeline.flush()
    [event] = fake_server.items()
    assert event["model"] == "chat-assistant" and event["llm_model"] == "gpt-4o-mini"
    assert (event["input_tokens"], event["output_tokens"]) == (812, 120)
    assert event["cost_usd"] == pytest.approx((812 * 0.15 + 120 * 0.60) / 1e6)
    assert 0 <= event["ttft_ms"] <= event["latency_ms"]
    assert event["prediction"] == "Rayleigh scattering."
    assert event["features"] == {"messages": 1, "prompt_chars": 20}


def test_quickstart_runs(fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import monitorx

    example = load("quickstart")
    real_init = monitorx.init
    monkeypatch.setattr(
        monitorx,
        "init",
        lambda **kw: real_init(url="http://monitorx.test", transport=fake_server.transport, **kw),
    )
    monkeypatch.setattr(example.time, "sleep", lambda s: None)
    example.main()
    assert len(fake_server.items()) >= 150 and fake_server.items("actuals")
