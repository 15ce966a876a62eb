"""``monitorx alerts …`` on a real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from monitorx.cli.alerts import parse_duration, parse_matcher
from monitorx.cli.commands import app

runner = CliRunner()


def run(settings: Any, *args: str) -> Any:
    return runner.invoke(
        app, ["alerts", *args, "--database-url", settings.resolved_database_url], catch_exceptions=False
    )


def test_rules_channels_and_silences_from_the_cli(services: Any, settings: Any, tmp_path: Path) -> None:
    services.registry.create_model(services.boot.project_id, "fraud", "other", "", {})
    r = run(
        settings,
        "rules",
        "create",
        "--name",
        "p95",
        "--model",
        "fraud",
        "--metric",
        "latency_p95",
        "--threshold",
        "500",
        "--for",
        "5m",
    )
    assert r.exit_code == 0, r.output
    assert "created rule" in r.output
    (rule,) = services.alerting.rules.find(services.boot.project_id)
    assert rule.for_s == 300 and rule.condition["window_s"] == 300 and rule.condition["threshold"] == 500
    r = run(settings, "rules", "disable", str(rule.id))
    assert r.exit_code == 0 and "disabled" in r.output
    listed = run(settings, "rules", "list")
    assert "p95" in listed.output and "latency_p95 > 500.0" in listed.output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps({"name": "x", "condition": {"type": "metric", "metric": "nope", "op": ">", "threshold": 1}})
    )
    r = run(settings, "rules", "create", "-f", str(bad))
    assert r.exit_code == 1 and "condition.metric" in r.output

    hook = tmp_path / "hook.json"
    hook.write_text(json.dumps({"name": "hook", "config": {"kind": "webhook", "url": "https://example.org/hook"}}))
    r = run(settings, "channels", "create", "-f", str(hook))
    assert r.exit_code == 0 and "whsec_" in r.output
    assert "hook" in run(settings, "channels", "list").output
    channel_id = services.alerting.channels.find(services.boot.project_id)[0].id
    r = run(settings, "channels", "test", str(channel_id))
    assert r.exit_code == 1 and "cannot resolve example.org" in r.output  # no network here
    assert "test" in run(settings, "channels", "deliveries", str(channel_id)).output

    r = run(
        settings,
        "silences",
        "create",
        "-m",
        "model=fraud",
        "-m",
        "severity=~crit.*",
        "--for",
        "2h",
        "--comment",
        "deploy",
    )
    assert r.exit_code == 0, r.output
    assert "active" in run(settings, "silences", "list").output
    silence_id = services.alerting.silences.find(services.boot.project_id)[0].id
    assert "expired" in run(settings, "silences", "expire", str(silence_id)).output
    assert run(settings, "list").exit_code == 0
    r = run(settings, "ack", "999")
    assert r.exit_code == 1 and "no alert with id 999" in r.output


def test_parsers() -> None:
    assert [parse_duration(s) for s in ("90", "90s", "5m", "2h", "1d")] == [90, 90, 300, 7200, 86400]
    assert parse_matcher("alertname=~High.*") == {"name": "alertname", "op": "=~", "value": "High.*"}
    assert parse_matcher("env!=dev") == {"name": "env", "op": "!=", "value": "dev"}
    with pytest.raises(typer.BadParameter):
        parse_duration("soon")
    with pytest.raises(typer.BadParameter):
        parse_matcher("no operator")
