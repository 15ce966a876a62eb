"""Per-minute rollup partials computed from one batch's columns, vectorised with numpy."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Connection, Table, select

from monitorx.stats import histogram

MINUTE = 60
HOUR = 3600


def minute_cutoff(now: float, minute_days: float) -> int:
    """Hour-aligned time before which only hourly rows are kept (and read)."""
    return int((now - minute_days * 86400) // HOUR * HOUR)


def hourly_span(start: float, end: float, step: float, n_steps: int) -> tuple[int, int] | None:
    """The hours that lie wholly inside one step each, so hourly rollups can stand in for minutes."""
    lo = math.ceil(start / HOUR) * HOUR
    hi = math.floor(end / HOUR) * HOUR
    if lo >= hi:
        return None
    if n_steps == 1 or (start % HOUR == 0 and step % HOUR == 0):
        return lo, hi
    return None


def read_ranges(
    start: float, end: float, step: float, n_steps: int, cutoff: int
) -> list[tuple[int, bool | None, int, int]]:
    """Which rollup rows answer [start, end): (resolution, in_hour filter, from, to) ranges.

    Hours wholly inside one step are read as hourly rows plus the minutes not yet folded into them;
    the rest is read as minutes, or, before ``cutoff`` (where minutes are dropped), as hours.
    Every event is counted once whatever state maintenance has reached.
    """
    lo, hi = math.floor(start / MINUTE) * MINUTE, math.ceil(end)
    span = hourly_span(start, end, step, n_steps)
    outside = [(lo, hi)] if span is None else [(lo, span[0]), (span[1], hi)]
    ranges: list[tuple[int, bool | None, int, int]] = []
    if span is not None:
        ranges += [(HOUR, None, span[0], span[1]), (MINUTE, False, span[0], span[1])]
    for a, b in outside:
        if a < b:
            ranges.append((MINUTE, None, max(a, cutoff), b))
            ranges.append((HOUR, None, a, min(b, cutoff)))
    return [r for r in ranges if r[2] < r[3]]


def read_rolled(
    conn: Connection,
    table: Table,
    series_ids: Collection[int],
    columns: Sequence[Any],
    start: float,
    end: float,
    step: float,
    n_steps: int,
    minute_days: float,
) -> list[Any]:
    """The rows of ``table`` (rollups or feature summaries) that answer [start, end) for these series.

    Every event is read once: see :func:`read_ranges`.
    """
    if not series_ids:
        return []
    ids = list(series_ids)
    rows: list[Any] = []
    for resolution, in_hour, from_ts, to_ts in read_ranges(
        start, end, step, n_steps, minute_cutoff(time.time(), minute_days)
    ):
        where = [
            table.c.series_id.in_(ids),
            table.c.resolution == resolution,
            table.c.bucket_start >= from_ts,
            table.c.bucket_start < to_ts,
        ]
        if in_hour is not None:
            where.append(table.c.in_hour.is_(in_hour))
        rows += conn.execute(select(*columns).where(*where)).all()
    return rows


@dataclass
class Columns:
    """One batch of events as arrays; NaN marks an absent number."""

    series_pos: npt.NDArray[np.int64]  # index into the batch's distinct series keys
    ts: npt.NDArray[np.float64]
    latency: npt.NDArray[np.float64]
    error: npt.NDArray[np.bool_]
    error_types: list[tuple[int, str]]  # (event index, type) of erroring events that name one
    input_tokens: npt.NDArray[np.float64]
    output_tokens: npt.NDArray[np.float64]
    cost: npt.NDArray[np.float64]
    ttft: npt.NDArray[np.float64]


def _min_max(inv: npt.NDArray[np.intp], values: npt.NDArray[np.float64], n: int) -> tuple[list[Any], list[Any]]:
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, inv, values)
    np.maximum.at(hi, inv, values)
    return (
        [None if np.isinf(v) else float(v) for v in lo],
        [None if np.isinf(v) else float(v) for v in hi],
    )


def _histograms(inv: npt.NDArray[np.intp], values: npt.NDArray[np.float64], n: int) -> list[bytes]:
    flat = inv.astype(np.int64) * histogram.N_BUCKETS + histogram.bucket_of(values)
    dense = np.bincount(flat, minlength=n * histogram.N_BUCKETS).reshape(n, histogram.N_BUCKETS)
    return [histogram.encode(row) for row in dense]


def partials(cols: Columns, resolution: int = MINUTE) -> list[dict[str, Any]]:
    """Rollup rows (without ``series_id``; ``series_pos`` instead) for every series-minute touched."""
    n_events = cols.ts.size
    if n_events == 0:
        return []
    bucket = (np.floor(cols.ts / resolution) * resolution).astype(np.int64)
    key = cols.series_pos * (1 << 40) + bucket
    uniq, inv = np.unique(key, return_inverse=True)
    n = uniq.size
    counts = np.bincount(inv, minlength=n)
    errors = np.bincount(inv, weights=cols.error, minlength=n)

    has_lat = ~np.isnan(cols.latency)
    lat_inv, lat = inv[has_lat], cols.latency[has_lat]
    lat_count = np.bincount(lat_inv, minlength=n)
    lat_sum = np.bincount(lat_inv, weights=lat, minlength=n)
    lat_min, lat_max = _min_max(lat_inv, lat, n)
    lat_hist = _histograms(lat_inv, lat, n)

    llm = ~(np.isnan(cols.input_tokens) & np.isnan(cols.output_tokens) & np.isnan(cols.cost) & np.isnan(cols.ttft))
    llm_count = np.bincount(inv, weights=llm, minlength=n)
    in_tok = np.bincount(inv, weights=np.nan_to_num(cols.input_tokens), minlength=n)
    out_tok = np.bincount(inv, weights=np.nan_to_num(cols.output_tokens), minlength=n)
    cost = np.bincount(inv, weights=np.nan_to_num(cols.cost), minlength=n)
    has_ttft = ~np.isnan(cols.ttft)
    ttft_inv, ttft = inv[has_ttft], cols.ttft[has_ttft]
    ttft_count = np.bincount(ttft_inv, minlength=n)
    if ttft.size:
        ttft_min, ttft_max = _min_max(ttft_inv, ttft, n)
        ttft_hist = _histograms(ttft_inv, ttft, n)
    else:
        ttft_min = ttft_max = [None] * n
        ttft_hist = [b""] * n

    error_types: list[dict[str, int]] = [{} for _ in range(n)]
    for i, etype in cols.error_types:
        bucket_types = error_types[inv[i]]
        bucket_types[etype] = bucket_types.get(etype, 0) + 1

    return [
        {
            "series_pos": int(uniq[g] >> 40),
            "resolution": resolution,
            "bucket_start": int(uniq[g] & ((1 << 40) - 1)),
            "count": int(counts[g]),
            "error_count": round(errors[g]),
            "latency_count": int(lat_count[g]),
            "latency_sum": float(lat_sum[g]),
            "latency_min": lat_min[g],
            "latency_max": lat_max[g],
            "latency_hist": lat_hist[g],
            "llm_count": round(llm_count[g]),
            "input_tokens": round(in_tok[g]),
            "output_tokens": round(out_tok[g]),
            "cost_usd": float(cost[g]),
            "ttft_count": int(ttft_count[g]),
            "ttft_min": ttft_min[g],
            "ttft_max": ttft_max[g],
            "ttft_hist": ttft_hist[g],
            "error_types": orjson.dumps(error_types[g]).decode(),
            "in_hour": False,
        }
        for g in range(n)
    ]


def _fold(values: list[Any], pick: Any) -> Any:
    present = [v for v in values if v is not None]
    return pick(present) if present else None


def merge_rows(
    rows: list[Any], resolution: int, bucket_start: int, series_id: int, in_hour: bool = False
) -> dict[str, Any]:
    """One rollup row equal to the sum of ``rows`` (partials, or minutes of one hour)."""
    lat = np.zeros(histogram.N_BUCKETS, np.int64)
    ttft = np.zeros(histogram.N_BUCKETS, np.int64)
    types: dict[str, int] = {}
    for r in rows:
        lat += histogram.decode(r.latency_hist)
        ttft += histogram.decode(r.ttft_hist)
        for k, v in orjson.loads(r.error_types).items():
            types[k] = types.get(k, 0) + v
    return {
        "series_id": series_id,
        "resolution": resolution,
        "bucket_start": bucket_start,
        "count": sum(r.count for r in rows),
        "error_count": sum(r.error_count for r in rows),
        "latency_count": sum(r.latency_count for r in rows),
        "latency_sum": float(sum(r.latency_sum for r in rows)),
        "latency_min": _fold([r.latency_min for r in rows], min),
        "latency_max": _fold([r.latency_max for r in rows], max),
        "latency_hist": histogram.encode(lat),
        "llm_count": sum(r.llm_count for r in rows),
        "input_tokens": sum(r.input_tokens for r in rows),
        "output_tokens": sum(r.output_tokens for r in rows),
        "cost_usd": float(sum(r.cost_usd for r in rows)),
        "ttft_count": sum(r.ttft_count for r in rows),
        "ttft_min": _fold([r.ttft_min for r in rows], min),
        "ttft_max": _fold([r.ttft_max for r in rows], max),
        "ttft_hist": histogram.encode(ttft) if ttft.any() else b"",
        "error_types": orjson.dumps(types).decode(),
        "in_hour": in_hour,
    }
