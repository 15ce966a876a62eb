"""``monitorx alerts``: alerts, rules, channels and silences from the command line (on the database directly)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Alerting: alerts, rules, channels, silences.", no_args_is_help=True)
rules_app = typer.Typer(help="Alert rules: list, create, enable, disable, delete.", no_args_is_help=True)
channels_app = typer.Typer(help="Notification channels: list, create, test, deliveries, delete.", no_args_is_help=True)
silences_app = typer.Typer(help="Silences: list, create, expire.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(channels_app, name="channels")
app.add_typer(silences_app, name="silences")

Project = Annotated[str | None, typer.Option("--project", help="Project name [default: the default project]")]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the SQLite database lives")]
DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql://user@host/db")]
JsonFile = Annotated[Path, typer.Option("--file", "-f", help="A JSON file with the object, as the API takes it")]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_MATCHER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(=~|!~|!=|=)(.*)$")


def parse_duration(text: str) -> int:
    """``90``, ``90s``, ``5m``, ``2h``, ``1d`` → seconds."""
    m = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not m:
        raise typer.BadParameter(f"'{text}' is not a duration like 90s, 5m, 2h or 1d")
    return int(m.group(1)) * _UNITS[m.group(2) or "s"]


def parse_matcher(text: str) -> dict[str, str]:
    """``model=fraud``, ``severity!=info``, ``alertname=~High.*``, ``env!~dev|test``."""
    m = _MATCHER.match(text)
    if not m:
        raise typer.BadParameter(f"'{text}' is not a matcher like name=value, name!=value, name=~regex, name!~regex")
    return {"name": m.group(1), "op": m.group(2), "value": m.group(3)}


@contextmanager
def _alerting(project: str | None, data_dir: Path | None, database_url: str | None) -> Iterator[tuple[Any, int]]:
    from monitorx.cli.commands import _project_id, _services
    from monitorx.errors import MonitorXError

    svc = _services(data_dir, database_url)
    try:
        yield svc.alerting, _project_id(svc, project)
    except MonitorXError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        svc.close()


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read {path}: {exc}", err=True)
        raise typer.Exit(1) from None


# -- alerts ---------------------------------------------------------------------------------------
@app.command("list")
def alerts_list(
    state: Annotated[list[str], typer.Option(help="pending, firing, resolved, inactive; repeatable")] = [],  # noqa: B006
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """List alerts (pending and firing unless --state says otherwise)."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        typer.echo(f"{'ID':>6} {'STATE':9} {'SINCE':19} {'VALUE':>10} {'ACK':5} LABELS")
        for a in alerting.alerts.find(pid, state or ["pending", "firing"]):
            labels = ",".join(f"{k}={v}" for k, v in sorted(a.labels.items()) if k != "rule_id")
            value = "-" if a.value is None else f"{a.value:.4g}"
            ack = "yes" if a.acknowledged_at else ""
            typer.echo(f"{a.id:>6} {a.state:9} {_when(a.fired_at or a.active_at):19} {value:>10} {ack:5} {labels}")


