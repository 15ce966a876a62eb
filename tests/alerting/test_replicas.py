"""Two server processes on one PostgreSQL database: one leads, each notification is sent once, and when
the leader is killed the other takes over."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import LiveServer


def wait_for(what: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def leader(server: LiveServer) -> bool:
    r = httpx.get(server.url + "/api/v1/alerting/status", headers=server.headers(), timeout=5)
    return bool(r.json()["leader"])


@pytest.mark.postgresql_only
@pytest.mark.slow
def test_two_replicas_send_each_notification_once_and_the_survivor_takes_over(
    database_url: str, tmp_path: Path, httpserver: Any
) -> None:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    env = {
        "MONITORX_DATABASE_URL": database_url,
        "MONITORX_ALERT_INTERVAL_S": "0.5",
        "MONITORX_ALERT_ALLOW_HOSTS": "127.0.0.1",
        "MONITORX_SECRET_KEY": "shared by the replicas",
        "MONITORX_ALERT_RETRY_BASE_S": "0.05",
    }
    a = LiveServer(tmp_path / "a", env=env)
    a.start()
    b = LiveServer(tmp_path / "b", env={**env, "MONITORX_ADMIN_KEY": a.api_key})
    b.api_key = a.api_key
    try:
        wait_for(lambda: leader(a))
        b.start()
        h = a.headers()
        for name in ("m1", "m2"):
            assert httpx.post(a.url + "/api/v1/models", headers=h, json={"name": name}).status_code == 201
        r = httpx.post(
            b.url + "/api/v1/channels",
            headers=h,
            json={
                "name": "hook",
                "config": {"kind": "webhook", "url": httpserver.url_for("/hook")},
                "group_wait_s": 0,
                "group_interval_s": 1,
                "matchers": [{"name": "alertname", "value": "errors"}],
            },
        )
        assert r.status_code == 201, r.text
        rule = {
            "name": "errors",
            "condition": {"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.5, "window_s": 60},
        }
        assert httpx.post(b.url + "/api/v1/alert-rules", headers=h, json=rule).status_code == 201

        def errors(model: str, server: LiveServer) -> None:
            events = [{"model": model, "latency_ms": 5.0, "error": True} for _ in range(20)]
            body = orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events})
            assert httpx.post(server.url + "/api/v1/events", headers=h, content=body).status_code == 200

        errors("m1", b)
        wait_for(lambda: len(httpserver.log) >= 1)
        time.sleep(3.0)  # six more passes of each replica
        assert not leader(b)
        bodies = [orjson.loads(req.get_data()) for req, _ in httpserver.log]
        assert [x["alerts"][0]["labels"]["model"] for x in bodies] == ["m1"]

        assert a.proc is not None
        a.proc.kill()  # no goodbye: its session ends, and with it the lock
        a.proc.wait()
        errors("m2", b)
        wait_for(lambda: len(httpserver.log) >= 2)
        time.sleep(2.0)
        assert leader(b)
        bodies = [orjson.loads(req.get_data()) for req, _ in httpserver.log]
        assert [x["alerts"][0]["labels"]["model"] for x in bodies] == ["m1", "m2"]
        ids = [req.headers["webhook-id"] for req, _ in httpserver.log]
        assert len(set(ids)) == 2
    finally:
        b.stop()
        a.stop()
