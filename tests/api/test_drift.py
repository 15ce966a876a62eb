"""Drift and data quality through the HTTP API, against the known truth and the verdict on raw rows."""

from __future__ import annotations

import csv
import io
import time
import uuid
from typing import Any

import numpy as np
import orjson
import pytest

from monitorx.stats.datagen import make_drift_dataset
from monitorx.stats.drift import dataset_drift_from_arrays


def send_events(api: Any, events: list[dict[str, Any]], size: int = 1000) -> None:
    for i in range(0, len(events), size):
        r = api.post(
            "/api/v1/events", content=orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events[i : i + size]})
        )
        assert r.status_code == 200, r.text


def to_csv(table: dict[str, Any]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    names = list(table)
    w.writerow(names)
    for row in zip(*(table[n] for n in names), strict=True):
        w.writerow(
            ["" if v is None else (("true" if v else "false") if isinstance(v, bool | np.bool_) else v) for v in row]
        )
    return out.getvalue().encode()


def events_from(table: dict[str, Any], start: float, span: float, model: str = "m") -> list[dict[str, Any]]:
    names = list(table)
    n = len(table[names[0]])
    out = []
    for i in range(n):
        feats = {}
        for name in names:
            v = table[name][i]
            feats[name] = v.item() if hasattr(v, "item") else v
            if isinstance(feats[name], int) and not isinstance(feats[name], bool):
                feats[name] = float(feats[name])
        out.append({"model": model, "timestamp": start + span * i / n, "latency_ms": 1.0, "features": feats})
    return out


@pytest.fixture
def drift_data() -> Any:
    return make_drift_dataset(4000, 4000, n_numeric=6, n_categorical=3, seed=3)


def test_drift_through_the_api_matches_truth_and_the_raw_verdict(api: Any, drift_data: Any) -> None:
    now = time.time()
    start = now - 3600
    send_events(api, events_from(drift_data.current, start, 3000))
    r = api.post(
        "/api/v1/models/m/references",
        params={"name": "training"},
        content=to_csv(drift_data.reference),
        headers={"Content-Type": "text/csv"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 4000 and r.json()["active"] is True
    assert r.json()["features"] == {n: t.kind for n, t in drift_data.truth.items()}

    report = api.get("/api/v1/models/m/drift", params={"start": start - 60, "end": now}).json()
    assert report["rows"] == 4000
    got = {name: v["drifted"] for name, v in report["drift"]["features"].items()}
    truth = {name: t.drifted for name, t in drift_data.truth.items()}
    assert not any(got[n] for n, drifted in truth.items() if not drifted), "false alarm on an unchanged feature"
    assert sum(got[n] for n, drifted in truth.items() if drifted) >= sum(truth.values()) - 1  # the tiniest may hide
    raw = dataset_drift_from_arrays(drift_data.reference, drift_data.current).to_dict()
    assert got == {name: v["drifted"] for name, v in raw["features"].items()}
    for name, v in report["drift"]["features"].items():
        assert v["method"] == raw["features"][name]["method"]
        assert v["drifted"] == raw["features"][name]["drifted"]
        bound = v["error_bound"] or 0.0
        assert abs(v["statistic"] - raw["features"][name]["statistic"]) <= bound + 1e-9, name
    assert report["drift"]["drifted"] == raw["drifted"]
    assert report["reference"]["name"] == "training"


def test_data_quality_findings(api: Any) -> None:
    now = time.time()
    rng = np.random.default_rng(1)
    ref = {"x": rng.normal(0, 1, 2000).tolist(), "colour": rng.choice(["red", "blue"], 2000).tolist()}
    api.post(
        "/api/v1/models/q/references",
        params={"name": "r"},
        content=orjson.dumps(ref),
        headers={"Content-Type": "application/json"},
    )
    events = []
    for i in range(1000):
        feats: dict[str, Any] = {"x": float(rng.normal(0, 1)), "colour": "red"}
        if i % 10 == 0:
            feats["x"] = None  # 10% missing
        elif i % 10 == 1:
            feats["x"] = "n/a"  # 10% of the wrong type
        elif i % 10 == 2:
            feats["x"] = 50.0  # 10% far outside the reference range
        if i % 4 == 0:
            feats["colour"] = "green"  # a category the reference never saw
        if i % 5 == 0:
            del feats["colour"]  # absent counts as missing
        events.append({"model": "q", "timestamp": now - 600 + i / 10, "features": feats})
    send_events(api, events)
    dq = api.get("/api/v1/models/q/drift", params={"start": now - 3600, "end": now}).json()["data_quality"]
    x, colour = dq["features"]["x"], dq["features"]["colour"]
    assert x["rows"] == 1000 and x["missing_share"] == pytest.approx(0.1) and x["type_errors"] == 100
    assert x["out_of_range_share"] == pytest.approx(100 / 800, abs=0.005)
    assert colour["missing_share"] == pytest.approx(0.2)
    assert colour["new_categories"] == ["green"]
    assert colour["new_category_share"] == pytest.approx(200 / 800)


def test_an_event_alone_in_its_minute_without_a_feature_counts_as_missing(api: Any) -> None:
    minute = time.time() // 60 * 60 - 600
    events = [{"model": "lone", "timestamp": minute - 1, "features": {"x": 1.0}}]  # alone in the minute before
    events += [{"model": "lone", "timestamp": minute + i, "features": {"x": 1.0, "colour": "red"}} for i in range(9)]
    send_events(api, events)
    ref = {"x": [1.0, 2.0, 3.0], "colour": ["red", "blue", "red"]}
    r = api.post(
        "/api/v1/models/lone/references",
        params={"name": "r"},
        content=orjson.dumps(ref),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 201, r.text
    dq = api.get("/api/v1/models/lone/drift", params={"start": minute - 120, "end": minute + 120}).json()
    colour = dq["data_quality"]["features"]["colour"]
    assert colour["rows"] == 10 and colour["missing"] == 1


def test_a_window_of_live_traffic_as_reference(api: Any) -> None:
    now = time.time()
    rng = np.random.default_rng(2)
    first = [
        {"model": "w", "version": "3", "timestamp": now - 7200 + i, "features": {"a": float(rng.normal())}}
        for i in range(1200)
    ]
    later = [
        {"model": "w", "version": "3", "timestamp": now - 1200 + i, "features": {"a": float(rng.normal(1.0))}}
        for i in range(1200)
    ]
    send_events(api, first + later)
    r = api.post(
        "/api/v1/models/w/references/window",
        json={"name": "first-days-v3", "start": now - 7300, "end": now - 5000, "version": ["3"]},
    )
    assert r.status_code == 201, r.text
    assert r.json()["source"] == "window" and r.json()["rows"] == 1200
    same = api.get("/api/v1/models/w/drift", params={"start": now - 7300, "end": now - 5000}).json()
    assert same["drift"]["features"]["a"]["drifted"] is False
    shifted = api.get("/api/v1/models/w/drift", params={"start": now - 1300, "end": now}).json()
    assert shifted["drift"]["features"]["a"]["drifted"] is True
    refs = api.get("/api/v1/models/w/references").json()["references"]
    assert [r["name"] for r in refs] == ["first-days-v3"]


def test_reference_errors_are_clear(api: Any) -> None:
    send_events(api, [{"model": "m", "features": {"a": 1.0}}])
    bad_type = api.post(
        "/api/v1/models/m/references",
        params={"name": "x"},
        content=b"a\n1\n",
        headers={"Content-Type": "application/xml"},
    )
    assert bad_type.status_code == 415 and "text/csv" in bad_type.json()["message"]
    ragged = api.post(
        "/api/v1/models/m/references",
        params={"name": "x"},
        content=b"a,b\n1,2\n3\n",
        headers={"Content-Type": "text/csv"},
    )
    assert ragged.status_code == 422 and "row 3" in ragged.json()["message"]
    assert api.get("/api/v1/models/m/drift").status_code == 404
    ok = api.post(
        "/api/v1/models/m/references", params={"name": "x"}, content=b"a\n1\n2\n", headers={"Content-Type": "text/csv"}
    )
    assert ok.status_code == 201
    dup = api.post(
        "/api/v1/models/m/references", params={"name": "x"}, content=b"a\n1\n", headers={"Content-Type": "text/csv"}
    )
    assert dup.status_code == 409
    assert api.get("/api/v1/models/ghost/drift").status_code == 404
    reader = api.key("read")
    assert (
        api.post(
            "/api/v1/models/m/references",
            token=reader,
            params={"name": "y"},
            content=b"a\n1\n",
            headers={"Content-Type": "text/csv"},
        ).status_code
        == 403
    )


def test_drift_by_tag(api: Any) -> None:
    now = time.time()
    rng = np.random.default_rng(4)
    ref = {"a": rng.normal(0, 1, 3000)}
    api.post(
        "/api/v1/models/t/references",
        params={"name": "r"},
        content=orjson.dumps({"a": ref["a"].tolist()}),
        headers={"Content-Type": "application/json"},
    )
    events = [
        {
            "model": "t",
            "timestamp": now - 1000 + i / 2,
            "tags": {"region": region},
            "features": {"a": float(rng.normal(1.5 if region == "us" else 0.0, 1))},
        }
        for i in range(2000)
        for region in (("eu", "us")[i % 2],)
    ]
    send_events(api, events)
    params = {"start": now - 1100, "end": now}
    eu = api.get("/api/v1/models/t/drift", params={**params, "tag": "region:eu"}).json()
    us = api.get("/api/v1/models/t/drift", params={**params, "tag": "region:us"}).json()
    assert eu["rows"] == us["rows"] == 1000
    for region, answer in (("eu", eu), ("us", us)):  # each verdict is the one on that region's raw rows alone
        rows = {"a": np.array([e["features"]["a"] for e in events if e["tags"]["region"] == region])}
        exact = dataset_drift_from_arrays(ref, rows).to_dict()["features"]["a"]
        got = answer["drift"]["features"]["a"]
        assert got["drifted"] == exact["drifted"] and got["statistic"] == pytest.approx(exact["statistic"], abs=1e-9)
    assert us["drift"]["features"]["a"]["drifted"] is True  # a 1.5-sd shift in one region only
    assert us["window"]["tags"] == {"region": "us"}
    nobody = api.get("/api/v1/models/t/drift", params={**params, "tag": "region:mars"}).json()
    assert nobody["rows"] == 0 and nobody["drift"]["features"] == {}
