"""Normed Wasserstein: exact on raw values against scipy; from summaries within the bound."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from monitorx.stats.drift import wasserstein
from monitorx.stats.summaries import NumericSummary


def _expected(a: np.ndarray, b: np.ndarray) -> float:
    return float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001))


def test_raw_arrays_match_scipy_normed_by_the_reference_std() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(10, 3, 5000), rng.normal(10.5, 3, 4000)
    got = wasserstein.from_arrays(np.append(a, [np.nan, np.inf]), b)
    assert got.statistic == pytest.approx(_expected(a, b), rel=1e-9)


def test_constant_reference_is_normed_by_the_floor() -> None:
    got = wasserstein.from_arrays(np.full(100, 2.0), np.full(100, 2.5))
    assert got.statistic == pytest.approx(0.5 / 0.001)


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng, n, s: rng.normal(s, 1, n),
        lambda rng, n, s: rng.exponential(1 + s, n),
        lambda rng, n, s: rng.uniform(-5, 5 + s * 10, n),
        lambda rng, n, s: np.where(rng.random(n) < 0.5, rng.normal(-3, 1, n), rng.normal(2 + s, 0.5, n)),
    ],
)
@pytest.mark.parametrize("n", [500, 50_000])
def test_summaries_stay_within_their_bound_and_far_closer_in_practice(draw: object, n: int) -> None:
    rng = np.random.default_rng(n)
    for shift in (0.0, 0.1, 0.5):
        a, b = draw(rng, n, 0.0), draw(rng, n, shift)  # type: ignore[operator]
        exact = _expected(a, b)
        got = wasserstein.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
        assert got.error_bound is not None
        assert abs(got.statistic - exact) <= got.error_bound
        # Observed error: below 1 % of the 0.05 effect floor.
        assert abs(got.statistic - exact) <= 5e-4


def test_summaries_are_exact_on_low_cardinality_columns() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 30, 3000).astype(float), rng.integers(2, 33, 2000).astype(float)
    got = wasserstein.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    assert got.statistic == pytest.approx(_expected(a, b), rel=1e-12)
    assert got.error_bound == 0.0


def test_a_mean_shift_reads_as_the_shift_in_standard_deviations() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(100, 20, 200_000), rng.normal(100 + 0.1 * 20, 20, 200_000)
    got = wasserstein.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    assert got.statistic == pytest.approx(0.1, abs=0.01)
