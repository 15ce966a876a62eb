"""Per-minute rollup partials computed from one batch's columns, vectorised with numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from monitorx.stats import histogram

MINUTE = 60
HOUR = 3600


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
