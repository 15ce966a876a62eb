"""Mergeable log-scaled histograms with a bounded relative error on every quantile.

Bucket ``i`` (``i >= 1``) holds values in ``(GAMMA**(i - 1 + OFFSET), GAMMA**(i + OFFSET)]`` with
``GAMMA = (1 + ALPHA) / (1 - ALPHA)``; bucket 0 holds zero (and anything below ``MIN_VALUE``).
Reporting ``2 * GAMMA**k / (GAMMA + 1)`` for a value in bucket ``k`` is within ``ALPHA`` of it,
relatively: the scheme of DDSketch (Masson, Rim & Lee, VLDB 2019). Because the boundaries are
fixed by the formula, histograms from any minute, host or version merge by adding counts.

Stored form: a sparse sequence of ``(bucket uint16, count uint32)`` pairs, little-endian, 6 bytes
each (``encode`` / ``decode``). Many stored histograms merge in one vectorised pass
(``decode_many`` + ``grouped_quantiles``) without a Python loop per bucket.

Quantiles use the rank ``floor(q * (n - 1))`` (numpy's ``method="lower"``): the value returned is
within ``ALPHA`` of that order statistic, and clamped to the exact min/max when they are known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
MIN_VALUE = 1e-3  # 1 µs when the unit is milliseconds
MAX_VALUE = 1e8  # ~28 hours in milliseconds
_OFFSET = math.ceil(math.log(MIN_VALUE) / _LOG_GAMMA) - 1
N_BUCKETS = math.ceil(math.log(MAX_VALUE) / _LOG_GAMMA) - _OFFSET + 1

ENTRY = np.dtype([("bucket", "<u2"), ("count", "<u4")])
FloatArray = npt.NDArray[np.float64]
CountArray = npt.NDArray[np.int64]


def bucket_of(values: npt.ArrayLike) -> npt.NDArray[np.intp]:
    """Bucket index of each value (vectorised). Values ≤ 0 or below MIN_VALUE go to bucket 0."""
    v = np.asarray(values, dtype=np.float64)
    clipped = np.clip(v, MIN_VALUE, MAX_VALUE)
    idx = np.ceil(np.log(clipped) / _LOG_GAMMA).astype(np.intp) - _OFFSET
    idx[v < MIN_VALUE] = 0
    np.clip(idx, 0, N_BUCKETS - 1, out=idx)
    return idx


def bucket_values() -> FloatArray:
    """The value reported for each bucket (0.0 for bucket 0)."""
    k = np.arange(N_BUCKETS, dtype=np.float64) + _OFFSET
    reps = 2.0 * np.power(GAMMA, k) / (GAMMA + 1.0)
    reps[0] = 0.0
    return reps


_BUCKET_VALUES = bucket_values()


def counts_of(values: npt.ArrayLike) -> CountArray:
    """A dense histogram (length N_BUCKETS) of the values."""
    return np.bincount(bucket_of(values), minlength=N_BUCKETS).astype(np.int64)


def encode(counts: CountArray) -> bytes:
    """Sparse bytes of a dense histogram: only the non-empty buckets."""
    nz = np.flatnonzero(counts)
    out = np.empty(nz.size, dtype=ENTRY)
    out["bucket"] = nz
    out["count"] = counts[nz]
    return out.tobytes()


def decode(blob: bytes) -> CountArray:
    """Dense histogram of one stored blob."""
    entries = np.frombuffer(blob, dtype=ENTRY)
    dense = np.zeros(N_BUCKETS, dtype=np.int64)
    np.add.at(dense, entries["bucket"].astype(np.intp), entries["count"].astype(np.int64))
    return dense


def quantiles(
    counts: npt.NDArray[np.int64],
    qs: Sequence[float],
    minimum: npt.ArrayLike | None = None,
    maximum: npt.ArrayLike | None = None,
) -> FloatArray:
    """Quantiles of one histogram (1-D counts) or many (2-D, one per row).

    Returns shape ``(len(qs),)`` or ``(rows, len(qs))``; NaN where a histogram is empty.
    """
    two_d = np.atleast_2d(counts)
    cum = np.cumsum(two_d, axis=1)
    totals = cum[:, -1]
    out = np.full((two_d.shape[0], len(qs)), np.nan)
    for j, q in enumerate(qs):
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {q} is outside [0, 1]")
        rank = np.floor(q * (totals - 1)).astype(np.int64)
        # First bucket whose cumulative count exceeds the 0-based rank.
        idx = np.minimum((cum <= rank[:, None]).sum(axis=1), N_BUCKETS - 1)
        out[:, j] = _BUCKET_VALUES[idx]
    if minimum is not None:
        out = np.maximum(out, np.asarray(minimum, dtype=np.float64).reshape(-1, 1))
    if maximum is not None:
        out = np.minimum(out, np.asarray(maximum, dtype=np.float64).reshape(-1, 1))
    out[totals == 0, :] = np.nan
    return out[0] if np.ndim(counts) == 1 else out


def decode_many(blobs: Sequence[bytes], groups: npt.ArrayLike) -> tuple[CountArray, CountArray, CountArray]:
    """Entries of many stored blobs as flat arrays ``(group, bucket, count)``.

    ``groups[j]`` is the group (e.g. time step) of blob ``j``; its entries carry it.
    """
    group_arr = np.asarray(groups, dtype=np.int64)
    if len(blobs) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    lengths = np.fromiter((len(b) // ENTRY.itemsize for b in blobs), dtype=np.int64, count=len(blobs))
    entries = np.frombuffer(b"".join(blobs), dtype=ENTRY)
    return (
        np.repeat(group_arr, lengths),
        entries["bucket"].astype(np.int64),
        entries["count"].astype(np.int64),
    )


def grouped_quantiles(
    groups: CountArray,
    buckets: CountArray,
    counts: CountArray,
    n_groups: int,
    qs: Sequence[float],
    minimum: npt.ArrayLike | None = None,
    maximum: npt.ArrayLike | None = None,
) -> FloatArray:
    """Quantiles per group from flat entries, shape ``(n_groups, len(qs))``; NaN for empty groups.

    Dense when ``n_groups * N_BUCKETS`` is small (one bincount), else sparse (sort the entries once),
    so memory stays bounded by the data for fine steps over long ranges.
    """
    if n_groups * N_BUCKETS <= 4_000_000:
        dense = np.bincount(groups * N_BUCKETS + buckets, weights=counts, minlength=n_groups * N_BUCKETS)
        return np.atleast_2d(
            quantiles(np.rint(dense).astype(np.int64).reshape(n_groups, N_BUCKETS), qs, minimum, maximum)
        ).reshape(n_groups, len(qs))
    flat, inverse = np.unique(groups * N_BUCKETS + buckets, return_inverse=True)
    summed = np.bincount(inverse, weights=counts).astype(np.int64)
    g = flat // N_BUCKETS
    reps = _BUCKET_VALUES[flat % N_BUCKETS]
    cum = np.cumsum(summed)
    totals = np.bincount(g, weights=summed, minlength=n_groups).astype(np.int64)
    before = np.concatenate(([0], np.cumsum(totals)[:-1]))  # entries of earlier groups
    out = np.full((n_groups, len(qs)), np.nan)
    present = totals > 0
    for j, q in enumerate(qs):
        rank = np.floor(q * (totals - 1)).astype(np.int64)
        pos = np.searchsorted(cum, before + rank, side="right")
        out[present, j] = reps[np.minimum(pos, reps.size - 1)][present]
    if minimum is not None:
        out = np.fmax(out, np.asarray(minimum, dtype=np.float64).reshape(-1, 1))
        out[~present] = np.nan
    if maximum is not None:
        out = np.fmin(out, np.asarray(maximum, dtype=np.float64).reshape(-1, 1))
        out[~present] = np.nan
    return out
