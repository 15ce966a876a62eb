"""Predictions recorded by the decorator and late labels sent with log_actual give quality on the server."""

from __future__ import annotations

import time
from typing import Any

import httpx

import monitorx


def test_labels_from_log_actual_give_the_model_quality(server: Any) -> None:
    assert monitorx.init(url=server.url, api_key=server.api_key, flush_interval_s=0.1)

    @monitorx.monitor(model="churn", version="1")
    def predict(features: dict[str, Any]) -> int:
        return 1 if features["usage"] < 10 else 0

    start = time.time()
    ids = []
    for usage in range(40):
        predict({"usage": float(usage)})
        ids.append((monitorx.last_prediction_id(), usage))
    for pid, usage in ids:  # truth: churn below 8, so usages 8 and 9 are mistakes
        monitorx.log_actual(pid, 1 if usage < 8 else 0)
    assert monitorx.flush(10)
    monitorx.shutdown()
    r = httpx.get(
        f"{server.url}/api/v1/models/churn/quality",
        headers=server.headers(),
        params={"start": start - 1, "end": time.time() + 1},
    )
    assert r.status_code == 200, r.text
    q = r.json()
    assert q["n"] == 40
    assert q["metrics"]["accuracy"] == 38 / 40
