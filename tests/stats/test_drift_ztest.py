"""Z-test for two proportions against its formula and the 2 x 2 chi-squared."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from monitorx.stats.drift import ztest
from monitorx.stats.summaries import CategoricalSummary, NumericSummary


def test_matches_the_formula_and_the_uncorrected_2x2_chi_squared() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random(3000) < 0.30, rng.random(2000) < 0.34
    p1, p2 = np.mean(~a), np.mean(~b)  # "false" sorts first
    pooled = (np.sum(~a) + np.sum(~b)) / (a.size + b.size)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / a.size + 1 / b.size))
    got = ztest.from_summaries(CategoricalSummary.from_values(a), CategoricalSummary.from_values(b))
    assert got.statistic == pytest.approx(z, rel=1e-12)
    assert got.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    table = np.array([[np.sum(a), np.sum(~a)], [np.sum(b), np.sum(~b)]])
    chi2 = stats.chi2_contingency(table, correction=False)
    assert got.statistic**2 == pytest.approx(chi2.statistic, rel=1e-9)
    assert got.p_value == pytest.approx(chi2.pvalue, rel=1e-9)
    assert ztest.from_arrays(a, b, categorical=True).p_value == pytest.approx(got.p_value, rel=1e-12)


def test_binary_numeric_features_work_and_one_value_gives_p_one() -> None:
    a, b = np.array([0.0, 1.0] * 50), np.array([0.0] * 60 + [1.0] * 40)
    assert ztest.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b)).p_value < 1
    same = NumericSummary.from_values(np.ones(10))
    assert ztest.from_summaries(same, same).p_value == 1.0


def test_more_than_two_values_are_refused() -> None:
    three = CategoricalSummary.from_values(np.array(["a", "b", "c"], dtype=object))
    with pytest.raises(ValueError, match="at most 2"):
        ztest.from_summaries(three, three)
    wide = NumericSummary.from_values(np.arange(200.0))
    with pytest.raises(ValueError, match="at most 2"):
        ztest.from_summaries(wide, wide)
