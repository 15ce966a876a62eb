"""Background upkeep: fold closed hours into hourly rollups, compact partials, delete what expired.

Every closed hour gets hourly rollup rows (folded from its minutes, which are then marked
``in_hour``), so a query over days reads ~24 rows a day instead of 1,440. Minutes stay for fine
steps until ``rollup_minute_days``, then only the hours remain.

With several replicas on PostgreSQL only the holder of an advisory lock does this, so work is
never done twice; if the holder dies its session ends, the lock is freed and another takes over.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update

from monitorx.config import Settings
from monitorx.services.rollup import HOUR, MINUTE, merge_rows
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.maintenance")
_LOCK = 0x4D4F4E58_0002
_GROUPS_PER_TX = 200
_CLOSED_AFTER_S = 120  # a minute is compacted once late events for it are unlikely


def minute_cutoff(now: float, minute_days: float) -> int:
    """Hour-aligned time before which only hourly rollups are kept (and read)."""
    return int((now - minute_days * 86400) // HOUR * HOUR)


@dataclass
class Report:
    partials_merged: int = 0
    hours_built: int = 0
    minutes_dropped: int = 0
    deleted: dict[str, int] = field(default_factory=dict)


class Maintenance:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def run(self, now: float | None = None) -> Report | None:
        """One pass; None when another replica holds the maintenance lock."""
        now = time.time() if now is None else now
        if self.db.sqlite:
            return self._run(now)
        with self.db.engine.connect() as lock_conn:
            got = lock_conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK}).scalar()
            lock_conn.commit()
            if not got:
                return None
            try:
                return self._run(now)
            finally:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK})
                lock_conn.commit()

    def _run(self, now: float) -> Report:
        report = Report()
        s = self.settings
        report.hours_built = self._seal_hours(now - _CLOSED_AFTER_S)
        report.minutes_dropped = self._drop_folded_minutes(minute_cutoff(now, s.rollup_minute_days))
        report.partials_merged = self._merge_partials(now - _CLOSED_AFTER_S)
        report.deleted = self._expire(now)
        return report

    def _merge_partials(self, closed_before: float) -> int:
        merged = 0
        while True:
            with self.db.write() as conn:
                key_cols = (
                    t.rollups.c.series_id,
                    t.rollups.c.resolution,
                    t.rollups.c.bucket_start,
                    t.rollups.c.in_hour,
                )
                keys = conn.execute(
                    select(*key_cols)
                    .where(t.rollups.c.bucket_start < closed_before)
                    .group_by(*key_cols)
                    .having(func.count() > 1)
                    .limit(_GROUPS_PER_TX)
                ).all()
                for sid, res, start, in_hour in keys:
                    rows = list(
                        conn.execute(
                            select(t.rollups).where(
                                t.rollups.c.series_id == sid,
                                t.rollups.c.resolution == res,
                                t.rollups.c.bucket_start == start,
                                t.rollups.c.in_hour.is_(in_hour),
                            )
                        )
                    )
                    self._replace(conn, rows, merge_rows(rows, res, start, sid, in_hour))
                    merged += len(rows)
            if len(keys) < _GROUPS_PER_TX:
                return merged

    def _seal_hours(self, closed_before: float) -> int:
        """Fold the not-yet-folded minutes of closed hours into hourly partials."""
        cutoff = int(closed_before // HOUR * HOUR)  # whole hours only
        built = 0
        while True:
            with self.db.write() as conn:
                rows = conn.execute(
                    select(t.rollups)
                    .where(
                        t.rollups.c.resolution == MINUTE,
                        t.rollups.c.in_hour.is_(False),
                        t.rollups.c.bucket_start < cutoff,
                    )
                    .order_by(t.rollups.c.series_id, t.rollups.c.bucket_start)
                    .limit(_GROUPS_PER_TX * 60)
                ).all()
                if not rows:
                    return built
                for (sid, hour), group in groupby(rows, key=lambda r: (r.series_id, r.bucket_start // HOUR * HOUR)):
                    members = list(group)
                    conn.execute(insert(t.rollups).values(**merge_rows(members, HOUR, hour, sid)))
                    conn.execute(
                        update(t.rollups).where(t.rollups.c.id.in_([r.id for r in members])).values(in_hour=True)
                    )
                    built += 1

    def _drop_folded_minutes(self, cutoff: int) -> int:
        with self.db.write() as conn:
            return int(
                conn.execute(
                    delete(t.rollups).where(
                        t.rollups.c.resolution == MINUTE,
                        t.rollups.c.in_hour.is_(True),
                        t.rollups.c.bucket_start < cutoff,
                    )
                ).rowcount
            )

    @staticmethod
    def _replace(conn: Connection, old: list[Any], new: dict[str, Any]) -> None:
        conn.execute(delete(t.rollups).where(t.rollups.c.id.in_([r.id for r in old])))
        conn.execute(insert(t.rollups).values(**new))

    def _expire(self, now: float) -> dict[str, int]:
        s = self.settings
        raw = now - s.raw_retention_days * 86400
        out = {}
        with self.db.write() as conn:
            out["event_chunks"] = conn.execute(delete(t.event_chunks).where(t.event_chunks.c.max_ts < raw)).rowcount
            # A batch id is remembered as long as its events are: retries come within minutes.
            out["ingested_batches"] = conn.execute(
                delete(t.ingested_batches).where(t.ingested_batches.c.received_at < raw)
            ).rowcount
            out["resource_samples"] = conn.execute(
                delete(t.resource_samples).where(t.resource_samples.c.ts < now - s.rollup_minute_days * 86400)
            ).rowcount
            out["rollups"] = conn.execute(
                delete(t.rollups).where(t.rollups.c.bucket_start < now - s.rollup_retention_days * 86400)
            ).rowcount
        return out
