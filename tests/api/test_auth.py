"""Keys, scopes, tenant isolation, rate limits, CORS and security headers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from monitorx.api.app import ConfigurationError, create_app
from monitorx.config import Settings
from monitorx.services.container import Services

EVENTS = orjson.dumps({"batch_id": "a1", "events": [{"model": "fraud", "latency_ms": 3.0}]})


def test_requests_without_a_valid_key_are_401(api: Any) -> None:
    c = api.client
    assert c.get("/api/v1/models").status_code == 401
    assert "API key is required" in c.get("/api/v1/models").json()["message"]
    assert c.get("/api/v1/models", headers={"X-API-Key": "nope"}).status_code == 401
    forged = api.token[:-4] + ("AAAA" if not api.token.endswith("AAAA") else "BBBB")
    assert c.get("/api/v1/models", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert c.get("/api/v1/models", headers={"X-API-Key": api.token}).status_code == 200
    assert c.get("/api/v1/models", params={"api_key": api.token}).status_code == 401  # never in URLs


def test_an_ingest_key_can_write_but_not_read(api: Any) -> None:
    ingest = api.key("ingest")
    assert api.post("/api/v1/events", token=ingest, content=EVENTS).status_code == 200
    r = api.get("/api/v1/models", token=ingest)
    assert r.status_code == 403 and "read" in r.json()["message"]
    assert api.get("/api/v1/models/fraud/events", token=ingest).status_code == 403
    reader = api.key("read")
    assert api.get("/api/v1/models", token=reader).status_code == 200
    assert api.post("/api/v1/events", token=reader, content=EVENTS).status_code == 403
    assert api.post("/api/v1/keys", token=reader, json={"name": "x", "scopes": ["admin"]}).status_code == 403


def test_projects_are_isolated(api: Any) -> None:
    created = api.post("/api/v1/projects", json={"name": "team-b"})
    assert created.status_code == 201
    b_admin = created.json()["admin_key"]["token"]
    assert api.post("/api/v1/events", content=EVENTS).status_code == 200
    assert (
        api.post(
            "/api/v1/events",
            token=b_admin,
            content=orjson.dumps({"batch_id": "a1", "events": [{"model": "other", "latency_ms": 1.0}]}),
        ).json()["duplicate"]
        is False
    )
    assert [m["name"] for m in api.get("/api/v1/models").json()["models"]] == ["fraud"]
    assert [m["name"] for m in api.get("/api/v1/models", token=b_admin).json()["models"]] == ["other"]
    assert api.get("/api/v1/models/fraud", token=b_admin).status_code == 404
    assert api.get("/api/v1/models/fraud/events", token=b_admin).status_code == 404
    a_keys = {k["key_id"] for k in api.get("/api/v1/keys").json()["keys"]}
    b_key_id = b_admin.split("_")[1]
    assert b_key_id not in a_keys
    assert api.client.delete(f"/api/v1/keys/{b_key_id}", headers=api.headers()).status_code == 404
    assert api.post("/api/v1/projects", json={"name": "team-b"}).status_code == 409


def test_keys_are_shown_once_and_revocation_takes_effect(api: Any) -> None:
    r = api.post("/api/v1/keys", json={"name": "svc", "scopes": ["ingest", "read"]})
    token, key_id = r.json()["token"], r.json()["key_id"]
    listed = next(k for k in api.get("/api/v1/keys").json()["keys"] if k["key_id"] == key_id)
    assert "token" not in listed and token not in orjson.dumps(listed).decode()
    assert listed["display"].startswith("mx_") and "…" in listed["display"]
    assert api.get("/api/v1/models", token=token).status_code == 200
    assert api.client.delete(f"/api/v1/keys/{key_id}", headers=api.headers()).status_code == 204
    r = api.get("/api/v1/models", token=token)
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    bad = api.post("/api/v1/keys", json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422


def test_expired_keys_are_refused(api: Any) -> None:
    r = api.post("/api/v1/keys", json={"name": "old", "scopes": ["read"], "expires_at": 1000.0})
    assert api.get("/api/v1/models", token=r.json()["token"]).json()["message"] == "the API key has expired"


def test_rate_limit_answers_429_with_retry_after(settings: Settings) -> None:
    settings.rate_limit_per_s = 1.0
    settings.rate_limit_burst = 3
    svc = Services(settings)
    token = svc.start().admin_token
    with TestClient(create_app(settings, svc)) as c:
        answers = [c.get("/api/v1/models", headers={"X-API-Key": token}) for _ in range(5)]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    assert answers[4].status_code == 429
    assert int(answers[4].headers["Retry-After"]) >= 1


def test_no_auth_only_on_loopback(tmp_path: Any) -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        create_app(Settings(auth=False, host="0.0.0.0", data_dir=tmp_path))
    s = Settings(auth=False, host="127.0.0.1", data_dir=tmp_path)
    with TestClient(create_app(s)) as c:
        assert c.get("/api/v1/models").status_code == 200


def test_security_headers_and_closed_cors(api: Any) -> None:
    r = api.get("/api/v1/models")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["cache-control"] == "no-store"
    pre = api.client.options(
        "/api/v1/models", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_configured_cors_origins_are_allowed(settings: Settings) -> None:
    settings.cors_origins = ["https://grafana.example"]
    with TestClient(create_app(settings)) as c:
        pre = c.options(
            "/api/v1/models",
            headers={"Origin": "https://grafana.example", "Access-Control-Request-Method": "GET"},
        )
        assert pre.headers["access-control-allow-origin"] == "https://grafana.example"
        other = c.options(
            "/api/v1/models",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in other.headers


def test_bootstrap_uses_a_given_admin_key_and_runs_once(settings: Settings) -> None:
    from monitorx.services.keys import new_token

    token = new_token()[0]
    settings.admin_key = token
    first = Services(settings).start()
    assert first.admin_token == token and first.key_file is not None
    assert first.key_file.read_text().strip() == token
    assert oct(first.key_file.stat().st_mode & 0o777) == "0o600"
    again = Services(settings).start()
    assert again.admin_token is None and again.project_id == first.project_id
