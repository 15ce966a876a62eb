"""``monitorx serve --workers 2`` on one SQLite file: every acknowledged event is stored once, a batch
re-sent to the other process is still a duplicate, and kept-alive connections are recycled so that
both processes get work."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import LiveServer
from monitorx.config import Settings


def _batch(n: int, batch_id: str, version: str) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "events": [
            {"model": "shared", "version": version, "latency_ms": 1.0 + i, "error": i % 10 == 0} for i in range(n)
        ],
    }


def test_settings_reach_the_workers_unchanged(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, workers=3, cors_origins=["https://a.example"], admin_password="pw")
    assert Settings.model_validate_json(settings.model_dump_json()) == settings


@pytest.mark.slow
def test_two_workers_store_every_batch_once(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", env={"MONITORX_WORKERS": "2"})
    server.start()
    try:
        h = server.headers()
        ids = [uuid.uuid4().hex for _ in range(60)]
        answers: list[httpx.Response] = []
        closed: list[str] = []
        lock = threading.Lock()

        def sender(k: int) -> None:
            # Each thread sends every batch id that falls to it, and re-sends its neighbour's, so that
            # the same id reaches the server on several connections (and so both processes) at once.
            with httpx.Client(base_url=server.url, headers=h, timeout=60) as client:
                for i in range(k, len(ids), 4):
                    for j in (i, (i + 1) % len(ids)):
                        r = client.post("/api/v1/events", json=_batch(50, ids[j], f"v{j % 3}"))
                        with lock:
                            answers.append(r)
                            if r.headers.get("connection") == "close":
                                closed.append(ids[j])

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert [r.status_code for r in answers if r.status_code != 200] == []
        assert len(answers) == 120
        firsts = [r.json() for r in answers if not r.json()["duplicate"]]
        assert sorted(a["batch_id"] for a in firsts) == sorted(ids)  # each id stored exactly once
        assert all(r.json()["accepted"] == 50 for r in answers)
        assert closed, "a connection that served its share of requests is closed for the client to reconnect"

        summary = httpx.get(server.url + "/api/v1/models/shared", headers=h).json()
        assert summary["stats"]["count"] == 60 * 50
        groups = httpx.get(server.url + "/api/v1/models/shared/groups", headers=h, params={"group_by": "version"})
        assert groups.status_code == 200
        assert [g["labels"] for g in groups.json()["groups"]] == [{"version": f"v{i}"} for i in range(3)]
        assert "Traceback" not in server.log.read_text()
    finally:
        server.stop()
