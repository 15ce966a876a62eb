"""The `monitorx` command: database, keys and projects on a real SQLite file; remote commands on a real server."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from typer.testing import CliRunner

import monitorx
from monitorx.cli.commands import app

runner = CliRunner()


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    before = run("db", "current", "--data-dir", data)
    assert "empty" in before.output and "monitorx db upgrade" in before.output
    up = run("db", "upgrade", "--data-dir", data)
    assert up.exit_code == 0 and "empty ->" in up.output
    now = run("db", "current", "--data-dir", data)
    assert "(current)" in now.output


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    assert run("keys", "list", "--data-dir", data).exit_code == 1  # no schema yet: says what to run
    run("db", "upgrade", "--data-dir", data)
    from monitorx.config import Settings
    from monitorx.services.container import Services

    Services(Settings(data_dir=Path(data))).start()  # first start: the default project
    made = run("keys", "create", "--name", "svc", "--scope", "ingest", "--scope", "read", "--data-dir", data)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("mx_")
    key_id = token.split("_")[1]
    listed = run("keys", "list", "--data-dir", data).output
    assert key_id in listed and "ingest,read" in listed and token not in listed
    assert run("keys", "revoke", key_id, "--data-dir", data).exit_code == 0
    assert "revoked" in run("keys", "list", "--data-dir", data).output
    assert run("keys", "revoke", "ffffffff", "--data-dir", data).exit_code == 1
    bad = run("keys", "create", "--name", "x", "--scope", "root", "--data-dir", data)
    assert bad.exit_code == 1 and "scopes" in bad.output
    assert run("projects", "create", "team-b", "--data-dir", data).stdout.startswith("mx_")
    assert run("projects", "list", "--data-dir", data).output.split() == ["default", "team-b"]


def test_help_on_every_command() -> None:
    for args in ([], ["serve"], ["demo"], ["db"], ["keys", "create"], ["reference", "upload"], ["report", "drift"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Usage" in result.output, args


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitorx.cli.commands", *args], capture_output=True, text=True, timeout=120
    )


def test_reference_upload_list_and_drift_report_against_a_server(live_server: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    path = tmp_path / "train.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["amount", "country"])
        for _ in range(3000):
            w.writerow([round(float(rng.lognormal(3, 1)), 2), rng.choice(["DE", "FR", "US"])])
    up = cli(
        "reference", "upload", str(path), "--model", "fraud", "--url", live_server.url, "--api-key", live_server.api_key
    )
    assert up.returncode == 0, up.stderr
    assert "3,000 rows" in up.stdout and "amount: numeric" in up.stdout
    listed = cli("reference", "list", "--model", "fraud", "--url", live_server.url, "--api-key", live_server.api_key)
    assert "* train" in listed.stdout

    events = [
        {"model": "fraud", "features": {"amount": float(rng.lognormal(3.5, 1)), "country": "DE"}} for _ in range(2000)
    ]
    httpx.post(
        live_server.url + "/api/v1/events",
        headers=live_server.headers(),
        content=orjson.dumps({"batch_id": "b", "events": events}),
    ).raise_for_status()
    out = tmp_path / "report.html"
    rep = cli(
        "report",
        "drift",
        "--model",
        "fraud",
        "-o",
        str(out),
        "--url",
        live_server.url,
        "--api-key",
        live_server.api_key,
    )
    assert rep.returncode == 0, rep.stderr
    html = out.read_text()
    assert "amount" in html and "country" in html and "https://" not in html

    missing_key = cli("reference", "list", "--model", "fraud", "--url", live_server.url)
    assert missing_key.returncode == 2 and "API key" in missing_key.stderr


def test_sdk_uploads_a_reference(live_server: Any) -> None:
    rows = [{"x": float(i), "colour": "red" if i % 2 else "blue", "flag": i % 3 == 0} for i in range(500)]
    ref = monitorx.upload_reference("m", rows, name="rows", url=live_server.url, api_key=live_server.api_key)
    assert ref["rows"] == 500 and ref["features"] == {"x": "numeric", "colour": "categorical", "flag": "categorical"}
    cols = {"x": np.arange(10.0), "y": [None, *range(9)]}
    ref2 = monitorx.upload_reference("m", cols, name="cols", url=live_server.url, api_key=live_server.api_key)
    assert ref2["rows"] == 10 and ref2["active"] is True
    with pytest.raises(monitorx.ReferenceUploadError, match="409"):
        monitorx.upload_reference("m", rows, name="rows", url=live_server.url, api_key=live_server.api_key)
