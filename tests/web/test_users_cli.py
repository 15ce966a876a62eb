"""``monitorx users create | list | passwd`` against a real database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from monitorx.api.app import create_app
from monitorx.cli.commands import app as cli
from monitorx.config import Settings
from monitorx.services.container import Services


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def test_users_are_created_listed_and_given_new_passwords(tmp_path: Path, database_url: str) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, maintenance_interval_s=3600)
    Services(settings).start()
    db = ["--database-url", database_url, "--data-dir", str(tmp_path)]
    r = _run("users", "create", "carol", "--role", "editor", "--password", "carol's password", *db)
    assert r.exit_code == 0, r.output
    assert "carol is editor of default" in r.output
    r = _run("users", "create", "carol", "--password", "again and again", *db)
    assert r.exit_code == 1 and "exists" in r.output
    r = _run("users", "create", "dave", "--role", "chief", "--password", "dave's password", *db)
    assert r.exit_code == 1 and "role must be one of" in r.output
    listed = _run("users", "list", *db)
    assert listed.exit_code == 0
    rows = {line.split()[0]: line.split()[1] for line in listed.output.splitlines()[1:]}
    assert rows == {"admin": "admin", "carol": "editor"}
    assert _run("users", "passwd", "carol", "--password", "a brand new one", *db).exit_code == 0
    assert _run("users", "passwd", "nobody", "--password", "a brand new one", *db).exit_code == 1
    with TestClient(create_app(settings)) as client:
        assert (
            client.post("/api/v1/session", json={"username": "carol", "password": "carol's password"}).status_code
            == 401
        )
        r = client.post("/api/v1/session", json={"username": "carol", "password": "a brand new one"})
        assert r.status_code == 200 and r.json()["role"] == "editor"
