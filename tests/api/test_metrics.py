"""/metrics in the Prometheus text format, parsed by prometheus_client's own parser."""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np
import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families


def scrape(api: Any, token: str | None = None) -> dict[str, list[Any]]:
    r = api.get("/metrics", token=token)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {f.name: f.samples for f in text_string_to_metric_families(r.text)}


def test_metrics_match_the_query_api(api: Any) -> None:
    now = time.time()
    rng = np.random.default_rng(2)
    lat = rng.lognormal(3, 0.5, 600)
    events = [
        {
            "model": 'fra"ud',
            "version": "3",
            "timestamp": now - 200 + i / 3,
            "latency_ms": float(lat[i]),
            "error": i % 10 == 0,
            "tags": {"region": "eu"},
        }
        for i in range(600)
    ]
    api.post("/api/v1/events", content=orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events}))
    api.post(
        "/api/v1/resources",
        content=orjson.dumps(
            {
                "batch_id": "h",
                "samples": [
                    {"host": "gpu-1", "cpu_percent": 42.0, "gpus": [{"index": 0, "utilization_percent": 90.0}]}
                ],
            }
        ),
    )
    families = scrape(api)
    labels = {"model": 'fra"ud', "version": "3", "environment": "prod"}
    (rate,) = [s for s in families["monitorx_model_requests_per_second"] if s.labels == labels]
    assert rate.value == pytest.approx(600 / 300)
    (errors,) = families["monitorx_model_error_ratio"]
    assert errors.value == pytest.approx(0.1)
    p95 = next(s for s in families["monitorx_model_latency_ms"] if s.labels["quantile"] == "0.95")
    exact = float(np.quantile(lat, 0.95, method="lower"))
    assert abs(p95.value - exact) <= 0.01 * exact
    assert families["monitorx_host_cpu_percent"][0].value == 42.0
    assert families["monitorx_host_gpu_utilization_percent"][0].labels == {"host": "gpu-1", "gpu": "0"}
    assert families["monitorx_build_info"][0].value == 1.0


def test_metrics_need_a_read_key(api: Any) -> None:
    assert api.client.get("/metrics").status_code == 401
    assert api.get("/metrics", token=api.key("ingest")).status_code == 403
    assert "monitorx_build_info" in scrape(api, api.key("read"))
