"""Generic webhook: Alertmanager v4 JSON, signed as Standard Webhooks 1.0 prescribes.

Headers ``webhook-id`` (the notification id, the same on every retry: de-duplicate on it),
``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64(HMAC-SHA256(key,
"{id}.{timestamp}.{body}"))>``, where the key is the base64 part of the channel's ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as stdlib_secrets
import time
from typing import Any

import orjson

from monitorx.services.alerting.channels import outbound
from monitorx.services.alerting.channels.base import Notification, Outcome, SendContext
from monitorx.services.alerting.channels.payload import alertmanager_v4

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes (the spec allows 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(stdlib_secrets.token_bytes(32)).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def send(n: Notification, config: dict[str, Any], secrets: dict[str, Any], ctx: SendContext) -> Outcome:
    body = orjson.dumps(alertmanager_v4(n, int(config.get("max_alerts", 0))))
    ts = int(time.time())  # receivers check it against their own clock
    headers = {"webhook-id": n.id, "webhook-timestamp": str(ts)}
    if secrets.get("signing_secret"):
        headers["webhook-signature"] = sign(secrets["signing_secret"], n.id, ts, body)
    return outbound.post(str(config["url"]), body, headers, ctx)
