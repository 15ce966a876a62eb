"""Numeric feature summaries against numpy on the raw values."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from monitorx.stats.summaries import (
    DISTINCT_CAP,
    NumericSummary,
    merge_summaries,
    relative_error_bound,
    summarize,
    summary_from_bytes,
    summary_from_dict,
)
from monitorx.stats.summaries.buckets import bucket_bounds, bucket_keys


# Finite floats away from the subnormal range, where the relative guarantee is stated.
def _signed(magnitudes: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    return st.one_of(st.just(0.0), st.tuples(magnitudes, st.booleans()).map(lambda t: -t[0] if t[1] else t[0]))


any_scale = _signed(st.floats(1e-300, 1e300))
everyday = st.floats(-1e6, 1e6, allow_subnormal=False)
columns = hnp.arrays(np.float64, st.integers(1, 200), elements=st.one_of(any_scale, everyday))
# Moments are float64 sums of squares: keep their inputs where squares stay finite.
moderate_columns = hnp.arrays(
    np.float64, st.integers(1, 200), elements=st.one_of(_signed(st.floats(1e-300, 1e150)), everyday)
)
quantile_levels = st.floats(0.0, 1.0)


def test_counts_moments_and_extremes_match_numpy() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(3.0, 2.0, 10_000)
    raw = np.concatenate([values, [np.nan, np.inf, -np.inf]]).astype(object)
    raw = np.append(raw, None)
    s = summarize(raw, "numeric")
    assert isinstance(s, NumericSummary)
    assert (s.count, s.missing, s.total) == (10_000, 4, 10_004)
    assert s.sum == pytest.approx(values.sum(), rel=1e-12)
    assert s.mean == pytest.approx(values.mean(), rel=1e-12)
    assert s.std == pytest.approx(values.std(), rel=1e-12)
    assert s.sum_sq == pytest.approx(np.sum(values**2), rel=1e-12)
    assert (s.minimum, s.maximum) == (values.min(), values.max())
    assert int(s.counts.sum()) == s.count


def test_variance_keeps_its_digits_when_the_mean_dwarfs_the_spread() -> None:
    # sum_sq / n - mean**2 would keep no correct digit here; m2 keeps them all.
    values = 1e9 + np.random.default_rng(1).normal(0.0, 1.0, 100_000)
    s = NumericSummary.from_values(values)
    halves = NumericSummary.from_values(values[:33_333]).merge(NumericSummary.from_values(values[33_333:]))
    assert s.std == pytest.approx(values.std(), rel=1e-6)
    assert halves.std == pytest.approx(values.std(), rel=1e-6)


def test_all_missing_gives_an_empty_summary() -> None:
    s = NumericSummary.from_values([None, np.nan])
    assert (s.count, s.missing) == (0, 2)
    assert math.isnan(s.mean) and math.isnan(s.quantile(0.5))
    back = summary_from_dict(json.loads(json.dumps(s.to_dict())))
    assert isinstance(back, NumericSummary) and back.is_close(s)


def test_non_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="numeric summary needs numbers"):
        NumericSummary.from_values(np.array(["a", "b"], dtype=object))


@given(columns)
def test_keys_are_monotone_and_values_lie_inside_their_bucket(values: np.ndarray) -> None:
    ordered = np.sort(values)
    keys = bucket_keys(ordered)
    assert np.all(np.diff(keys) >= 0)
    lower, upper = bucket_bounds(keys)
    positive = keys > 0
    assert np.all(ordered[positive] >= lower[positive]) and np.all(ordered[positive] < upper[positive])
    negative = keys < 0
    assert np.all(ordered[negative] > lower[negative]) and np.all(ordered[negative] <= upper[negative])


@given(columns, st.lists(quantile_levels, min_size=1, max_size=5))
@settings(max_examples=200)
def test_quantile_error_stays_within_the_stated_relative_bound(values: np.ndarray, qs: list[float]) -> None:
    s = NumericSummary.from_values(values)
    bound = relative_error_bound(s.precision_bits)
    exact = np.quantile(values, qs, method="inverted_cdf")
    estimate = s.quantile(qs)
    assert np.all(np.abs(estimate - exact) <= bound * np.abs(exact) + 1e-300)


def test_quantile_bound_is_the_documented_figure_and_is_tight_enough() -> None:
    assert relative_error_bound(7) == pytest.approx(1 / 257)
    values = np.random.default_rng(2).lognormal(0.0, 2.0, 200_000)
    qs = np.linspace(0.001, 0.999, 999)
    rel = np.abs(NumericSummary.from_values(values).quantile(qs) / np.quantile(values, qs, method="inverted_cdf") - 1)
    assert rel.max() <= 1 / 257
    assert rel.max() > 1 / 1024  # the bound is not vacuous: the buckets really are this coarse


def test_cdf_is_exact_at_bucket_bounds_and_within_one_bucket_elsewhere() -> None:
    values = np.random.default_rng(3).normal(0.0, 1.0, 50_000)
    s = NumericSummary.from_values(values)
    _, upper = s.bucket_bounds()
    inner_upper = upper[:-1][s.keys[:-1] < 0]  # negative buckets hold their upper bound
    exact = np.searchsorted(np.sort(values), inner_upper, side="right") / values.size
    assert np.allclose(s.cdf(inner_upper), exact, atol=1e-12)
    probes = np.linspace(-3.5, 3.5, 701)
    exact = np.searchsorted(np.sort(values), probes, side="right") / values.size
    largest_bucket_share = s.counts.max() / s.count
    assert np.all(np.abs(s.cdf(probes) - exact) <= largest_bucket_share + 1e-12)


def test_low_cardinality_columns_keep_exact_values() -> None:
    rng = np.random.default_rng(4)
    values = rng.integers(0, 10, 5_000).astype(float) * 1000.0
    s = NumericSummary.from_values(values)
    assert s.distinct is not None and len(s.distinct) == 10
    assert s.quantile_relative_error == 0.0
    qs = np.linspace(0, 1, 101)
    assert np.array_equal(s.quantile(qs), np.quantile(values, qs, method="inverted_cdf"))
    many = NumericSummary.from_values(np.arange(DISTINCT_CAP + 1, dtype=float))
    assert many.distinct is None
    merged = NumericSummary.from_values(np.arange(40.0)).merge(NumericSummary.from_values(np.arange(40.0, 80.0)))
    assert merged.distinct is None  # 80 distinct values over both windows


@given(moderate_columns, moderate_columns, st.sampled_from([5, 7, 10]))
@settings(max_examples=100)
def test_merge_equals_the_summary_of_the_concatenation(a: np.ndarray, b: np.ndarray, bits: int) -> None:
    merged = NumericSummary.from_values(a, bits).merge(NumericSummary.from_values(b, bits))
    whole = NumericSummary.from_values(np.concatenate([a, b]), bits)
    assert merged.is_close(whole, rel_tol=1e-9)


def test_merging_many_windows_at_once_equals_one_summary() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(0, 1, 50_000), rng.exponential(100, 50_000), [np.nan] * 7])
    rng.shuffle(values)
    windows = [summarize(chunk, "numeric") for chunk in np.array_split(values, 1440)]
    merged = merge_summaries(windows)
    assert isinstance(merged, NumericSummary)
    assert merged.is_close(NumericSummary.from_values(values), rel_tol=1e-9)
    assert merged.missing == 7


def test_summaries_of_different_precision_do_not_merge() -> None:
    with pytest.raises(ValueError, match="precision_bits"):
        NumericSummary.from_values([1.0], 7).merge(NumericSummary.from_values([1.0], 8))
    with pytest.raises(ValueError, match="precision_bits"):
        NumericSummary.from_values([1.0], 0)


@given(moderate_columns)
def test_bytes_and_json_round_trip(values: np.ndarray) -> None:
    s = NumericSummary.from_values(np.append(values, np.nan))
    back = summary_from_bytes(s.to_bytes())
    assert isinstance(back, NumericSummary) and back.is_close(s, rel_tol=0.0)
    from_json = summary_from_dict(json.loads(json.dumps(s.to_dict())))
    assert isinstance(from_json, NumericSummary) and from_json.is_close(s, rel_tol=0.0)


def test_a_million_row_column_stores_in_a_few_kilobytes() -> None:
    s = NumericSummary.from_values(np.random.default_rng(6).normal(0, 1, 1_000_000))
    assert len(s.to_bytes()) < 16_000


def test_corrupt_blobs_are_refused() -> None:
    blob = NumericSummary.from_values([1.0, 2.0, 3.0]).to_bytes()
    with pytest.raises(ValueError):
        summary_from_bytes(b"XXXX" + blob[4:])
    with pytest.raises(ValueError):
        summary_from_dict({**NumericSummary.from_values([1.0, 2.0]).to_dict(), "counts": [5, 5]})
