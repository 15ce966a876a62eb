"""PagerDuty Events API v2: ``trigger`` while the group fires, ``resolve`` once all of it has resolved.

``dedup_key`` is the SHA-256 of the group key, as Alertmanager sends, so every notification of one
group updates the same PagerDuty alert. Accepted is HTTP 202; 400 is not retried, 429 and 5xx are.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from monitorx.services.alerting.channels import outbound
from monitorx.services.alerting.channels.base import Notification, Outcome, SendContext
from monitorx.services.alerting.channels.payload import rfc3339, text, title

_SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}


def event(n: Notification, routing_key: str) -> dict[str, Any]:
    dedup_key = hashlib.sha256(n.group_key.encode()).hexdigest()
    if not n.firing:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    worst = min(
        (a.labels.get("severity", "warning") for a in n.firing),
        key=lambda s: list(_SEVERITY).index(s) if s in _SEVERITY else 2,
    )
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": title(n)[:1024],
            "source": n.group_labels.get("model") or n.group_labels.get("host") or "monitorx",
            "severity": _SEVERITY.get(worst, "warning"),
            "timestamp": rfc3339(min(a.starts_at for a in n.firing)),
            "group": n.group_labels.get("model", ""),
            "class": n.group_labels.get("alertname", ""),
            "custom_details": {"alerts": text(n)[:10_000], "group_key": n.group_key},
        },
        "client": "MonitorX",
        **({"client_url": n.external_url} if n.external_url else {}),
    }


def send(n: Notification, config: dict[str, Any], secrets: dict[str, Any], ctx: SendContext) -> Outcome:
    body = orjson.dumps(event(n, str(secrets["routing_key"])))
    return outbound.post(str(config["url"]), body, {}, ctx)
