"""Alert instances (a rule and a label set) and their history: stored, listed, acknowledged, resolved."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from monitorx.errors import Conflict, NotFound
from monitorx.services.alerting import state as st
from monitorx.services.alerting.rules import Rule
from monitorx.services.alerting.sources import Sample
from monitorx.store import tables as t
from monitorx.store.database import Database

EVALUATOR = "evaluator"


@dataclass(frozen=True)
class Alert:
    id: int
    project_id: int
    rule_id: int
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str
    value: float | None
    active_at: float
    fired_at: float | None
    resolved_at: float | None
    keep_firing_since: float | None
    manual_hold: bool
    acknowledged_at: float | None
    acknowledged_by: str | None
    last_eval_at: float


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    from_state: str
    to_state: str
    value: float | None
    actor: str
    note: str


def fingerprint(labels: Mapping[str, str]) -> str:
    return hashlib.sha256(orjson.dumps(dict(labels), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def alert_of(r: Any) -> Alert:
    return Alert(
        id=r.id,
        project_id=r.project_id,
        rule_id=r.rule_id,
        fingerprint=r.fingerprint,
        labels=orjson.loads(r.labels),
        annotations=orjson.loads(r.annotations),
        state=r.state,
        value=r.value,
        active_at=r.active_at,
        fired_at=r.fired_at,
        resolved_at=r.resolved_at,
        keep_firing_since=r.keep_firing_since,
        manual_hold=bool(r.manual_hold),
        acknowledged_at=r.acknowledged_at,
        acknowledged_by=r.acknowledged_by,
        last_eval_at=r.last_eval_at,
    )


def _state_of(a: Alert) -> st.AlertState:
    return st.AlertState(
        a.state,
        a.active_at,
        a.fired_at,
        a.resolved_at,
        a.keep_firing_since,
        a.manual_hold,
        a.acknowledged_at,
        a.acknowledged_by,
    )


def _state_columns(s: st.AlertState) -> dict[str, Any]:
    return {
        "state": s.state,
        "active_at": s.active_at,
        "fired_at": s.fired_at,
        "resolved_at": s.resolved_at,
        "keep_firing_since": s.keep_firing_since,
        "manual_hold": s.manual_hold,
        "acknowledged_at": s.acknowledged_at,
        "acknowledged_by": s.acknowledged_by,
    }


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, values: Mapping[str, Any]) -> str:
    """``{value}``, ``{model}``, ``{threshold}``… in a rule's annotations; anything else stays as written."""
    try:
        return string.Formatter().vformat(template, (), _Values({k: str(v) for k, v in values.items()}))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def instance_labels(rule: Rule, sample: Sample) -> dict[str, str]:
    severity = rule.severity
    if "slo" in sample.labels:  # page → critical, ticket → warning, whatever the rule says
        severity = "critical" if sample.labels["slo"] == "page" else "warning"
    return {**rule.labels, "alertname": rule.name, "rule_id": str(rule.id), "severity": severity, **sample.labels}


def instance_annotations(rule: Rule, sample: Sample) -> dict[str, str]:
    values = {
        **sample.labels,
        **{k: v for k, v in sample.details.items() if isinstance(v, str | int | float)},
        "value": "no data" if sample.value is None else f"{sample.value:.4g}",
        "rule": rule.name,
    }
    out = {"summary": sample.summary}
    out.update({k: render(v, values) for k, v in rule.annotations.items()})
    return out


class AlertStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the evaluator's side -------------------------------------------------------------
    def apply(self, rule: Rule, samples: list[Sample], now: float) -> list[tuple[str, str]]:
        """Step every instance of ``rule`` with this evaluation's samples; returns the transitions."""
        transitions: list[tuple[str, str]] = []
        with self.db.write() as conn:
            stmt = select(t.alert_instances).where(t.alert_instances.c.rule_id == rule.id)
            if conn.dialect.name == "postgresql":
                stmt = stmt.with_for_update()  # an acknowledgement or manual resolve must not be overwritten
            existing = {r.fingerprint: alert_of(r) for r in conn.execute(stmt)}
            seen: set[str] = set()
            for sample in samples:
                labels = instance_labels(rule, sample)
                fp = fingerprint(labels)
                seen.add(fp)
                current = existing.get(fp)
                self._step(
                    conn, rule, current, labels, instance_annotations(rule, sample), fp, sample, now, transitions
                )
            for fp, current in existing.items():
                if fp in seen or (current.state in (st.INACTIVE, st.RESOLVED) and not current.manual_hold):
                    continue
                # The series is gone (model deleted, host silent, filter changed): the condition no longer holds.
                gone = Sample({}, None, False, current.annotations.get("summary", ""))
                self._step(conn, rule, current, current.labels, current.annotations, fp, gone, now, transitions)
        return transitions

    def _step(
        self,
        conn: Connection,
        rule: Rule,
        current: Alert | None,
        labels: dict[str, str],
        annotations: dict[str, str],
        fp: str,
        sample: Sample,
        now: float,
        transitions: list[tuple[str, str]],
    ) -> None:
        before = None if current is None else _state_of(current)
        after = st.step(before, sample.holds, now, rule.for_s, rule.keep_firing_for_s)
        if after is None:
            return
        if current is None:
            inst_id = conn.execute(
                insert(t.alert_instances)
                .values(
                    project_id=rule.project_id,
                    rule_id=rule.id,
                    fingerprint=fp,
                    labels=orjson.dumps(labels).decode(),
                    annotations=orjson.dumps(annotations).decode(),
                    value=sample.value,
                    last_eval_at=now,
                    **_state_columns(after),
                )
                .returning(t.alert_instances.c.id)
            ).scalar_one()
            self._history(conn, int(inst_id), now, st.INACTIVE, after.state, sample.value, EVALUATOR, "")
            transitions.append((st.INACTIVE, after.state))
            return
        quiet = after.state in (st.INACTIVE, st.RESOLVED) and before == after
        if quiet:
            return  # nothing to keep up to date for an alert that stays down
        conn.execute(
            update(t.alert_instances)
            .where(t.alert_instances.c.id == current.id)
            .values(
                labels=orjson.dumps(labels).decode(),
                annotations=orjson.dumps(annotations).decode(),
                # A vanished series (no labels) has no value of its own: keep the last one seen.
                value=sample.value if sample.labels else current.value,
                last_eval_at=now,
                **_state_columns(after),
            )
        )
        if before is not None and after.state != before.state:
            self._history(conn, current.id, now, before.state, after.state, sample.value, EVALUATOR, "")
            transitions.append((before.state, after.state))

    @staticmethod
    def _history(
        conn: Connection, inst_id: int, at: float, old: str, new: str, value: float | None, actor: str, note: str
    ) -> None:
        conn.execute(
            insert(t.alert_history).values(
                instance_id=inst_id, at=at, from_state=old, to_state=new, value=value, actor=actor, note=note
            )
        )

    # -- reads ----------------------------------------------------------------------------
    def find(
        self,
        project_id: int,
        states: list[str] | None = None,
        rule_id: int | None = None,
        limit: int = 500,
    ) -> list[Alert]:
        stmt = select(t.alert_instances).where(t.alert_instances.c.project_id == project_id)
        if states:
            stmt = stmt.where(t.alert_instances.c.state.in_(states))
        if rule_id is not None:
            stmt = stmt.where(t.alert_instances.c.rule_id == rule_id)
        stmt = stmt.order_by(t.alert_instances.c.active_at.desc(), t.alert_instances.c.id.desc()).limit(limit)
        with self.db.read() as conn:
            return [alert_of(r) for r in conn.execute(stmt)]

    def all_of(self, project_ids: list[int]) -> list[Alert]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.alert_instances).where(t.alert_instances.c.project_id.in_(project_ids)))
            return [alert_of(r) for r in rows]

    def get(self, project_id: int, alert_id: int) -> Alert:
        with self.db.read() as conn:
            r = conn.execute(
                select(t.alert_instances).where(
                    t.alert_instances.c.project_id == project_id, t.alert_instances.c.id == alert_id
                )
            ).first()
        if r is None:
            raise NotFound(f"no alert with id {alert_id} in this project")
        return alert_of(r)

    def history(self, alert_id: int, limit: int = 200) -> list[HistoryEntry]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.alert_history)
                .where(t.alert_history.c.instance_id == alert_id)
                .order_by(t.alert_history.c.at.desc(), t.alert_history.c.id.desc())
                .limit(limit)
            ).all()
        return [HistoryEntry(r.at, r.from_state, r.to_state, r.value, r.actor, r.note) for r in rows]

    # -- by hand --------------------------------------------------------------------------
    def acknowledge(self, project_id: int, alert_id: int, by: str, note: str, now: float) -> Alert:
        with self.db.write() as conn:
            a = self._locked(conn, project_id, alert_id)
            if a.state not in (st.PENDING, st.FIRING):
                raise Conflict(f"alert {alert_id} is {a.state}; only pending or firing alerts can be acknowledged")
            conn.execute(
                update(t.alert_instances)
                .where(t.alert_instances.c.id == alert_id)
                .values(acknowledged_at=now, acknowledged_by=by)
            )
            self._history(conn, alert_id, now, a.state, a.state, a.value, by, note or "acknowledged")
        return self.get(project_id, alert_id)

    def resolve(self, project_id: int, alert_id: int, by: str, note: str, now: float) -> Alert:
        """Resolve by hand: notified as resolved; it stays resolved until its condition clears."""
        with self.db.write() as conn:
            a = self._locked(conn, project_id, alert_id)
            if a.state in (st.PENDING, st.FIRING):
                after = st.resolve(_state_of(a), now, by_hand=True)
                conn.execute(
                    update(t.alert_instances).where(t.alert_instances.c.id == alert_id).values(**_state_columns(after))
                )
                self._history(conn, alert_id, now, a.state, st.RESOLVED, a.value, by, note or "resolved by hand")
        return self.get(project_id, alert_id)

    @staticmethod
    def _locked(conn: Connection, project_id: int, alert_id: int) -> Alert:
        stmt = select(t.alert_instances).where(
            t.alert_instances.c.project_id == project_id, t.alert_instances.c.id == alert_id
        )
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()  # the evaluator on another replica may be stepping it
        r = conn.execute(stmt).first()
        if r is None:
            raise NotFound(f"no alert with id {alert_id} in this project")
        return alert_of(r)
