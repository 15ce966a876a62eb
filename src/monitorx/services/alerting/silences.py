"""Silences: matchers over a time range. Silenced alerts are still evaluated and listed; nobody is notified.

As Alertmanager's: a start in the past becomes now; "deleting" expires a silence (its end becomes
now); an active silence's end may move but not into the past. Expired silences are kept five days.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update

from monitorx.errors import InvalidInput, NotFound
from monitorx.services.alerting.matchers import check_regex, matches_all
from monitorx.services.alerting.specs import SilenceIn, SilencePatch
from monitorx.store import tables as t
from monitorx.store.database import Database

KEEP_EXPIRED_S = 5 * 86400


@dataclass(frozen=True)
class Silence:
    id: int
    matchers: list[dict[str, str]]
    starts_at: float
    ends_at: float
    comment: str
    created_by: str
    created_at: float
    updated_at: float

    def status(self, now: float) -> str:
        if now < self.starts_at:
            return "pending"
        return "active" if now < self.ends_at else "expired"

    def mutes(self, labels: Mapping[str, str], now: float) -> bool:
        return self.status(now) == "active" and matches_all(self.matchers, labels)


def _silence(r: Any) -> Silence:
    return Silence(
        r.id, orjson.loads(r.matchers), r.starts_at, r.ends_at, r.comment, r.created_by, r.created_at, r.updated_at
    )


def _invalid(loc: list[str | int], why: str) -> InvalidInput:
    return InvalidInput(f"{'.'.join(map(str, loc))}: {why}", [{"loc": loc, "msg": why, "type": "value_error"}])


def check_matchers(matchers: Sequence[Mapping[str, str]], loc: str) -> None:
    for i, m in enumerate(matchers):
        if m["op"] in ("=~", "!~"):
            check_regex(m["value"], [loc, i, "value"])


class SilenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, project_id: int, spec: SilenceIn, author: str, now: float | None = None) -> Silence:
        now = time.time() if now is None else now
        matchers = [m.model_dump() for m in spec.matchers]
        check_matchers(matchers, "matchers")
        starts = max(now, spec.starts_at or now)
        if (spec.ends_at is None) == (spec.duration_s is None):
            raise _invalid(["ends_at"], "give either ends_at or duration_s")
        ends = spec.ends_at if spec.ends_at is not None else starts + float(spec.duration_s or 0)
        if ends <= starts:
            raise _invalid(["ends_at"], "must be after starts_at (and after now)")
        with self.db.write() as conn:
            sid = conn.execute(
                insert(t.alert_silences)
                .values(
                    project_id=project_id,
                    matchers=orjson.dumps(matchers).decode(),
                    starts_at=starts,
                    ends_at=ends,
                    comment=spec.comment,
                    created_by=spec.created_by or author,
                    created_at=now,
                    updated_at=now,
                )
                .returning(t.alert_silences.c.id)
            ).scalar_one()
        return self.get(project_id, int(sid))

    def get(self, project_id: int, silence_id: int) -> Silence:
        with self.db.read() as conn:
            r = conn.execute(
                select(t.alert_silences).where(
                    t.alert_silences.c.project_id == project_id, t.alert_silences.c.id == silence_id
                )
            ).first()
        if r is None:
            raise NotFound(f"no silence with id {silence_id} in this project")
        return _silence(r)

    def find(self, project_id: int) -> list[Silence]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.alert_silences)
                .where(t.alert_silences.c.project_id == project_id)
                .order_by(t.alert_silences.c.ends_at.desc(), t.alert_silences.c.id.desc())
            )
            return [_silence(r) for r in rows]

    def active(self, project_ids: list[int], now: float) -> dict[int, list[Silence]]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.alert_silences).where(
                    t.alert_silences.c.project_id.in_(project_ids),
                    t.alert_silences.c.starts_at <= now,
                    t.alert_silences.c.ends_at > now,
                )
            ).all()
        out: dict[int, list[Silence]] = {}
        for r in rows:
            out.setdefault(r.project_id, []).append(_silence(r))
        return out

    def update(self, project_id: int, silence_id: int, patch: SilencePatch, now: float | None = None) -> Silence:
        now = time.time() if now is None else now
        s = self.get(project_id, silence_id)
        values: dict[str, Any] = {"updated_at": now}
        if patch.comment is not None:
            values["comment"] = patch.comment
        if patch.ends_at is not None:
            if s.status(now) == "expired":
                raise _invalid(["ends_at"], "the silence has expired; create a new one")
            if patch.ends_at <= max(now, s.starts_at):
                raise _invalid(["ends_at"], "may not move into the past (expire the silence with DELETE)")
            values["ends_at"] = patch.ends_at
        with self.db.write() as conn:
            conn.execute(update(t.alert_silences).where(t.alert_silences.c.id == silence_id).values(**values))
        return self.get(project_id, silence_id)

    def expire(self, project_id: int, silence_id: int, now: float | None = None) -> Silence:
        now = time.time() if now is None else now
        s = self.get(project_id, silence_id)
        if s.status(now) != "expired":
            values: dict[str, Any] = {"ends_at": now, "updated_at": now}
            if s.starts_at > now:
                values["starts_at"] = now
            with self.db.write() as conn:
                conn.execute(update(t.alert_silences).where(t.alert_silences.c.id == silence_id).values(**values))
        return self.get(project_id, silence_id)

    def collect_garbage(self, now: float) -> int:
        with self.db.write() as conn:
            return int(
                conn.execute(delete(t.alert_silences).where(t.alert_silences.c.ends_at < now - KEEP_EXPIRED_S)).rowcount
            )
