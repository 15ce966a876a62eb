"""Slack incoming webhook: a fallback ``text`` and Block Kit sections. Success is HTTP 200 ``ok``."""

from __future__ import annotations

from typing import Any

import orjson

from monitorx.services.alerting.channels import outbound
from monitorx.services.alerting.channels.base import Notification, Outcome, SendContext
from monitorx.services.alerting.channels.payload import title

_MAX_ALERTS = 20  # a message has at most 50 blocks; keep it readable


def _mrkdwn_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def body(n: Notification) -> dict[str, Any]:
    head = title(n)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": head[:150]}}]
    for a in n.alerts[:_MAX_ALERTS]:
        mark = ":red_circle:" if a.status == "firing" else ":large_green_circle:"
        summary = a.annotations.get("summary") or a.labels.get("alertname", "alert")
        labels = ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items()))
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"{mark} *{_mrkdwn_escape(summary)}*\n{_mrkdwn_escape(labels)}"[:3000],
                },
            }
        )
    if len(n.alerts) > _MAX_ALERTS:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {len(n.alerts) - _MAX_ALERTS} more"}]}
        )
    if n.external_url:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{n.external_url}|MonitorX>"}]})
    return {"text": head, "blocks": blocks}


def send(n: Notification, config: dict[str, Any], secrets: dict[str, Any], ctx: SendContext) -> Outcome:
    return outbound.post(str(secrets["url"]), orjson.dumps(body(n)), {}, ctx)
