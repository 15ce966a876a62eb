"""stats.slo: burn-rate factors as the SRE workbook and Sloth, and latency counts against exact ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitorx.stats import histogram, slo


@pytest.mark.parametrize(
    ("days", "expected"),
    [(30, (14.4, 6.0, 1.0)), (28, (13.44, 5.6, 0.9333))],
)
def test_factors_match_the_workbook_and_sloth(days: int, expected: tuple[float, ...]) -> None:
    got = tuple(w.factor(days * slo.DAY) for w in slo.WORKBOOK_WINDOWS)
    assert got == pytest.approx(expected, rel=1e-3)


def test_burn_rate() -> None:
    assert slo.burn_rate(5, 1000, 0.995) == pytest.approx(1.0)
    assert slo.burn_rate(72, 1000, 0.995) == pytest.approx(14.4)
    assert math.isnan(slo.burn_rate(0, 0, 0.995))
    with pytest.raises(ValueError, match="objective"):
        slo.burn_rate(1, 2, 1.0)


def test_a_pair_fires_only_when_both_windows_burn() -> None:
    counts = {300: (20.0, 100.0), 1800: (0.0, 100.0), 3600: (20.0, 1000.0), 6 * 3600: (0, 1), 3 * 86400: (0, 1)}
    counts[21600] = (0.0, 1.0)
    pairs = slo.evaluate_pairs(counts, 0.995, 30 * slo.DAY)
    assert [p.firing for p in pairs] == [False, False, False]  # 1h burns 4x only
    counts[3600] = (100.0, 1000.0)  # 20x over 1h and 40x over 5m
    assert [p.firing for p in slo.evaluate_pairs(counts, 0.995, 30 * slo.DAY)] == [True, False, False]


def test_good_latency_counts_are_exact_but_for_values_within_one_percent_of_the_threshold() -> None:
    rng = np.random.default_rng(7)
    latencies = rng.lognormal(5.5, 0.6, 200_000)  # ~245 ms median
    counts = histogram.counts_of(latencies)
    for threshold in (100.0, 300.0, 512.5, 2000.0):
        approx = slo.good_at_or_below(counts, threshold)
        exact_low = int((latencies <= threshold * (1 - histogram.ALPHA)).sum())
        exact_high = int((latencies <= threshold * (1 + histogram.ALPHA)).sum())
        assert exact_low <= approx <= exact_high
        assert slo.good_mask(threshold).sum() == (histogram.bucket_values() <= threshold).sum()
