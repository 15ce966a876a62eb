"""Simulated traffic for ``monitorx demo``: what a newcomer needs to see a live dashboard at once.

Four models in one project: a fraud classifier that deploys v2 as a canary, a price regressor with a
recurring latency incident, an LLM chat service with tokens, cost and time-to-first-token, and an image
tagger in two environments. A burst of errors comes every 20 minutes, and the fraud model's ``amount``
feature drifts upwards hour by hour. Three models get a reference ("training data" drawn from the same
generators at a quiet, undrifted moment), and the fraud model's predictions get labels a minute
later. Everything is a function of wall-clock time, so the history created at start and the live
traffic tell one story.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from monitorx.store import tables as t

log = logging.getLogger("monitorx.demo")


@dataclass(frozen=True)
class DemoModel:
    name: str
    type: str
    description: str
    thresholds: dict[str, float]


MODELS = (
    DemoModel("fraud-detector", "classification", "Card-payment fraud scores (demo).", {"latency_p95_ms": 120}),
    DemoModel("price-estimator", "regression", "House price estimates (demo).", {"latency_p95_ms": 250}),
    DemoModel("support-chat", "llm", "Customer-support assistant (demo).", {"latency_p95_ms": 4000}),
    DemoModel("image-tagger", "cv", "Product photo tagging (demo).", {"latency_p95_ms": 150}),
)
# fraud-detector's v2 serves a 10% canary for an hour, then ramps to 90% over half an hour, in every 3 hours.
# v1 always keeps some traffic, so "compare by version" has two lines to show at any time of day.
DEPLOY_PERIOD_S = 3 * 3600
CANARY_SHARE, ROLLED_OUT_SHARE = 0.1, 0.9
COUNTRIES = ("DE", "FR", "US", "GB", "ES", "IT", "NL", "PL")
CITIES = ("Berlin", "Paris", "Madrid", "Rome", "Amsterdam", "Warsaw")


def register_models(registry: Any, project_id: int) -> None:
    """Give the demo models their types and thresholds (implicit registration would say 'other')."""
    known = {m.name for m in registry.list_models(project_id)}
    for m in MODELS:
        if m.name not in known:
            registry.create_model(project_id, m.name, m.type, m.description, m.thresholds)


def reference_columns(name: str, rows: int = 5000, seed: int = 11) -> dict[str, list[Any]]:
    """A "training set" for a demo model: its generator at an undrifted, quiet moment."""
    rng = random.Random(seed)
    columns: dict[str, list[Any]] = {}
    for i in range(rows):
        ev = GENERATORS[name](rng, 86400.0 * 100 + 600 + i % 60)  # start of a day: no drift, no incident
        for feature, value in ev.get("features", {}).items():
            columns.setdefault(feature, []).append(value)
        if "prediction" in ev:
            columns.setdefault("__prediction__", []).append(ev["prediction"])
    return columns


def create_references(drift: Any, registry: Any, project_id: int) -> None:
    """References for the models with features, so drift shows from the first evaluated hour."""
    for name in ("fraud-detector", "price-estimator", "image-tagger"):
        model = registry.get_model(project_id, name)
        with drift.db.read() as conn:
            has = conn.execute(
                select(t.reference_sets.c.id).where(t.reference_sets.c.model_id == model.id).limit(1)
            ).first()
        if not has:
            drift.create_reference_from_columns(
                project_id, name, "demo-training", reference_columns(name), {"source": "monitorx demo"}
            )


def labels_for(rng: random.Random, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ground truth for the fraud model's predictions: fraud is likelier where the score is high."""
    return [
        {"prediction_id": e["prediction_id"], "actual": int(rng.random() < min(1.0, 0.02 + e["prediction"] * 1.2))}
        for e in events
        if e["model"] == "fraud-detector"
    ]


def _error_burst(ts: float) -> bool:
    return ts % 1200 < 120  # 2 minutes in every 20


def _latency_incident(ts: float) -> bool:
    return 900 <= ts % 1800 < 1200  # 5 minutes in every 30