@app.command("ack")
def alerts_ack(
    alert_id: int,
    comment: Annotated[str, typer.Option(help="Why, or who is on it")] = "",
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Acknowledge a firing alert: no more reminders while it fires."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        a = alerting.alerts.acknowledge(pid, alert_id, "cli", comment, time.time())
        typer.echo(f"acknowledged alert {a.id} ({a.labels.get('alertname')})")


@app.command("resolve")
def alerts_resolve(
    alert_id: int,
    comment: Annotated[str, typer.Option(help="Why")] = "",
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Resolve an alert by hand; it stays resolved until its condition clears and breaches again."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        a = alerting.alerts.resolve(pid, alert_id, "cli", comment, time.time())
        typer.echo(f"alert {a.id} is {a.state}")


# -- rules ----------------------------------------------------------------------------------------
@rules_app.command("list")
def rules_list(
    model: Annotated[str | None, typer.Option(help="Only this model's rules")] = None,
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """List rules, the defaults included."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        typer.echo(f"{'ID':>5} {'ON':3} {'ORIGIN':7} {'MODEL':16} {'CONDITION':40} NAME")
        for r in alerting.rules.find(pid, model):
            c = r.condition
            what = " ".join(
                str(c[k]) for k in ("type", "metric", "check", "feature", "sli", "op", "threshold") if c.get(k)
            )
            on = "yes" if r.enabled else "no"
            typer.echo(f"{r.id:>5} {on:3} {r.origin:7} {(r.model or '*'):16} {what[:40]:40} {r.name}")


@rules_app.command("create")
def rules_create(
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="A JSON rule, as POST /api/v1/alert-rules takes")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Quick metric rule: its name")] = None,
    model: Annotated[str | None, typer.Option(help="The model (default: every model)")] = None,
    metric: Annotated[str | None, typer.Option(help="e.g. latency_p95, error_rate, throughput")] = None,
    op: Annotated[str, typer.Option(help="> >= < <= == !=")] = ">",
    threshold: Annotated[float | None, typer.Option(help="In the metric's unit (ms, fraction, per second)")] = None,
    window: Annotated[str, typer.Option(help="e.g. 5m")] = "5m",
    for_: Annotated[str, typer.Option("--for", help="How long it must hold, e.g. 5m")] = "0s",
    severity: Annotated[str, typer.Option(help="critical, error, warning or info")] = "warning",
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Create a rule from a JSON file, or a metric threshold rule from options."""
    from monitorx.services.alerting.specs import RuleIn, parse

    if file is not None:
        data = _load(file)
    elif name and metric and threshold is not None:
        data = {
            "name": name,
            "model": model,
            "condition": {
                "type": "metric",
                "metric": metric,
                "op": op,
                "threshold": threshold,
                "window_s": parse_duration(window),
            },
            "for_s": parse_duration(for_),
            "severity": severity,
        }
    else:
        raise typer.BadParameter("give --file, or --name, --metric and --threshold")
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        r = alerting.rules.create(pid, parse(RuleIn, data))
        typer.echo(f"created rule {r.id}: {r.name}")


def _set_enabled(rule_id: int, enabled: bool, project: str | None, data_dir: Path | None, db: str | None) -> None:
    from monitorx.services.alerting.specs import RulePatch

    with _alerting(project, data_dir, db) as (alerting, pid):
        r = alerting.rules.update(pid, rule_id, RulePatch(enabled=enabled))
        typer.echo(f"rule {r.id} ({r.name}) {'enabled' if r.enabled else 'disabled'}")


@rules_app.command("enable")
def rules_enable(rule_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Enable a rule."""
    _set_enabled(rule_id, True, project, data_dir, database_url)


@rules_app.command("disable")
def rules_disable(rule_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Disable a rule: its alerts resolve (after keep_firing_for) and it is no longer evaluated."""
    _set_enabled(rule_id, False, project, data_dir, database_url)


@rules_app.command("delete")
def rules_delete(rule_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Delete a rule and its alerts."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        alerting.rules.delete(pid, rule_id)
        typer.echo(f"deleted rule {rule_id}")


# -- channels -------------------------------------------------------------------------------------
@channels_app.command("list")
def channels_list(project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List channels (never their secrets)."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        typer.echo(f"{'ID':>5} {'KIND':10} {'ON':3} {'MATCHERS':30} NAME")
        for c in alerting.channels.find(pid):
            matchers = ",".join(f"{m['name']}{m['op']}{m['value']}" for m in c.matchers) or "*"
            typer.echo(f"{c.id:>5} {c.kind:10} {'yes' if c.enabled else 'no':3} {matchers[:30]:30} {c.name}")


@channels_app.command("create")
def channels_create(
    file: JsonFile, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None
) -> None:
    """Create a channel from a JSON file (as POST /api/v1/channels takes); prints a webhook's secret once."""
    from monitorx.services.alerting.specs import ChannelIn, parse

    data = _load(file)
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        c, secret = alerting.channels.create(pid, parse(ChannelIn, data))
        typer.echo(f"created channel {c.id}: {c.name} ({c.kind})")
        if secret:
            typer.echo(f"signing secret (shown only this once): {secret}")


@channels_app.command("test")
def channels_test(
    channel_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None
) -> None:
    """Send a test notification now."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        for d in alerting.test_channel(pid, channel_id, "cli"):
            detail = d.error or f"{d.response_status} {d.response[:200]}"
            typer.echo(f"{d.status}: {detail}")
            if d.status != "delivered":
                raise typer.Exit(1)


@channels_app.command("deliveries")
def channels_deliveries(
    channel_id: int,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """The channel's delivery log, newest first."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        typer.echo(f"{'AT':19} {'REASON':9} {'TRY':>3} {'STATUS':10} {'CODE':>4} DETAIL")
        for d in alerting.deliveries(pid, channel_id, limit):
            code = "-" if d.response_status is None else str(d.response_status)
            detail = (d.error or d.response or "").replace("\n", " ")[:80]
            typer.echo(f"{_when(d.at):19} {d.reason:9} {d.attempt:>3} {d.status:10} {code:>4} {detail}")


@channels_app.command("delete")
def channels_delete(
    channel_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None
) -> None:
    """Delete a channel."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        alerting.channels.delete(pid, channel_id)
        typer.echo(f"deleted channel {channel_id}")


# -- silences -------------------------------------------------------------------------------------
@silences_app.command("list")
def silences_list(project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List silences."""
    now = time.time()
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        typer.echo(f"{'ID':>5} {'STATUS':8} {'ENDS':19} {'BY':16} MATCHERS  COMMENT")
        for s in alerting.silences.find(pid):
            matchers = ",".join(f"{m['name']}{m['op']}{m['value']}" for m in s.matchers)
            typer.echo(
                f"{s.id:>5} {s.status(now):8} {_when(s.ends_at):19} {s.created_by[:16]:16} {matchers}  {s.comment}"
            )


@silences_app.command("create")
def silences_create(
    match: Annotated[list[str], typer.Option("--match", "-m", help="name=value, name!=value, name=~re, name!~re")],
    comment: Annotated[str, typer.Option(help="Why")],
    for_: Annotated[str, typer.Option("--for", help="How long, e.g. 2h")] = "1h",
    author: Annotated[str, typer.Option(help="Who")] = "cli",
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Silence alerts whose labels match all matchers, from now on."""
    from monitorx.services.alerting.specs import SilenceIn, parse

    data = {
        "matchers": [parse_matcher(m) for m in match],
        "duration_s": parse_duration(for_),
        "comment": comment,
        "created_by": author,
    }
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        s = alerting.silences.create(pid, parse(SilenceIn, data), author)
        typer.echo(f"created silence {s.id}, until {_when(s.ends_at)} UTC")


@silences_app.command("expire")
def silences_expire(
    silence_id: int, project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None
) -> None:
    """End a silence now."""
    with _alerting(project, data_dir, database_url) as (alerting, pid):
        s = alerting.silences.expire(pid, silence_id)
        typer.echo(f"silence {s.id} is {s.status(time.time())}")
