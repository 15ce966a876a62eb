"""Test doubles for the network seam (``httpx.MockTransport``) and for time.

These stand in for the wire, not for a component a user runs: the same SDK code is also
tested against the real server in ``test_live_server.py``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import httpx

Script = int | Exception | httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """A monotonic clock the test moves by hand; ``sleep`` advances it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class FakeServer:
    """Answers POSTs like the ingest endpoints do, or as scripted; remembers every request.

    ``script`` is consumed one entry per request: a status code, an exception to raise (a
    network error), a ready response, or a function of the request. When it runs out,
    requests succeed. ``stored`` keeps each batch once per batch id, like the server.
    """

    def __init__(self, script: list[Script] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []
        self.stored: dict[str, dict[str, Any]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raw = request.content
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        self.bodies.append(body)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            if isinstance(step, httpx.Response):
                return step
            if callable(step):
                return step(request)
            if step >= 300:
                return httpx.Response(step, json={"message": f"scripted {step}"})
        duplicate = body["batch_id"] in self.stored
        self.stored.setdefault(body["batch_id"], body)
        return httpx.Response(
            200, json={"batch_id": body["batch_id"], "accepted": len(_items(body)), "duplicate": duplicate}
        )

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def items(self, key: str = "events") -> list[dict[str, Any]]:
        """Every stored item of that kind, once per batch id, in arrival order."""
        return [item for body in self.stored.values() for item in body.get(key, [])]

    def batch_ids(self) -> list[str]:
        return [body["batch_id"] for body in self.bodies]


def _items(body: dict[str, Any]) -> list[Any]:
    for key in ("events", "samples", "actuals"):
        if key in body:
            return list(body[key])
    return []


def event_record(model: str = "m", latency_ms: float = 1.0, **fields: Any) -> tuple[Any, ...]:
    """A queue record as ``monitorx.log`` builds it (see records.py)."""
    from monitorx.sdk.records import SINGLE

    return (
        SINGLE, fields.get("timestamp", 1_700_000_000.0), model, fields.get("version"),
        fields.get("environment"), latency_ms, fields.get("error", False), fields.get("error_type"),
        fields.get("prediction_id"), fields.get("features"), fields.get("prediction"), fields.get("tags"),
        fields.get("input_tokens"), fields.get("output_tokens"), fields.get("ttft_ms"),
        fields.get("cost_usd"), fields.get("provider"), fields.get("llm_model"),
    )  # fmt: skip
