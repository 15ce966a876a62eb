"""Good and bad events of a model over the SLO windows (5 m … 3 d), read from the rollups.

Each window is read the way queries read a range (``rollup.read_rolled``): hourly rows for whole
hours, minute rows for the rest, so every event counts once whatever maintenance has folded.
Availability: bad = errors, total = events. Latency: total = events with a latency, bad = those
whose histogram bucket lies above the threshold (``stats.slo``: within 1 % of the threshold).
"""

from __future__ import annotations

import numpy as np

from monitorx.services.rollup import read_rolled
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
    good = None if latency_threshold_ms is None else slo.good_mask(latency_threshold_ms)
    r = t.rollups.c
    with db.read() as conn:
        for w in windows:
            if good is None:
                rows = read_rolled(
                    conn, t.rollups, series_ids, [r.count, r.error_count], now - w, now, w, 1, minute_days
                )
                out[w] = (float(sum(e for _, e in rows)), float(sum(n for n, _ in rows)))
                continue
            blobs = [
                b
                for (b,) in read_rolled(conn, t.rollups, series_ids, [r.latency_hist], now - w, now, w, 1, minute_days)
            ]
            _, buckets, counts = histogram.decode_many(blobs, np.zeros(len(blobs), dtype=np.int64))
            n_lat = float(counts.sum())
            out[w] = (n_lat - float(counts[good[buckets]].sum()), n_lat)
    return out
