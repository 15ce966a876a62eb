"""How a notification reads: Alertmanager's webhook v4 JSON, and short text / HTML for people."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from monitorx.services.alerting.channels.base import AlertView, Notification

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of a firing alert


def rfc3339(ts: float | None) -> str:
    if ts is None:
        return ZERO_TIME
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in maps[1:])}


def alertmanager_v4(n: Notification, max_alerts: int = 0) -> dict[str, Any]:
    """The body Alertmanager 0.25 posts to webhooks (``version: "4"``), so existing receivers parse it."""
    alerts = n.alerts
    truncated = 0
    if max_alerts and len(alerts) > max_alerts:
        truncated = len(alerts) - max_alerts
        alerts = alerts[:max_alerts]
    return {
        "receiver": n.channel_name,
        "status": n.status,
        "alerts": [
            {
                "status": a.status,
                "labels": a.labels,
                "annotations": a.annotations,
                "startsAt": rfc3339(a.starts_at),
                "endsAt": rfc3339(a.ends_at),
                "generatorURL": a.generator_url,
                "fingerprint": a.fingerprint,
            }
            for a in alerts
        ],
        "groupLabels": n.group_labels,
        "commonLabels": _common([a.labels for a in alerts]),  # after truncation, as Alertmanager
        "commonAnnotations": _common([a.annotations for a in alerts]),
        "externalURL": n.external_url,
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": truncated,
    }


def title(n: Notification) -> str:
    """``[FIRING:2] HighLatency fraud`` (Alertmanager's default subject)."""
    count = f":{len(n.firing)}" if n.firing else ""
    labels = " ".join(v for v in n.group_labels.values() if v)
    return f"[{n.status.upper()}{count}] {labels}".rstrip()


def _line(a: AlertView) -> str:
    summary = a.annotations.get("summary") or a.labels.get("alertname", "alert")
    when = f"since {rfc3339(a.starts_at)}" if a.status == "firing" else f"resolved {rfc3339(a.ends_at)}"
    return f"{summary} ({when})"


def text(n: Notification) -> str:
    out = [title(n), ""]
    for heading, alerts in (("Firing", n.firing), ("Resolved", n.resolved)):
        if alerts:
            out.append(f"{heading}:")
            for a in alerts:
                out.append(f"- {_line(a)}")
                labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
                out.append(f"  labels: {labels}")
                if a.annotations.get("description"):
                    out.append(f"  {a.annotations['description']}")
            out.append("")
    if n.external_url:
        out.append(f"MonitorX: {n.external_url}")
    return "\n".join(out).rstrip() + "\n"


def html_body(n: Notification) -> str:
    esc = html.escape
    parts = [f"<h2>{esc(title(n))}</h2>"]
    for heading, colour, alerts in (("Firing", "#c0392b", n.firing), ("Resolved", "#27ae60", n.resolved)):
        if not alerts:
            continue
        parts.append(f'<h3 style="color:{colour}">{heading}</h3><ul>')
        for a in alerts:
            labels = ", ".join(f"{esc(k)}={esc(v)}" for k, v in sorted(a.labels.items()))
            desc = a.annotations.get("description")
            parts.append(
                f"<li><strong>{esc(_line(a))}</strong><br><small>{labels}</small>"
                + (f"<br>{esc(desc)}" if desc else "")
                + "</li>"
            )
        parts.append("</ul>")
    if n.external_url:
        parts.append(f'<p><a href="{esc(n.external_url)}">Open MonitorX</a></p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>"
