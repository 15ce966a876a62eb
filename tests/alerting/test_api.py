"""The HTTP API: CRUD of rules, channels and silences; 4xx that name the field; secrets never returned;
scopes enforced; alerts listed, acknowledged and resolved; test notifications rate-limited."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from sqlalchemy import insert

from monitorx.store import tables as t

RULE = {
    "name": "fraud p95",
    "model": "fraud",
    "condition": {"type": "metric", "metric": "latency_p95", "op": ">", "threshold": 500, "window_s": 300},
    "for_s": 300,
}
SLACK_URL = "https://hooks.slack.com/services/T000/B000/s3cr3t-token"


@pytest.fixture
def fraud(api: Any) -> Any:
    r = api.post("/api/v1/models", json={"name": "fraud"})
    assert r.status_code == 201, r.text
    return api


def patch(api: Any, path: str, token: str | None = None, **kw: Any) -> Any:
    kw.setdefault("headers", {}).update(api.headers(token))
    return api.client.patch(path, **kw)


def delete(api: Any, path: str, token: str | None = None) -> Any:
    return api.client.delete(path, headers=api.headers(token))


def locs(r: Any) -> list[list[Any]]:
    return [e["loc"] for e in r.json()["errors"]]


def test_rule_crud(fraud: Any) -> None:
    api = fraud
    r = api.post("/api/v1/alert-rules", json=RULE)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["model"] == "fraud" and rule["origin"] == "user" and rule["condition"]["no_data"] == "ok"
    assert api.get(f"/api/v1/alert-rules/{rule['id']}").json() == rule
    assert api.post("/api/v1/alert-rules", json=RULE).status_code == 409
    r = patch(api, f"/api/v1/alert-rules/{rule['id']}", json={"for_s": 60, "labels": {"team": "risk"}})
    assert r.status_code == 200 and r.json()["for_s"] == 60 and r.json()["labels"] == {"team": "risk"}
    r = patch(api, f"/api/v1/alert-rules/{rule['id']}", json={"model": None})
    assert r.status_code == 200 and r.json()["model"] is None
    listed = api.get("/api/v1/alert-rules").json()["rules"]
    assert rule["id"] in [x["id"] for x in listed]
    assert delete(api, f"/api/v1/alert-rules/{rule['id']}").status_code == 204
    assert api.get(f"/api/v1/alert-rules/{rule['id']}").status_code == 404
    assert delete(api, f"/api/v1/alert-rules/{rule['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (
            {"condition": {**RULE["condition"], "metric": "latency_p42"}},
            ["body", "condition", "metric", "metric"],
            "latency_p95",
        ),
        (
            {"condition": {**RULE["condition"], "threshold": "500"}},
            ["body", "condition", "metric", "threshold"],
            "number",
        ),
        ({"for_s": -1}, ["body", "for_s"], "greater than or equal"),
        ({"for_s": 1.5}, ["body", "for_s"], "integer"),
        ({"colour": "red"}, ["body", "colour"], "not permitted"),
        ({"labels": {"model": "x"}}, ["labels", "model"], "reserved"),
        ({"labels": {"bad-name": "x"}}, ["body", "labels", "bad-name", "[key]"], "pattern"),
        ({"model": "nope"}, ["model"], "no model named 'nope'"),
        (
            {"condition": {"type": "slo", "sli": "latency", "objective": 0.99}},
            ["body", "condition", "slo"],
            "latency_threshold_ms",
        ),
        (
            {"condition": {"type": "slo", "sli": "availability", "objective": 1.5}},
            ["body", "condition", "slo", "objective"],
            "less than 1",
        ),
        ({"name": "x\x00y"}, ["body"], "NUL"),
    ],
)
def test_invalid_rules_get_422_naming_the_field(fraud: Any, change: dict[str, Any], loc: list[Any], words: str) -> None:
    r = fraud.post("/api/v1/alert-rules", json={**RULE, **change})
    assert r.status_code == 422, r.text
    assert loc in locs(r), locs(r)
    assert words in r.text


def test_channels_never_return_their_secrets(fraud: Any) -> None:
    api = fraud
    r = api.post("/api/v1/channels", json={"name": "slack", "config": {"kind": "slack", "url": SLACK_URL}})
    assert r.status_code == 201, r.text
    slack = r.json()
    assert slack["config"] == {"kind": "slack"} and slack["secrets_set"] == ["url"] and slack["signing_secret"] is None
    hook = api.post(
        "/api/v1/channels",
        json={
            "name": "hook",
            "config": {"kind": "webhook", "url": "https://example.org/hook"},
            "matchers": [{"name": "severity", "value": "critical"}],
        },
    ).json()
    secret = hook["signing_secret"]
    assert secret.startswith("whsec_") and hook["config"]["url"] == "https://example.org/hook"
    mail = api.post(
        "/api/v1/channels",
        json={
            "name": "mail",
            "config": {
                "kind": "email",
                "host": "smtp.example.org",
                "username": "u",
                "password": "pw-s3cr3t",
                "from_addr": "a@b.c",
                "to": ["d@e.f"],
            },
        },
    ).json()
    pd = api.post(
        "/api/v1/channels", json={"name": "pd", "config": {"kind": "pagerduty", "routing_key": "rk-s3cr3t"}}
    ).json()
    assert pd["config"]["url"] == "https://events.pagerduty.com/v2/enqueue"
    r = patch(api, f"/api/v1/channels/{slack['id']}", json={"config": {"kind": "slack"}, "group_wait_s": 10})
    assert r.status_code == 200 and r.json()["secrets_set"] == ["url"] and r.json()["group_wait_s"] == 10
    r = patch(
        api,
        f"/api/v1/channels/{mail['id']}",
        json={"config": {"kind": "email", "host": "smtp2.example.org", "from_addr": "a@b.c", "to": ["d@e.f"]}},
    )
    assert r.status_code == 200 and r.json()["secrets_set"] == ["password"]
    everything = "".join(
        [
            api.get("/api/v1/channels").text,
            *(api.get(f"/api/v1/channels/{c['id']}").text for c in (slack, hook, mail, pd)),
            r.text,
            patch(api, f"/api/v1/channels/{hook['id']}", json={"enabled": False}).text,
        ]
    )
    for s in ("s3cr3t", secret, "whsec_"):
        assert s not in everything
    rotated = patch(api, f"/api/v1/channels/{hook['id']}", json={"rotate_secret": True}).json()["signing_secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    secrets = api.services.alerting.channels.secrets(
        api.services.alerting.channels.get(api.services.boot.project_id, mail["id"])
    )
    assert secrets == {"password": "pw-s3cr3t"}  # kept across the edit


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "s", "config": {"kind": "slack"}}, ["config", "url"]),
        ({"name": "w", "config": {"kind": "webhook", "url": "http://10.0.0.8/x"}}, ["config", "url"]),
        (
            {"name": "w", "config": {"kind": "webhook", "url": "ftp://example.org/x"}},
            ["body", "config", "webhook", "url"],
        ),
        (
            {"name": "m", "config": {"kind": "email", "host": "127.0.0.1", "from_addr": "a@b.c", "to": ["x@y.z"]}},
            ["config", "host"],
        ),
        (
            {"name": "m", "config": {"kind": "email", "host": "h", "from_addr": "a@b.c", "to": []}},
            ["body", "config", "email", "to"],
        ),
        (
            {
                "name": "w",
                "config": {"kind": "webhook", "url": "https://e.org"},
                "matchers": [{"name": "a", "value": "(", "op": "=~"}],
            },
            ["matchers", 0, "value"],
        ),
        ({"name": "w", "config": {"kind": "sms"}}, ["body", "config"]),
    ],
)
def test_invalid_channels_get_422_naming_the_field(api: Any, body: dict[str, Any], loc: list[Any]) -> None:
    r = api.post("/api/v1/channels", json=body)
    assert r.status_code == 422, r.text
    assert any(x[: len(loc)] == loc for x in locs(r)), locs(r)


def test_a_channel_cannot_change_kind(api: Any) -> None:
    c = api.post("/api/v1/channels", json={"name": "s", "config": {"kind": "slack", "url": SLACK_URL}}).json()
    r = patch(api, f"/api/v1/channels/{c['id']}", json={"config": {"kind": "webhook", "url": "https://e.org/x"}})
    assert r.status_code == 422 and locs(r) == [["config", "kind"]]


def test_silence_lifecycle(api: Any) -> None:
    body = {
        "matchers": [{"name": "model", "value": "fraud"}],
        "duration_s": 3600,
        "comment": "deploy",
        "created_by": "ana",
    }
    r = api.post("/api/v1/silences", json=body)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["status"] == "active" and s["created_by"] == "ana" and s["ends_at"] - s["starts_at"] == pytest.approx(3600)
    later = s["ends_at"] + 600
    r = patch(api, f"/api/v1/silences/{s['id']}", json={"ends_at": later, "comment": "longer deploy"})
    assert r.status_code == 200 and r.json()["ends_at"] == later
    assert patch(api, f"/api/v1/silences/{s['id']}", json={"ends_at": 1000.0}).status_code == 422
    r = delete(api, f"/api/v1/silences/{s['id']}")
    assert r.status_code == 200 and r.json()["status"] == "expired"
    assert api.get("/api/v1/silences").json()["silences"][0]["status"] == "expired"
    no_end = api.post("/api/v1/silences", json={"matchers": body["matchers"], "comment": "x"})
    assert no_end.status_code == 422 and locs(no_end) == [["ends_at"]]
    bad = api.post("/api/v1/silences", json={**body, "matchers": [{"name": "model", "value": "[", "op": "=~"}]})
    assert bad.status_code == 422 and locs(bad) == [["matchers", 0, "value"]]
    by_key = api.post("/api/v1/silences", json={k: v for k, v in body.items() if k != "created_by"}).json()
    assert by_key["created_by"].startswith("key:")


def test_scopes(fraud: Any) -> None:
    api = fraud
    reader, ingester = api.key("read"), api.key("ingest")
    rule = api.post("/api/v1/alert-rules", json=RULE).json()
    for path in (
        "/api/v1/alerts",
        "/api/v1/alert-rules",
        f"/api/v1/alert-rules/{rule['id']}",
        "/api/v1/silences",
        "/api/v1/alerting/status",
    ):
        assert api.get(path, token=reader).status_code == 200, path
        assert api.get(path, token=ingester).status_code == 403, path
    assert api.get("/api/v1/channels", token=reader).status_code == 403  # channel settings are admin's
    denied = [
        api.post("/api/v1/alert-rules", token=reader, json={**RULE, "name": "x"}),
        patch(api, f"/api/v1/alert-rules/{rule['id']}", token=reader, json={"for_s": 1}),
        delete(api, f"/api/v1/alert-rules/{rule['id']}", token=reader),
        api.post("/api/v1/channels", token=reader, json={"name": "s", "config": {"kind": "slack", "url": SLACK_URL}}),
        api.post(
            "/api/v1/silences",
            token=reader,
            json={"matchers": [{"name": "a", "value": "b"}], "duration_s": 60, "comment": "x"},
        ),
        api.post("/api/v1/alerts/1/acknowledge", token=reader, json={}),
        api.post("/api/v1/alerts/1/resolve", token=reader, json={}),
    ]
    assert [r.status_code for r in denied] == [403] * len(denied)
    other = api.post("/api/v1/projects", json={"name": "team-b"}).json()["admin_key"]["token"]
    assert api.get(f"/api/v1/alert-rules/{rule['id']}", token=other).status_code == 404
    assert patch(api, f"/api/v1/alert-rules/{rule['id']}", token=other, json={"for_s": 1}).status_code == 404
    assert all(r["id"] != rule["id"] for r in api.get("/api/v1/alert-rules", token=other).json()["rules"])


def test_alerts_are_listed_acknowledged_and_resolved(fraud: Any) -> None:
    api = fraud
    svc = api.services
    rule = api.post(
        "/api/v1/alert-rules",
        json={
            "name": "acc",
            "model": "fraud",
            "condition": {"type": "quality", "metric": "accuracy", "op": "<", "threshold": 0.9},
        },
    ).json()
    mid = svc.registry.get_model(svc.boot.project_id, "fraud").id
    now = time.time()
    with svc.db.write() as conn:
        conn.execute(
            insert(t.monitor_results).values(
                model_id=mid,
                kind="quality",
                window_start=now - 3600,
                window_end=now - 1,
                computed_at=now,
                value=0.7,
                flagged=False,
                result=orjson.dumps({"metrics": {"accuracy": 0.7}}).decode(),
            )
        )
    svc.alerting.tick()
    api.post(
        "/api/v1/silences", json={"matchers": [{"name": "alertname", "value": "acc"}], "duration_s": 60, "comment": "x"}
    )
    alerts = api.get("/api/v1/alerts").json()["alerts"]
    (a,) = [x for x in alerts if x["rule_id"] == rule["id"]]
    assert a["state"] == "firing" and a["value"] == 0.7 and len(a["silenced_by"]) == 1
    r = api.post(f"/api/v1/alerts/{a['id']}/acknowledge", json={"comment": "on it"})
    assert r.status_code == 200 and r.json()["acknowledged_by"].startswith("key:")
    r = api.post(f"/api/v1/alerts/{a['id']}/resolve", json={})
    assert r.status_code == 200 and r.json()["state"] == "resolved" and r.json()["manual_hold"]
    assert api.post(f"/api/v1/alerts/{a['id']}/acknowledge", json={}).status_code == 409
    detail = api.get(f"/api/v1/alerts/{a['id']}").json()
    assert [(h["from_state"], h["to_state"]) for h in detail["history"]] == [
        ("firing", "resolved"),
        ("firing", "firing"),
        ("inactive", "firing"),
    ]
    assert api.get("/api/v1/alerts", params={"state": "resolved"}).json()["alerts"][0]["id"] == a["id"]
    assert api.get("/api/v1/alerts", params={"state": "bogus"}).status_code == 422
    assert api.get("/api/v1/alerts/999999").status_code == 404
    assert api.post("/api/v1/alerts/1/acknowledge", json={"extra": 1}).status_code == 422


def test_test_notifications_are_logged_and_rate_limited(api: Any) -> None:
    c = api.post(
        "/api/v1/channels", json={"name": "h", "config": {"kind": "webhook", "url": "https://no-such-host.invalid/x"}}
    ).json()
    codes = []
    for _ in range(4):
        r = api.post(f"/api/v1/channels/{c['id']}/test")
        codes.append(r.status_code)
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert int(r.headers["Retry-After"]) >= 1
    (first,) = api.get(f"/api/v1/channels/{c['id']}/deliveries", params={"limit": 1}).json()["deliveries"]
    assert first["status"] == "failed" and "cannot resolve" in first["error"] and first["reason"] == "test"
    assert api.post("/api/v1/channels/424242/test").status_code == 404


def test_status(api: Any) -> None:
    api.services.alerting.tick()
    s = api.get("/api/v1/alerting/status").json()
    assert s["leader"] is True and s["interval_s"] == 15 and s["last_tick_at"] is not None
