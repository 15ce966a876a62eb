"""KS: exact on raw values against scipy; from summaries within the stated bracket."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from monitorx.stats.drift import ks
from monitorx.stats.summaries import NumericSummary


@pytest.mark.parametrize(
    ("n", "m", "shift"),
    [(50, 80, 0.0), (300, 300, 0.3), (1000, 700, 0.1), (9000, 10_000, 0.02), (20_000, 15_000, 0.03)],
)
def test_raw_arrays_match_scipy(n: int, m: int, shift: float) -> None:
    rng = np.random.default_rng(n)
    a, b = rng.normal(0, 1, n), rng.normal(shift, 1, m)
    expected = stats.ks_2samp(a, b)
    got = ks.from_arrays(np.append(a, np.nan), b)
    assert got.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-12)


def test_raw_arrays_with_ties_match_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 8, 400).astype(float), rng.integers(0, 9, 500).astype(float)
    expected = stats.ks_2samp(a, b)
    got = ks.from_arrays(a, b)
    assert got.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert got.p_value == pytest.approx(expected.pvalue, rel=1e-6)


@pytest.mark.parametrize("n", [1_000, 30_000, 300_000])
@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n, s: rng.normal(s, 1, n),
        lambda rng, n, s: rng.lognormal(s, 1.0, n),
        lambda rng, n, s: rng.standard_t(3, n) * 100 + s * 100,
    ],
)
def test_summaries_bracket_the_exact_statistic(n: int, draw: object) -> None:
    rng = np.random.default_rng(n)
    for shift in (0.0, 0.05):
        a, b = draw(rng, n, 0.0), draw(rng, n, shift)  # type: ignore[operator]
        exact = stats.ks_2samp(a, b)
        got = ks.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
        assert got.error_bound is not None
        # A supremum over bucket bounds never exceeds the true supremum...
        assert got.statistic <= exact.statistic + 1e-12
        assert exact.statistic <= got.statistic + got.error_bound + 1e-12
        # ...so its p-value is never smaller: summarising cannot add a false alarm.
        assert got.p_value is not None and got.p_value >= exact.pvalue * (1 - 1e-9)
        # And on continuous data the loss is tiny against the 5 % critical value.
        critical = 1.36 * np.sqrt(2 / n)
        assert exact.statistic - got.statistic <= 0.05 * critical


def test_summaries_are_exact_on_low_cardinality_columns() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.poisson(20, 5000).astype(float), rng.poisson(20.5, 6000).astype(float)
    exact = stats.ks_2samp(a, b)
    got = ks.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    assert got.statistic == pytest.approx(exact.statistic, abs=1e-12)
    assert got.p_value == pytest.approx(exact.pvalue, rel=1e-6)
    assert got.error_bound == 0.0


def test_merged_windows_give_the_same_statistic_as_one_summary() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 50_000), rng.normal(0.02, 1, 50_000)
    windows = [NumericSummary.from_values(chunk) for chunk in np.array_split(b, 60)]
    merged = windows[0]
    for w in windows[1:]:
        merged = merged.merge(w)
    ref = NumericSummary.from_values(a)
    assert ks.from_summaries(ref, merged).statistic == ks.from_summaries(ref, NumericSummary.from_values(b)).statistic


def test_needs_values_on_both_sides() -> None:
    with pytest.raises(ValueError, match="non-missing"):
        ks.from_summaries(NumericSummary.from_values([1.0]), NumericSummary.from_values([np.nan]))
