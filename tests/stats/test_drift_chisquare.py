"""Two-sample χ² against scipy's contingency test, and why it is not goodness-of-fit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from monitorx.stats.drift import chisquare
from monitorx.stats.drift.binning import Bins
from monitorx.stats.summaries import CategoricalSummary, NumericSummary


def _draw(rng: np.random.Generator, n: int, probs: np.ndarray) -> np.ndarray:
    labels = np.array([f"c{i}" for i in range(probs.size)], dtype=object)
    return labels[rng.choice(probs.size, n, p=probs)]


def test_matches_scipy_chi2_contingency_without_correction() -> None:
    rng = np.random.default_rng(0)
    a = _draw(rng, 4000, np.array([0.4, 0.3, 0.2, 0.1]))
    b = _draw(rng, 3000, np.array([0.35, 0.3, 0.2, 0.15]))
    table = np.array([[np.sum(a == k) for k in sorted(set(a))], [np.sum(b == k) for k in sorted(set(a))]])
    expected = stats.chi2_contingency(table, correction=False)
    for got in (
        chisquare.from_summaries(CategoricalSummary.from_values(a), CategoricalSummary.from_values(b)),
        chisquare.from_arrays(a, b, categorical=True),
    ):
        assert got.statistic == pytest.approx(expected.statistic, rel=1e-9)
        assert got.p_value == pytest.approx(expected.pvalue, rel=1e-9)


def test_sparse_columns_are_pooled_before_the_test() -> None:
    bins = Bins("categories", ("a", "b", "c", "d", "e"), np.array([500, 400, 2, 1, 0]), np.array([450, 420, 1, 0, 3]))
    table = chisquare.contingency_table(bins)
    # c, d, e (expected counts < 5) pool into one column, still < 5, which joins b.
    assert table.tolist() == [[500, 403], [450, 424]]
    roomy = Bins("categories", ("a", "b", "c", "d"), np.array([500, 400, 5, 5]), np.array([450, 420, 5, 5]))
    assert chisquare.contingency_table(roomy).tolist() == [[500, 400, 10], [450, 420, 10]]
    stat, p = chisquare.from_bins(bins)
    expected = stats.chi2_contingency(table, correction=False)
    assert (stat, p) == pytest.approx((expected.statistic, expected.pvalue), rel=1e-9)


def test_identical_windows_and_a_single_category_give_p_one() -> None:
    one = CategoricalSummary.from_values(np.array(["x"] * 50, dtype=object))
    assert chisquare.from_summaries(one, one).p_value == 1.0


def test_numeric_features_are_tested_on_values_or_deciles() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 4, 2000).astype(float), rng.integers(0, 4, 2500).astype(float)
    got = chisquare.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    table = np.array([np.bincount(a.astype(int)), np.bincount(b.astype(int))])
    assert got.p_value == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-9)


def test_two_sample_test_holds_its_level_where_goodness_of_fit_does_not() -> None:
    """Same distribution in both windows, 400 times over: the pitfall of drift-defaults.md section 8."""
    rng = np.random.default_rng(2)
    probs = np.array([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    n = 20_000
    two_sample, goodness_of_fit = 0, 0
    trials = 400
    for _ in range(trials):
        ref = rng.multinomial(n, probs)
        cur = rng.multinomial(n, probs)
        bins = Bins("categories", tuple("abcdef"), ref, cur)
        two_sample += chisquare.from_bins(bins)[1] < 0.05
        goodness_of_fit += stats.chisquare(cur, ref * cur.sum() / ref.sum()).pvalue < 0.05
    assert 0.02 <= two_sample / trials <= 0.08
    # Treating the reference shares as exact roughly triples the false alarms (~17 % here).
    assert goodness_of_fit / trials > 0.10