def _fraud(rng: random.Random, ts: float) -> dict[str, Any]:
    phase = ts % DEPLOY_PERIOD_S
    ramp = 0.0 if phase < 3600 else min(1.0, (phase - 3600) / 1800)
    v2_share = CANARY_SHARE + (ROLLED_OUT_SHARE - CANARY_SHARE) * ramp
    version = "v2" if rng.random() < v2_share else "v1"
    drift = (ts % 86400) / 86400 * 1.5  # the mean of log(amount) creeps up through the day
    amount = rng.lognormvariate(3.5 + drift, 0.8)
    error = _error_burst(ts) and rng.random() < 0.15
    base = 18.0 if version == "v2" else 25.0
    return {
        "version": version,
        "latency_ms": rng.lognormvariate(math.log(base), 0.35),
        "error": error,
        "error_type": rng.choice(("TimeoutError", "FeatureStoreError")) if error else None,
        "prediction_id": f"fd-{uuid.uuid4().hex[:16]}",
        "features": {
            "amount": round(amount, 2),
            "country": rng.choice(COUNTRIES),
            "account_age_days": rng.randint(0, 3650),
            "is_new_device": rng.random() < 0.1,
            "tx_last_24h": rng.randint(0, 30),
        },
        "prediction": round(min(1.0, rng.betavariate(1, 12) * (1 + drift)), 4),
        "tags": {"region": rng.choice(("eu", "eu", "us")), "endpoint": "/score"},
    }


def _price(rng: random.Random, ts: float) -> dict[str, Any]:
    slow = 4.0 if _latency_incident(ts) else 1.0
    sqft = rng.gauss(1100, 300)
    return {
        "version": "v4",
        "latency_ms": rng.lognormvariate(math.log(60 * slow), 0.3),
        "features": {
            "sqft": round(max(200.0, sqft), 1),
            "rooms": rng.randint(1, 6),
            "city": rng.choice(CITIES),
        },
        "prediction": round(max(50_000.0, sqft * 310 + rng.gauss(0, 20_000)), 2),
        "tags": {"region": "eu", "endpoint": "/estimate"},
    }


def _chat(rng: random.Random, ts: float) -> dict[str, Any]:
    out_tokens = rng.randint(40, 600)
    in_tokens = rng.randint(200, 2500)
    ttft = rng.lognormvariate(math.log(320), 0.3)
    error = rng.random() < (0.08 if _error_burst(ts) else 0.005)
    return {
        "version": "2",
        "latency_ms": ttft + out_tokens * rng.uniform(8, 14),
        "error": error,
        "error_type": "RateLimitError" if error else None,
        "input_tokens": in_tokens,
        "output_tokens": out_tokens,
        "ttft_ms": ttft,
        "cost_usd": round(in_tokens * 0.15e-6 + out_tokens * 0.6e-6, 8),
        "provider": "openai",
        "llm_model": "gpt-4o-mini",
        "tags": {"region": "eu", "endpoint": "/chat"},
    }


def _tagger(rng: random.Random, ts: float) -> dict[str, Any]:
    return {
        "version": "v1",
        "environment": "staging" if rng.random() < 0.2 else "prod",
        "latency_ms": rng.lognormvariate(math.log(45), 0.25),
        "features": {"width": rng.choice((640, 1024, 2048)), "format": rng.choice(("jpeg", "png", "webp"))},
        "prediction": rng.choice(("shoe", "bag", "shirt", "watch")),
        "tags": {"region": rng.choice(("eu", "us")), "endpoint": "/tag"},
    }


GENERATORS: dict[str, Callable[[random.Random, float], dict[str, Any]]] = {
    "fraud-detector": _fraud,
    "price-estimator": _price,
    "support-chat": _chat,
    "image-tagger": _tagger,
}
RATE_SHARE = {"fraud-detector": 1.0, "price-estimator": 0.6, "support-chat": 0.15, "image-tagger": 0.4}


def events_between(rng: random.Random, start: float, end: float, rate: float) -> list[dict[str, Any]]:
    out = []
    for name, gen in GENERATORS.items():
        n = max(0, round((end - start) * rate * RATE_SHARE[name] * rng.uniform(0.8, 1.2)))
        for _ in range(n):
            ts = rng.uniform(start, end)
            out.append({"model": name, "timestamp": ts, **gen(rng, ts)})
    return out


