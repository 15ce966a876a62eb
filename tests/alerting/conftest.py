"""Fixtures for alerting: the service on a manual clock, real receivers (HTTP and SMTP), data helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, select

from conftest import free_port
from monitorx.services.alerting import AlertingService, ManualClock
from monitorx.services.alerting.specs import ChannelIn, RuleIn
from monitorx.store import tables as t

START = float(int(time.time()) // 60 * 60)  # a whole minute near the real time (ingest refuses far futures)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def alerting(services: Any, clock: ManualClock) -> Iterator[AlertingService]:
    """The alerting service on the test's database, its clock in the test's hands; 127.0.0.1 allowed."""
    settings = services.settings.model_copy(
        update={"alert_allow_hosts": "127.0.0.1", "alert_retry_base_s": 0.01, "alert_send_timeout_s": 5.0}
    )
    svc = AlertingService(services.db, services.registry, services.query, settings, clock=clock)
    yield svc
    svc.close()


def project(services: Any) -> int:
    return int(services.boot.project_id)


def model_id(services: Any, name: str) -> int:
    with services.db.read() as conn:
        return int(
            conn.execute(
                select(t.models.c.id).where(t.models.c.project_id == project(services), t.models.c.name == name)
            ).scalar_one()
        )


def make_model(services: Any, name: str = "fraud", thresholds: dict[str, float] | None = None) -> int:
    services.registry.create_model(project(services), name, "classification", "", thresholds or {})
    return model_id(services, name)


def put_result(
    services: Any,
    model: int,
    kind: str,
    at: float,
    value: float | None = None,
    flagged: bool = False,
    result: dict[str, Any] | None = None,
) -> None:
    """A monitor_results row ending at ``at``, as the drift / quality engineers' jobs write them."""
    with services.db.write() as conn:
        conn.execute(
            insert(t.monitor_results).values(
                model_id=model,
                kind=kind,
                window_start=at - 3600,
                window_end=at,
                computed_at=at,
                value=value,
                flagged=flagged,
                result=orjson.dumps(result or {}).decode(),
            )
        )


def accuracy(services: Any, model: int, at: float, value: float) -> None:
    put_result(services, model, "quality", at, value, False, {"metrics": {"accuracy": value}})


def ingest(services: Any, events: list[dict[str, Any]], batch: int = 5000) -> None:
    for i in range(0, len(events), batch):
        body = orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events[i : i + batch]})
        services.ingest.ingest_events(project(services), body)


def rule(alerting: AlertingService, services: Any, **spec: Any) -> Any:
    spec.setdefault("name", f"rule-{uuid.uuid4().hex[:6]}")
    return alerting.rules.create(project(services), RuleIn.model_validate(spec, strict=False))


def quality_rule(alerting: AlertingService, services: Any, **kw: Any) -> Any:
    """accuracy < 0.9 on the latest quality result of the last 5 minutes: a condition the test sets directly."""
    cond = {"type": "quality", "metric": "accuracy", "op": "<", "threshold": 0.9, "window_s": 300}
    return rule(alerting, services, condition=cond, **kw)


def channel(alerting: AlertingService, services: Any, url: str, **kw: Any) -> tuple[Any, str | None]:
    spec = {"name": f"hook-{uuid.uuid4().hex[:6]}", "config": {"kind": "webhook", "url": url}, **kw}
    return alerting.channels.create(project(services), ChannelIn.model_validate(spec, strict=False))


def verify_signature(secret: str, headers: Any, body: bytes) -> bool:
    """A receiver's check of a Standard Webhooks signature, written from the spec, not from our sender."""
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, g) for g in given) and abs(time.time() - int(ts)) < 300


@dataclass
class Inbox:
    """What an SMTP server received."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle_message(self, message: Message) -> None:
        with self.lock:
            self.messages.append(message)


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, Inbox]]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message as MessageHandler

    inbox = Inbox()

    class Collect(MessageHandler):
        def handle_message(self, message: Message) -> None:
            inbox.handle_message(message)

    port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, inbox
    controller.stop()


def webhook_bodies(httpserver: Any) -> list[dict[str, Any]]:
    return [orjson.loads(req.get_data()) for req, _ in httpserver.log]
