"""From alert states to notifications, as Alertmanager's pipeline: route, group, wait, mute, dedup, retry.

Per channel, alerts whose labels match the channel's matchers are grouped by the ``group_by``
labels. A new group waits ``group_wait`` before its first notification, so alerts that start
together go out together; after that the group is flushed every ``group_interval``. A flush
notifies (Alertmanager's ``DedupStage``) when an alert fires that was not in the last notification,
when everything resolved, when (with ``send_resolved``) some alert resolved, or when
``repeat_interval`` passed since the last one and some alert is still firing and not acknowledged.
Otherwise nothing is sent. Pending alerts are never sent; an alert resolved within ``group_wait``
is never sent at all; silenced alerts are left out, and a group with only silenced alerts sends
nothing, not even "resolved".

What each group last notified is stored (``alert_groups``), so a restart neither repeats nor loses
a notification. A failed delivery (after its retries) leaves that record as it was: the next flush
tries again. Every attempt is logged in ``alert_deliveries``.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update

from monitorx.services.alerting import state as st
from monitorx.services.alerting.channel_store import Channel, ChannelStore
from monitorx.services.alerting.channels import SENDERS, AlertView, Notification, Outcome, SendContext
from monitorx.services.alerting.clock import Clock
from monitorx.services.alerting.instances import Alert, AlertStore
from monitorx.services.alerting.matchers import matches_all
from monitorx.services.alerting.secretbox import SecretError
from monitorx.services.alerting.silences import Silence, SilenceStore
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.alerting")
_MAX_RESPONSE_LOGGED = 1000
_MAX_SENDERS = 8


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 4
    retry_base_s: float = 1.0
    max_retry_after_s: float = 60.0


@dataclass
class Group:
    channel_id: int
    group_hash: str
    group_labels: dict[str, str]
    created_at: float
    next_flush_at: float
    last_notified_at: float | None = None
    notified: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint -> alert as last sent
    id: int | None = None


@dataclass
class Delivery:
    """One notification to send, and what to record once it is delivered."""

    channel: Channel
    notification: Notification
    group: Group
    notified_after: dict[str, dict[str, Any]]
    at: float  # the flush time: repeat intervals count from it, not from when retries ended


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    groups: int = 0


def group_hash(channel_id: int, labels: dict[str, str]) -> str:
    blob = orjson.dumps([channel_id, labels], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(blob).hexdigest()[:32]


def group_key(channel: Channel, labels: dict[str, str]) -> str:
    """Alertmanager's group key: ``{}/{matchers}:{labels}``; also PagerDuty's dedup key (hashed)."""
    route = "{}"
    if channel.matchers:
        route += "/{" + ",".join(f'{m["name"]}{m["op"]}"{m["value"]}"' for m in channel.matchers) + "}"
    return route + ":{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def snapshot(a: Alert) -> dict[str, Any]:
    return {
        "labels": a.labels,
        "annotations": a.annotations,
        "starts_at": a.fired_at if a.fired_at is not None else a.active_at,
        "value": a.value,
        "rule_id": a.rule_id,
    }


class Dispatcher:
    def __init__(
        self,
        db: Database,
        channels: ChannelStore,
        alerts: AlertStore,
        silences: SilenceStore,
        clock: Clock,
        ctx: SendContext,
        policy: DeliveryPolicy,
        external_url: str,
    ) -> None:
        self.db = db
        self.channels = channels
        self.alerts = alerts
        self.silences = silences
        self.clock = clock
        self.ctx = ctx
        self.policy = policy
        self.external_url = external_url.rstrip("/")

    # -- planning -------------------------------------------------------------------------
    def run(self, now: float) -> DispatchReport:
        report = DispatchReport()
        channels = self.channels.enabled()
        if not channels:
            return report
        pids = sorted({c.project_id for c in channels})
        by_project: dict[int, list[Alert]] = {}
        for a in self.alerts.all_of(pids):
            by_project.setdefault(a.project_id, []).append(a)
        silences = self.silences.active(pids, now)
        groups = self._groups([c.id for c in channels])
        deliveries: list[Delivery] = []
        for ch in channels:
            deliveries += self._plan(
                ch, by_project.get(ch.project_id, []), silences.get(ch.project_id, []), groups.get(ch.id, {}), now
            )
            report.groups += len(groups.get(ch.id, {}))
        if not deliveries:
            return report
        with ThreadPoolExecutor(max_workers=min(_MAX_SENDERS, len(deliveries)), thread_name_prefix="notify") as pool:
            results = list(pool.map(self._deliver_and_record, deliveries))
        report.sent = sum(results)
        report.failed = len(results) - report.sent
        return report

    def _groups(self, channel_ids: list[int]) -> dict[int, dict[str, Group]]:
        out: dict[int, dict[str, Group]] = {}
        with self.db.read() as conn:
            for r in conn.execute(select(t.alert_groups).where(t.alert_groups.c.channel_id.in_(channel_ids))):
                out.setdefault(r.channel_id, {})[r.group_hash] = Group(
                    r.channel_id,
                    r.group_hash,
                    orjson.loads(r.group_labels),
                    r.created_at,
                    r.next_flush_at,
                    r.last_notified_at,
                    orjson.loads(r.notified),
                    r.id,
                )
        return out

    def _plan(
        self, ch: Channel, alerts: list[Alert], silences: list[Silence], groups: dict[str, Group], now: float
    ) -> list[Delivery]:
        buckets: dict[str, tuple[dict[str, str], list[Alert]]] = {}
        for a in alerts:
            if a.state == st.INACTIVE or not matches_all(ch.matchers, a.labels):
                continue
            labels = {name: a.labels.get(name, "") for name in ch.group_by}
            buckets.setdefault(group_hash(ch.id, labels), (labels, []))[1].append(a)
        out = []
        for h in set(buckets) | set(groups):
            labels, members = buckets.get(h, (groups[h].group_labels if h in groups else {}, []))
            firing = [a for a in members if a.state == st.FIRING]
            muted = {a.fingerprint for a in firing if any(s.mutes(a.labels, now) for s in silences)}
            live = [a for a in firing if a.fingerprint not in muted]
            group = groups.get(h)
            if group is None:
                if not live:
                    continue
                group = Group(ch.id, h, labels, now, now + ch.group_wait_s)
                self._save(group)
            if now < group.next_flush_at:
                continue
            delivery = self._flush(ch, group, members, live, muted, now)
            if delivery is not None:
                out.append(delivery)
        return out

    def _flush(
        self, ch: Channel, group: Group, members: list[Alert], live: list[Alert], muted: set[str], now: float
    ) -> Delivery | None:
        live_fps = {a.fingerprint for a in live}
        resolved_fps = [fp for fp in group.notified if fp not in live_fps and fp not in muted]
        if not live and not resolved_fps:
            if muted:  # all silenced: send nothing, forget nothing
                group.next_flush_at = now + ch.group_interval_s
                self._save(group)
            else:
                self._drop(group)
            return None
        reason = None
        if group.last_notified_at is None:
            reason = "firing"
        elif live_fps - set(group.notified):
            reason = "update"
        elif not live:
            reason = "resolved"
        elif resolved_fps and ch.send_resolved:
            reason = "update"
        elif now - group.last_notified_at >= ch.repeat_interval_s and not all(a.acknowledged_at for a in live):
            reason = "repeat"
        group.next_flush_at = now + ch.group_interval_s
        if reason is None:
            self._save(group)
            return None
        if reason == "resolved" and not ch.send_resolved:
            self._drop(group)  # "all resolved" clears the record; this channel does not say it
            return None
        self._save(group)
        current = {a.fingerprint: a for a in members}
        resolved = [self._resolved_view(fp, group.notified[fp], current.get(fp), now) for fp in resolved_fps]
        notification = Notification(
            id=f"msg_{uuid.uuid4().hex}",
            channel_name=ch.name,
            group_key=group_key(ch, group.group_labels),
            group_labels=group.group_labels,
            reason=reason,
            firing=[self._firing_view(a) for a in live],
            resolved=resolved if ch.send_resolved else [],
            external_url=self.external_url,
        )
        return Delivery(ch, notification, group, {a.fingerprint: snapshot(a) for a in live}, now)

    def _generator_url(self, rule_id: Any) -> str:
        return f"{self.external_url}/api/v1/alert-rules/{rule_id}" if self.external_url else ""

    def _firing_view(self, a: Alert) -> AlertView:
        snap = snapshot(a)
        return AlertView(
            "firing",
            a.labels,
            a.annotations,
            snap["starts_at"],
            None,
            a.fingerprint,
            self._generator_url(a.rule_id),
            a.value,
        )

    def _resolved_view(self, fp: str, snap: dict[str, Any], now_alert: Alert | None, now: float) -> AlertView:
        ends = now_alert.resolved_at if now_alert is not None and now_alert.resolved_at is not None else now
        return AlertView(
            "resolved",
            snap["labels"],
            snap["annotations"],
            snap["starts_at"],
            ends,
            fp,
            self._generator_url(snap.get("rule_id")),
            snap.get("value"),
        )

    # -- group records --------------------------------------------------------------------
    def _save(self, g: Group) -> None:
        values = {
            "group_labels": orjson.dumps(g.group_labels).decode(),
            "next_flush_at": g.next_flush_at,
            "last_notified_at": g.last_notified_at,
            "notified": orjson.dumps(g.notified).decode(),
        }
        with self.db.write() as conn:
            if g.id is None:
                g.id = int(
                    conn.execute(
                        insert(t.alert_groups)
                        .values(channel_id=g.channel_id, group_hash=g.group_hash, created_at=g.created_at, **values)
                        .returning(t.alert_groups.c.id)
                    ).scalar_one()
                )
            else:
                conn.execute(update(t.alert_groups).where(t.alert_groups.c.id == g.id).values(**values))

    def _drop(self, g: Group) -> None:
        if g.id is not None:
            with self.db.write() as conn:
                conn.execute(delete(t.alert_groups).where(t.alert_groups.c.id == g.id))

    # -- delivery -------------------------------------------------------------------------
    def _deliver_and_record(self, d: Delivery) -> bool:
        ok = self.deliver(d.channel, d.notification, self.policy.max_attempts)
        if ok:
            d.group.last_notified_at = d.at
            d.group.notified = d.notified_after
            if d.notified_after:
                self._save(d.group)
            else:
                self._drop(d.group)
        return ok

    def deliver(self, ch: Channel, n: Notification, max_attempts: int) -> bool:
        """Send with retries (5xx, 429, timeouts: exponential backoff; other answers: no retry); log each attempt."""
        try:
            secrets = self.channels.secrets(ch)
        except SecretError as exc:
            self._log(ch, n, 1, Outcome(False, error=exc.message), "failed", 0.0)
            return False
        sender = SENDERS[ch.kind]
        for attempt in range(1, max_attempts + 1):
            started = time.monotonic()
            try:
                outcome = sender(n, ch.config, secrets, self.ctx)
            except Exception as exc:  # a bug in a sender must not stop the others
                log.exception("channel %s: sending failed", ch.id)
                outcome = Outcome(False, retryable=False, error=f"{type(exc).__name__}: {exc}")
            elapsed_ms = (time.monotonic() - started) * 1000
            final = outcome.ok or not outcome.retryable or attempt == max_attempts
            status = "delivered" if outcome.ok else ("failed" if final else "retrying")
            self._log(ch, n, attempt, outcome, status, elapsed_ms)
            if outcome.ok:
                return True
            if final:
                log.warning("channel %s (%s): %s not delivered: %s", ch.id, ch.kind, n.reason, outcome.error)
                return False
            delay = self.policy.retry_base_s * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
            if outcome.retry_after is not None:
                delay = max(delay, min(outcome.retry_after, self.policy.max_retry_after_s))
            self.clock.sleep(delay)
        return False

    def _log(self, ch: Channel, n: Notification, attempt: int, o: Outcome, status: str, elapsed_ms: float) -> None:
        with self.db.write() as conn:
            conn.execute(
                insert(t.alert_deliveries).values(
                    channel_id=ch.id,
                    notification_id=n.id,
                    group_key=n.group_key,
                    reason=n.reason,
                    attempt=attempt,
                    status=status,
                    at=self.clock.now(),
                    duration_ms=elapsed_ms,
                    response_status=o.status,
                    response=o.response[:_MAX_RESPONSE_LOGGED],
                    error=None if o.error is None else o.error[:_MAX_RESPONSE_LOGGED],
                )
            )
