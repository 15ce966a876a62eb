"""The latency histogram against numpy's exact quantiles."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from monitorx.stats import histogram as h

# The promise: within ALPHA (1%) of the exact order statistic at rank floor(q (n - 1)).
TOLERANCE = h.ALPHA * (1 + 1e-9)
QS = [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0]


def exact(values: np.ndarray, q: float) -> float:
    return float(np.quantile(values, q, method="lower"))


def check(values: np.ndarray, got: np.ndarray) -> None:
    for q, g in zip(QS, got, strict=True):
        e = exact(values, q)
        if e < h.MIN_VALUE:
            assert g <= h.MIN_VALUE or g == e
        else:
            assert abs(g - e) <= TOLERANCE * e, (q, g, e)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=1e7, allow_nan=False), min_size=1, max_size=300))
def test_quantiles_within_one_percent(xs: list[float]) -> None:
    values = np.array(xs)
    check(values, h.quantiles(h.counts_of(values), QS, values.min(), values.max()))


def test_heavy_tailed_data_and_zero() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.lognormal(3, 1.5, 200_000), np.zeros(50)])
    got = h.quantiles(h.counts_of(values), QS, values.min(), values.max())
    for q, g in zip(QS, got, strict=True):
        e = exact(values, q)
        assert (g == 0 and e == 0) or abs(g - e) <= TOLERANCE * e


def test_encode_decode_round_trip_and_merge_is_addition() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.lognormal(2, 1, 5000), rng.lognormal(4, 0.5, 3000)
    ca, cb = h.counts_of(a), h.counts_of(b)
    assert np.array_equal(h.decode(h.encode(ca)), ca)
    assert np.array_equal(ca + cb, h.counts_of(np.concatenate([a, b])))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 30), st.integers(0, 2**31 - 1), st.booleans())
def test_grouped_quantiles_equal_per_group_quantiles(n_groups: int, seed: int, sparse: bool) -> None:
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, 2000)
    values = rng.lognormal(3, 1, 2000)
    blobs, blob_groups = [], []
    for g in range(n_groups):  # several blobs per group, as rollup partials are
        for part in np.array_split(values[groups == g], 3):
            blobs.append(h.encode(h.counts_of(part)))
            blob_groups.append(g)
    cells, buckets, counts = h.decode_many(blobs, blob_groups)
    # Force the sparse path by asking for many (mostly empty) extra groups.
    total = max(n_groups, 4_000_000 // h.N_BUCKETS + 1) if sparse else n_groups
    got = h.grouped_quantiles(cells, buckets, counts, total, QS)
    for g in range(n_groups):
        vals = values[groups == g]
        if vals.size == 0:
            assert np.isnan(got[g]).all()
            continue
        expect = h.quantiles(h.counts_of(vals), QS)
        assert np.allclose(got[g], expect), g
    assert np.isnan(got[n_groups:]).all()
