"""The dashboard's shell, its assets (the chart library gzip-compressed, cached), headers and live stream."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitorx.api.app import create_app
from monitorx.config import Settings
from monitorx.web.router import PAGES, plotly_path


def _static_prefix(html: str) -> str:
    start = html.index('data-static="') + len('data-static="')
    return html[start : html.index('"', start)]


def test_every_page_serves_the_shell_with_a_strict_policy(api: Any) -> None:
    for path in [p.replace("{model}", "fraud") for p in PAGES]:
        r = api.client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        policies = r.headers.get_list("content-security-policy")
        # The dashboard's own policy (no inline script) is enforced beside the server-wide one.
        assert any(
            "script-src 'self';" in p and "unsafe-inline" not in p.split("script-src")[1].split(";")[0]
            for p in policies
        )
        assert r.headers["x-frame-options"] == "DENY"
    assert api.client.get("/no-such-page").status_code == 404


def test_static_assets_are_versioned_compressed_and_cached_for_a_year(api: Any) -> None:
    prefix = _static_prefix(api.client.get("/").text)
    r = api.client.get(f"{prefix}/js/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip" and "immutable" in r.headers["cache-control"]
    assert "max-age=31536000" in r.headers["cache-control"]
    assert api.client.get(f"{prefix}/../router.py").status_code == 404
    assert api.client.get(f"{prefix}/js/nope.js").status_code == 404
    stale = api.client.get("/static/0123456789ab/js/app.js")  # an old version: served, not cached
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"


@pytest.mark.skipif(plotly_path() is None, reason="the plotly package is not installed")
def test_the_chart_library_comes_gzip_compressed_from_the_plotly_package(api: Any) -> None:
    prefix = _static_prefix(api.client.get("/").text)
    raw = plotly_path().read_bytes()  # type: ignore[union-attr]
    r = api.client.get(f"{prefix}/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip, br"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "immutable" in r.headers["cache-control"]
    wire = int(r.headers["content-length"])
    assert wire < len(raw) / 2  # ~4.8 MB on disk, ~1.4 MB on the wire
    assert r.content == raw  # httpx undoes the gzip: the bytes are the library's own
    plain = api.client.get(f"{prefix}/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw


def test_the_stream_pushes_model_health(api: Any) -> None:
    api.post("/api/v1/events", json={"batch_id": "s1", "events": [{"model": "fraud", "latency_ms": 12.0}]})
    plain = api.get("/api/v1/stream")  # no Accept: text/event-stream: one event, then the end
    assert plain.status_code == 200 and plain.text.count("event: health") == 1
    headers = {**api.headers(), "Accept": "text/event-stream"}
    with api.client.stream("GET", "/api/v1/stream", params={"interval": 1}, headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        lines = r.iter_lines()
        event = data = None
        for line in lines:
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                break
    assert event == "health" and data is not None
    assert [m["name"] for m in data["models"]] == ["fraud"] and data["models"][0]["health"]["count"] == 1
    assert api.client.get("/api/v1/stream").status_code == 401


def test_demo_mode_signs_in_a_browser_on_loopback(tmp_path: Any, database_url: str) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, demo_user="demo", maintenance_interval_s=3600)
    app = create_app(settings)
    with TestClient(app) as client:
        app.state.services.users.ensure_user(app.state.services.boot.project_id, "demo", "admin")
        r = client.get("/")
        assert r.status_code == 200 and "mx_session" in client.cookies
        me = client.get("/api/v1/session").json()
        assert me["username"] == "demo" and me["role"] == "admin"
        csrf = {"X-CSRF-Token": client.cookies["mx_csrf"]}
        assert client.delete("/api/v1/session", headers=csrf).status_code == 204
        client.get("/")  # signed out on purpose: not signed in again behind the user's back
        assert client.get("/api/v1/session").status_code == 401
    public = Settings(
        database_url=database_url, data_dir=tmp_path, host="0.0.0.0", demo_user="demo", maintenance_interval_s=3600
    )
    with TestClient(create_app(public)) as client:
        client.get("/")
        assert "mx_session" not in client.cookies  # never away from loopback
