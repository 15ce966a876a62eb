"""Two-sample Z-test for the difference of two proportions.

Name: ``"z"``. Feature types: binary (at most 2 distinct values over both windows), categorical
or numeric.

Formula: with ``p_r``, ``p_c`` the share of the first value (in sorted order, as Evidently) in
the reference and current window, of sizes ``n`` and ``m``, and the pooled share
``P = (p_r·n + p_c·m) / (n + m)``:

    z = (p_r - p_c) / sqrt(P · (1 - P) · (1/n + 1/m)),   p = 2 · (1 - Φ(|z|))

``z²`` equals the 2 x 2 χ² statistic without continuity correction. When both windows hold one
and the same value, ``z = 0`` and ``p = 1``.

Default threshold: drift when ``p < 0.05`` (Evidently's default for binary features with a
reference of at most 1,000 rows).

From summaries: exact.

Reference: Fleiss, Levin & Paik (2003), "Statistical Methods for Rates and Proportions", ch. 2;
Evidently ``z_stattest.py``.
"""

from __future__ import annotations

import math

import numpy.typing as npt
from scipy import stats

from monitorx.stats.drift.binning import Bins, array_bins, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "z"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.05
P_VALUE = True


def from_bins(bins: Bins) -> tuple[float, float]:
    """``(z, p)``; ``z > 0`` when the first value is rarer now than in the reference."""
    used = (bins.reference + bins.current) > 0
    if bins.kind == "ranges" or used.sum() > 2:
        raise ValueError(f"the Z-test needs at most 2 distinct values, got {int(used.sum())}")
    if used.sum() < 2:
        return 0.0, 1.0
    order = sorted(i for i in range(len(bins.labels)) if used[i])
    first = min(order, key=lambda i: bins.labels[i])
    n, m = int(bins.reference.sum()), int(bins.current.sum())
    p_ref, p_cur = bins.reference[first] / n, bins.current[first] / m
    pooled = (bins.reference[first] + bins.current[first]) / (n + m)
    z = float((p_ref - p_cur) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / m)))
    return z, float(2 * stats.norm.sf(abs(z)))


def from_summaries(reference: FeatureSummary, current: FeatureSummary) -> StatResult:
    bins = summary_bins(reference, current, 2)
    z, p = from_bins(bins)
    return StatResult(NAME, z, p, bins=bins)


def from_arrays(reference: npt.ArrayLike, current: npt.ArrayLike, *, categorical: bool = False) -> StatResult:
    bins = array_bins(reference, current, 2, categorical=categorical)
    z, p = from_bins(bins)
    return StatResult(NAME, z, p, bins=bins)
