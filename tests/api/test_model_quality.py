"""Late ground truth: labels by prediction id, quality per window of the original predictions."""

from __future__ import annotations

import math
import random
import time
import uuid
from typing import Any

import numpy as np
import orjson
import pytest


def post(api: Any, path: str, key: str, items: list[dict[str, Any]]) -> Any:
    r = api.post(path, content=orjson.dumps({"batch_id": uuid.uuid4().hex, key: items}))
    assert r.status_code == 200, r.text
    return r.json()


def test_classification_quality_with_late_duplicate_and_unknown_labels(api: Any) -> None:
    api.post("/api/v1/models", json={"name": "fraud", "type": "classification"})
    rng = np.random.default_rng(5)
    hour = math.floor(time.time() / 3600) * 3600 - 2 * 3600
    n = 3000
    truth = rng.integers(0, 2, n)
    pred = np.where(rng.random(n) < 0.85, truth, 1 - truth)  # 85% right
    events = [
        {
            "model": "fraud",
            "timestamp": hour + i * 7200 / n,
            "prediction_id": f"p{i}",
            "prediction": int(pred[i]),
            "latency_ms": 3.0,
        }
        for i in range(n)
    ]
    post(api, "/api/v1/events", "events", events)
    labels = [{"prediction_id": f"p{i}", "actual": int(1 - truth[i])} for i in range(0, n, 3)]  # wrong first...
    labels += [{"prediction_id": f"p{i}", "actual": int(truth[i])} for i in range(n)]  # ...then corrected
    random.Random(1).shuffle(labels[len(labels) // 2 :])  # order within the second send does not matter
    post(api, "/api/v1/actuals", "actuals", labels[: n // 3 + 1])  # the wrong ones, in one batch
    for i in range(n // 3 + 1, len(labels), 700):  # then the right ones: the last write wins
        post(api, "/api/v1/actuals", "actuals", labels[i : i + 700])
    post(api, "/api/v1/actuals", "actuals", [{"prediction_id": "nobody-made-me", "actual": 1}])

    q = api.get("/api/v1/models/fraud/quality", params={"start": hour, "end": hour + 3600}).json()
    first = slice(0, n // 2)
    assert q["task"] == "classification" and q["n"] == n // 2
    acc = float(np.mean(truth[first] == pred[first]))
    assert q["metrics"]["accuracy"] == pytest.approx(acc, abs=1e-12)
    tp = float(np.sum((pred[first] == 1) & (truth[first] == 1)))
    assert q["metrics"]["precision"] == pytest.approx(tp / np.sum(pred[first] == 1), abs=1e-12)
    assert q["metrics"]["recall"] == pytest.approx(tp / np.sum(truth[first] == 1), abs=1e-12)

    series = api.get("/api/v1/models/fraud/quality", params={"start": hour, "end": hour + 7200, "step": 3600}).json()
    assert [p["n"] for p in series["points"]] == [n // 2, n // 2]

    svc = api.services
    svc.monitoring.run()  # evaluation records which labels matched
    stats = api.get("/api/v1/actuals/stats").json()
    assert stats["received"] == n + 1 and stats["matched"] == n and stats["unmatched"] == 1
    rows = api.get("/api/v1/models/fraud/results", params={"kind": "quality", "start": hour, "end": hour + 7200})
    values = [r["value"] for r in rows.json()["results"]]
    assert values[:2] == [
        pytest.approx(acc, abs=1e-12),
        pytest.approx(float(np.mean(truth[n // 2 :] == pred[n // 2 :]))),
    ]


def test_regression_quality(api: Any) -> None:
    api.post("/api/v1/models", json={"name": "price", "type": "regression"})
    rng = np.random.default_rng(6)
    now = time.time()
    y = rng.normal(100, 20, 500)
    yhat = y + rng.normal(0, 5, 500)
    post(
        api,
        "/api/v1/events",
        "events",
        [
            {"model": "price", "timestamp": now - 500 + i, "prediction_id": f"r{i}", "prediction": float(yhat[i])}
            for i in range(500)
        ],
    )
    post(api, "/api/v1/actuals", "actuals", [{"prediction_id": f"r{i}", "actual": float(y[i])} for i in range(500)])
    q = api.get("/api/v1/models/price/quality", params={"start": now - 600, "end": now}).json()
    assert q["task"] == "regression" and q["n"] == 500
    assert q["metrics"]["mae"] == pytest.approx(float(np.mean(np.abs(y - yhat))), rel=1e-9)
    assert q["metrics"]["rmse"] == pytest.approx(float(np.sqrt(np.mean((y - yhat) ** 2))), rel=1e-9)


def test_bad_actuals_are_refused_whole(api: Any) -> None:
    r = api.post(
        "/api/v1/actuals",
        content=orjson.dumps(
            {"batch_id": "x", "actuals": [{"prediction_id": "a", "actual": 1}, {"prediction_id": "", "actual": 2}]}
        ),
    )
    assert r.status_code == 422 and r.json()["message"].startswith("actuals[1].prediction_id")
    assert api.get("/api/v1/actuals/stats").json()["received"] == 0
    nested = api.post(
        "/api/v1/actuals",
        content=orjson.dumps({"batch_id": "y", "actuals": [{"prediction_id": "a", "actual": {"x": 1}}]}),
    )
    assert nested.status_code == 422


def test_scheduled_drift_and_data_quality_results(api: Any) -> None:
    rng = np.random.default_rng(8)
    hour = math.floor(time.time() / 3600) * 3600 - 3 * 3600
    api.post(
        "/api/v1/models/s/references",
        params={"name": "train"},
        content=orjson.dumps({"a": rng.normal(0, 1, 3000).tolist()}),
        headers={"Content-Type": "application/json"},
    )
    events = [
        {"model": "s", "timestamp": hour + i * 3, "features": {"a": float(rng.normal(0 if i < 1200 else 2, 1))}}
        for i in range(2400)
    ]  # hour 1 like the reference, hour 2 shifted
    post(api, "/api/v1/events", "events", events)
    svc = api.services
    svc.maintenance.run()
    report = svc.monitoring.run()
    assert report is not None and report.drift >= 2
    drift = api.get("/api/v1/models/s/results", params={"kind": "drift", "start": hour, "end": hour + 7200}).json()
    flagged = [(r["window_start"], r["flagged"]) for r in drift["results"]]
    assert flagged == [(hour, False), (hour + 3600, True)]
    again = svc.monitoring.run()  # nothing new is due: windows are evaluated once
    assert again is not None and again.drift == 0
    dq = api.get("/api/v1/models/s/results", params={"kind": "data_quality", "start": hour, "end": hour + 7200}).json()
    assert len(dq["results"]) == 2 and dq["results"][0]["value"] == 0.0


def test_monitoring_settings_validate_and_apply(api: Any) -> None:
    api.post("/api/v1/events", content=orjson.dumps({"batch_id": "s", "events": [{"model": "m"}]}))
    assert api.get("/api/v1/models/m/monitoring").json()["window_s"] == 3600
    r = api.client.patch(
        "/api/v1/models/m/monitoring",
        headers=api.headers(),
        json={"window_s": 1800, "drift": {"features": {"a": {"method": "psi", "threshold": 0.2}}}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["window_s"] == 1800 and r.json()["drift"]["features"]["a"]["method"] == "psi"
    assert r.json()["drift"]["mode"] == "adaptive"  # untouched settings keep their value
    bad = api.client.patch("/api/v1/models/m/monitoring", headers=api.headers(), json={"window_s": 1000})
    assert bad.status_code == 422 and "window_s" in bad.json()["message"]
    unknown = api.client.patch(
        "/api/v1/models/m/monitoring", headers=api.headers(), json={"drift": {"features": {"a": {"method": "magic"}}}}
    )
    assert unknown.status_code == 422
