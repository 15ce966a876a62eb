"""Background upkeep: fold closed hours into hourly rollups, compact partials, delete what expired.

Every closed hour gets hourly rows (folded from its minutes, which are then marked ``in_hour``),
so a query over days reads ~24 rows a day instead of 1,440. Minutes stay for fine steps until
``rollup_minute_days``, then only the hours remain. The same passes keep both the latency rollups
and the feature summaries (a ``Rollable`` says how each is keyed and merged).

With several replicas on PostgreSQL only the holder of an advisory lock does this, so work is
never done twice; if the holder dies its session ends, the lock is freed and another takes over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select, update

from monitorx.config import Settings
from monitorx.services.rollup import HOUR, MINUTE, merge_rows
from monitorx.services.rollup import minute_cutoff as minute_cutoff  # re-exported: where callers look for it
from monitorx.stats.summaries import merge_summaries, summary_from_bytes
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.maintenance")
_LOCK = 0x4D4F4E58_0002
_GROUPS_PER_TX = 200
_CLOSED_AFTER_S = 120  # a minute is compacted once late events for it are unlikely


def merge_feature_rows(rows: list[Any], resolution: int, bucket_start: int, in_hour: bool) -> dict[str, Any]:
    first = rows[0]
    return {
        "model_id": first.model_id,
        "series_id": first.series_id,
        "feature": first.feature,
        "resolution": resolution,
        "bucket_start": bucket_start,
        "in_hour": in_hour,
        "type_errors": sum(r.type_errors for r in rows),
        "summary": merge_summaries(summary_from_bytes(r.summary) for r in rows).to_bytes(),
    }


@dataclass(frozen=True)
class Rollable:
    """A table of per-minute partials that folds into hours: its identity columns and its merge."""

    table: Table
    key: tuple[str, ...]
    merge: Callable[[list[Any], int, int, bool], dict[str, Any]]


ROLLABLES = (
    Rollable(
        t.rollups,
        ("series_id",),
        lambda rows, res, start, in_hour: merge_rows(rows, res, start, rows[0].series_id, in_hour),
    ),
    Rollable(t.feature_summaries, ("series_id", "feature"), merge_feature_rows),
)


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
        with self.db.exclusive(_LOCK) as ours:
            return self._run(now) if ours else None

    def _run(self, now: float) -> Report:
        report = Report()
        cutoff = minute_cutoff(now, self.settings.rollup_minute_days)
        for spec in ROLLABLES:
            report.hours_built += self._seal_hours(spec, now - _CLOSED_AFTER_S)
            report.minutes_dropped += self._drop_folded_minutes(spec, cutoff)
            report.partials_merged += self._merge_partials(spec, now - _CLOSED_AFTER_S)
        report.deleted = self._expire(now)
        return report

    def _merge_partials(self, spec: Rollable, closed_before: float) -> int:
        tb = spec.table
        key_cols = (*(tb.c[k] for k in spec.key), tb.c.resolution, tb.c.bucket_start, tb.c.in_hour)
        merged = 0
        while True:
            with self.db.write() as conn:
                keys = conn.execute(
                    select(*key_cols)
                    .where(tb.c.bucket_start < closed_before)
                    .group_by(*key_cols)
                    .having(func.count() > 1)
                    .limit(_GROUPS_PER_TX)
                ).all()
                for key in keys:
                    rows = list(conn.execute(select(tb).where(*(c == v for c, v in zip(key_cols, key, strict=True)))))
                    self._replace(conn, tb, rows, spec.merge(rows, key.resolution, key.bucket_start, key.in_hour))
                    merged += len(rows)
            if len(keys) < _GROUPS_PER_TX:
                return merged

    def _seal_hours(self, spec: Rollable, closed_before: float) -> int:
        """Fold the not-yet-folded minutes of closed hours into hourly partials."""
        tb = spec.table
        cutoff = int(closed_before // HOUR * HOUR)  # whole hours only
        order = [*(tb.c[k] for k in spec.key), tb.c.bucket_start]
        built = 0
        while True:
            with self.db.write() as conn:
                rows = conn.execute(
                    select(tb)
                    .where(tb.c.resolution == MINUTE, tb.c.in_hour.is_(False), tb.c.bucket_start < cutoff)
                    .order_by(*order)
                    .limit(_GROUPS_PER_TX * 60)
                ).all()
                if not rows:
                    return built

                def hour_key(r: Any) -> tuple[Any, ...]:
                    return (*(getattr(r, k) for k in spec.key), r.bucket_start // HOUR * HOUR)

                for key, group in groupby(rows, key=hour_key):
                    members = list(group)
                    conn.execute(insert(tb).values(**spec.merge(members, HOUR, key[-1], False)))
                    conn.execute(update(tb).where(tb.c.id.in_([r.id for r in members])).values(in_hour=True))
                    built += 1

    def _drop_folded_minutes(self, spec: Rollable, cutoff: int) -> int:
        tb = spec.table
        with self.db.write() as conn:
            where = (tb.c.resolution == MINUTE, tb.c.in_hour.is_(True), tb.c.bucket_start < cutoff)
            return int(conn.execute(delete(tb).where(*where)).rowcount)

    @staticmethod
    def _replace(conn: Connection, tb: Table, old: list[Any], new: dict[str, Any]) -> None:
        conn.execute(delete(tb).where(tb.c.id.in_([r.id for r in old])))
        conn.execute(insert(tb).values(**new))

    def _expire(self, now: float) -> dict[str, int]:
        s = self.settings
        raw = now - s.raw_retention_days * 86400
        kept = now - s.rollup_retention_days * 86400
        labels = now - s.prediction_retention_days * 86400
        deletes: list[tuple[str, Any]] = [
            ("event_chunks", delete(t.event_chunks).where(t.event_chunks.c.max_ts < raw)),
            # A batch id is remembered as long as its events are: retries come within minutes.
            ("ingested_batches", delete(t.ingested_batches).where(t.ingested_batches.c.received_at < raw)),
            (
                "resource_samples",
                delete(t.resource_samples).where(t.resource_samples.c.ts < now - s.rollup_minute_days * 86400),
            ),
            ("rollups", delete(t.rollups).where(t.rollups.c.bucket_start < kept)),
            ("feature_summaries", delete(t.feature_summaries).where(t.feature_summaries.c.bucket_start < kept)),
            ("monitor_results", delete(t.monitor_results).where(t.monitor_results.c.window_end < kept)),
            ("prediction_chunks", delete(t.prediction_chunks).where(t.prediction_chunks.c.max_ts < labels)),
            ("actuals", delete(t.actuals).where(t.actuals.c.received_at < labels)),
        ]
        with self.db.write() as conn:
            return {name: int(conn.execute(stmt).rowcount) for name, stmt in deletes}
