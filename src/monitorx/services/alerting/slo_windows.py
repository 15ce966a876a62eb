"""Good and bad events of a model over the SLO windows (5 m … 3 d), read from the rollups.

Each window is read the way queries read a range (``query.read_ranges``): hourly rows for whole
hours, minute rows for the rest, so every event counts once whatever maintenance has folded.
Availability: bad = errors, total = events. Latency: total = events with a latency, bad = those
whose histogram bucket lies above the threshold (``stats.slo``: within 1 % of the threshold).
"""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import func, select

from monitorx.services.maintenance import minute_cutoff
from monitorx.services.query import read_ranges
from monitorx.stats import histogram, slo
from monitorx.store import tables as t
from monitorx.store.database import Database


def window_counts(
    db: Database,
    minute_days: float,
    series_ids: list[int],
    now: float,
    windows: list[int],
    latency_threshold_ms: float | None,
) -> dict[int, tuple[float, float]]:
    """window seconds -> (bad events, all events) over ``[now - window, now)``."""
    out: dict[int, tuple[float, float]] = {}
    if not series_ids:
        return dict.fromkeys(windows, (0.0, 0.0))
    cutoff = minute_cutoff(time.time(), minute_days)
    good = None if latency_threshold_ms is None else slo.good_mask(latency_threshold_ms)
    r = t.rollups.c
    with db.read() as conn:
        for w in windows:
            start = now - w
            bad = total = 0.0
            for resolution, in_hour, lo, hi in read_ranges(start, now, w, 1, cutoff):
                where = [
                    r.series_id.in_(series_ids),
                    r.resolution == resolution,
                    r.bucket_start >= lo,
                    r.bucket_start < hi,
                ]
                if in_hour is not None:
                    where.append(r.in_hour.is_(in_hour))
                if good is None:
                    n, errors = conn.execute(select(func.sum(r.count), func.sum(r.error_count)).where(*where)).one()
                    total += float(n or 0)
                    bad += float(errors or 0)
                    continue
                blobs = [b for (b,) in conn.execute(select(r.latency_hist).where(*where))]
                _, buckets, counts = histogram.decode_many(blobs, np.zeros(len(blobs), dtype=np.int64))
                n_lat = float(counts.sum())
                total += n_lat
                bad += n_lat - float(counts[good[buckets]].sum())
            out[w] = (bad, total)
    return out
