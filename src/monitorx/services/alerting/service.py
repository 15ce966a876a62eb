"""The alerting service of one server process: rules, alerts, silences, channels, and the evaluation loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from monitorx.config import Settings
from monitorx.errors import RateLimited
from monitorx.services.alerting.channel_store import Channel, ChannelStore
from monitorx.services.alerting.channels import AlertView, Notification, SendContext
from monitorx.services.alerting.clock import Clock, SystemClock
from monitorx.services.alerting.dispatch import DeliveryPolicy, Dispatcher
from monitorx.services.alerting.evaluator import Evaluator, TickReport
from monitorx.services.alerting.instances import AlertStore
from monitorx.services.alerting.leader import Leadership
from monitorx.services.alerting.rules import RuleStore
from monitorx.services.alerting.secretbox import SecretBox
from monitorx.services.alerting.silences import SilenceStore
from monitorx.services.alerting.sources import Sources
from monitorx.services.alerting.ssrf import AllowList
from monitorx.services.keys import RateLimiter
from monitorx.services.query import QueryService
from monitorx.services.registry import Registry
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.alerting")
TEST_EVERY_S = 10.0  # test notifications per channel: one every 10 s, bursts of 3
TEST_BURST = 3


@dataclass(frozen=True)
class DeliveryRecord:
    id: int
    notification_id: str
    group_key: str
    reason: str
    attempt: int
    status: str
    at: float
    duration_ms: float
    response_status: int | None
    response: str
    error: str | None


@dataclass
class LoopStatus:
    interval_s: float
    leader: bool = False
    last_tick_at: float | None = None
    last_duration_ms: float | None = None
    last_rules: int = 0
    last_error: str | None = None


class AlertingService:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        query: QueryService,
        settings: Settings,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        allow = AllowList.parse(settings.alert_allow_hosts)
        self.rules = RuleStore(db)
        self.alerts = AlertStore(db)
        self.silences = SilenceStore(db)
        self.channels = ChannelStore(db, SecretBox(settings.secret_key, settings.data_dir), allow)
        external = settings.alert_external_url or f"http://{settings.host}:{settings.port}"
        self.dispatcher = Dispatcher(
            db,
            self.channels,
            self.alerts,
            self.silences,
            self.clock,
            SendContext(allow, settings.alert_send_timeout_s),
            DeliveryPolicy(settings.alert_max_attempts, settings.alert_retry_base_s),
            external,
        )
        self.leadership = Leadership(db)
        self.evaluator = Evaluator(
            db,
            registry,
            self.rules,
            self.alerts,
            self.silences,
            Sources(db, registry, query),
            self.dispatcher,
            self.leadership,
        )
        self.status = LoopStatus(settings.alert_interval_s)
        self._test_limiter = RateLimiter(1.0 / TEST_EVERY_S, TEST_BURST)
        self._tick_lock = threading.Lock()  # the loop and an on-demand pass never overlap

    # -- evaluation -----------------------------------------------------------------------
    def tick(self, now: float | None = None) -> TickReport | None:
        """One pass at ``now`` (default: the clock's); None when another replica leads."""
        with self._tick_lock:
            report = self.evaluator.tick(self.clock.now() if now is None else now)
        self.status.leader = report is not None
        if report is not None:
            self.status.last_tick_at = report.at
            self.status.last_duration_ms = report.duration_ms
            self.status.last_rules = report.rules
        return report

    async def run(self) -> None:
        """Evaluate every ``interval_s`` until cancelled (started by the server's lifespan)."""
        interval = self.status.interval_s
        next_at = time.monotonic()
        while True:
            try:
                await asyncio.to_thread(self.tick)
                self.status.last_error = None
            except Exception as exc:  # keep serving; the next pass retries
                log.exception("alert evaluation failed")
                self.status.last_error = f"{type(exc).__name__}: {exc}"
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < 0:  # a slow pass: skip the missed slots rather than run back to back
                next_at = time.monotonic() + interval
                delay = interval
            await asyncio.sleep(delay)

    def close(self) -> None:
        self.leadership.release()

    # -- channels: test and log -----------------------------------------------------------
    def test_channel(self, project_id: int, channel_id: int, by: str) -> list[DeliveryRecord]:
        channel = self.channels.get(project_id, channel_id)
        wait = self._test_limiter.check(str(channel_id))
        if wait:
            raise RateLimited(f"test notifications are limited to one every {TEST_EVERY_S:g}s per channel", wait)
        now = self.clock.now()
        alert = AlertView(
            "firing",
            {"alertname": "MonitorXTest", "severity": "info", "channel": channel.name},
            {"summary": f"Test notification from MonitorX, sent by {by}"},
            now,
            None,
            uuid.uuid4().hex[:16],
            "",
        )
        n = Notification(
            id=f"msg_{uuid.uuid4().hex}",
            channel_name=channel.name,
            group_key=f'{{}}:{{alertname="MonitorXTest", channel="{channel.id}"}}',
            group_labels={"alertname": "MonitorXTest"},
            reason="test",
            firing=[alert],
            resolved=[],
            external_url=self.dispatcher.external_url,
        )
        self.dispatcher.deliver(channel, n, max_attempts=1)
        return [d for d in self.deliveries(project_id, channel_id, 10) if d.notification_id == n.id]

    def deliveries(self, project_id: int, channel_id: int, limit: int = 100) -> list[DeliveryRecord]:
        self.channels.get(project_id, channel_id)  # 404 for another project's channel
        d = t.alert_deliveries.c
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.alert_deliveries)
                .where(d.channel_id == channel_id)
                .order_by(d.at.desc(), d.id.desc())
                .limit(limit)
            ).all()
        return [
            DeliveryRecord(
                r.id,
                r.notification_id,
                r.group_key,
                r.reason,
                r.attempt,
                r.status,
                r.at,
                r.duration_ms,
                r.response_status,
                r.response,
                r.error,
            )
            for r in rows
        ]

    def public_channel(self, c: Channel) -> dict[str, Any]:
        """A channel as the API shows it: settings without secrets, and which secrets are set."""
        return {
            "id": c.id,
            "name": c.name,
            "kind": c.kind,
            "config": c.config,
            "secrets_set": c.secrets_set,
            "matchers": c.matchers,
            "group_by": c.group_by,
            "group_wait_s": c.group_wait_s,
            "group_interval_s": c.group_interval_s,
            "repeat_interval_s": c.repeat_interval_s,
            "send_resolved": c.send_resolved,
            "enabled": c.enabled,
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