def host_samples(rng: random.Random, ts: float) -> list[dict[str, Any]]:
    busy = 1.6 if _latency_incident(ts) else 1.0
    return [
        {
            "host": "cpu-node-1",
            "timestamp": ts,
            "cpu_percent": min(100.0, rng.gauss(35, 5) * busy),
            "memory_used_bytes": int(rng.gauss(6.2e9, 1e8)),
            "memory_total_bytes": 16 * 1024**3,
            "disk_used_bytes": int(42e9),
            "disk_total_bytes": 100 * 1024**3,
            "models": [
                {"model": "fraud-detector", "version": "v2"},
                {"model": "price-estimator", "version": "v4"},
            ],
        },
        {
            "host": "gpu-node-1",
            "timestamp": ts,
            "cpu_percent": rng.gauss(22, 3),
            "memory_used_bytes": int(rng.gauss(24e9, 2e8)),
            "memory_total_bytes": 64 * 1024**3,
            "gpus": [
                {
                    "index": 0,
                    "name": "NVIDIA H100 (simulated)",
                    "utilization_percent": min(100.0, rng.gauss(61, 8)),
                    "memory_used_bytes": int(rng.gauss(41e9, 5e8)),
                    "memory_total_bytes": 80 * 1024**3,
                    "temperature_c": rng.gauss(58, 2),
                    "power_w": rng.gauss(380, 25),
                }
            ],
            "models": [{"model": "image-tagger", "version": "v1"}, {"model": "support-chat", "version": "2"}],
        },
    ]


class DemoTraffic:
    """Posts simulated history, then live traffic every second, to a MonitorX server."""

    def __init__(self, url: str, api_key: str, history_minutes: int = 120, rate_per_model: float = 20.0) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.history_minutes = history_minutes
        self.rate = rate_per_model
        self._stop = threading.Event()
        self.rng = random.Random(7)

    def stop(self) -> None:
        self._stop.set()

    def _post(self, client: httpx.Client, path: str, key: str, items: list[dict[str, Any]]) -> None:
        for i in range(0, len(items), 5000):
            body = orjson.dumps({"batch_id": uuid.uuid4().hex, key: items[i : i + 5000]})
            try:
                r = client.post(self.url + path, content=body, headers=self.headers, timeout=30)
                if r.status_code >= 400:
                    log.warning("demo traffic: %s answered %s: %s", path, r.status_code, r.text[:200])
            except httpx.HTTPError as exc:
                log.warning("demo traffic: %s failed: %s", path, exc)

    def run(self, ready: Callable[[], bool]) -> None:
        while not ready() and not self._stop.is_set():
            time.sleep(0.1)
        with httpx.Client() as client:
            now = time.time()
            start = now - self.history_minutes * 60
            for t0 in range(int(start), int(now), 600):  # history in ten-minute slices
                t1 = min(t0 + 600, now)
                events = events_between(self.rng, t0, t1, self.rate / 2)
                self._post(client, "/api/v1/events", "events", events)
                self._post(client, "/api/v1/actuals", "actuals", labels_for(self.rng, events))
                samples = [s for ts in range(t0, int(t1), 10) for s in host_samples(self.rng, ts)]
                self._post(client, "/api/v1/resources", "samples", samples)
            log.info("demo traffic: %d minutes of history sent; live traffic follows", self.history_minutes)
            last, last_host = time.time(), 0.0
            pending: list[tuple[float, list[dict[str, Any]]]] = []  # labels come a minute after predictions
            while not self._stop.wait(1.0):
                now = time.time()
                events = events_between(self.rng, last, now, self.rate)
                self._post(client, "/api/v1/events", "events", events)
                pending.append((now, labels_for(self.rng, events)))
                while pending and pending[0][0] < now - 60:
                    self._post(client, "/api/v1/actuals", "actuals", pending.pop(0)[1])
                last = now
                if now - last_host >= 10:
                    self._post(client, "/api/v1/resources", "samples", host_samples(self.rng, now))
                    last_host = now
