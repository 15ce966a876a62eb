"""Two-sample Kolmogorov-Smirnov test.

Name: ``"ks"``. Feature types: numeric.

Formula: ``D = sup_x |F_ref(x) - F_cur(x)|`` over the empirical CDFs of the two windows; the
two-sided p-value is the exact distribution of ``D`` for ``max(n, m) <= 10,000`` and
``kstwo.sf(D, round(n·m / (n + m)))`` above, exactly as ``scipy.stats.ks_2samp(method="auto")``.

Default threshold: drift when ``p < 0.05`` (Evidently's default for numeric features with a
reference of at most 1,000 rows).

From summaries: ``D`` is read at the bounds of the union of both windows' buckets, where both
ECDFs are exact (bucket counts are exact). That is a supremum over a subset of points, so

    D_summary <= D_exact <= D_summary + error_bound

where ``error_bound`` follows from how far each ECDF can move inside one bucket (at most the
bucket's share of each window). The p-value of ``D_summary`` is therefore never smaller than
the exact one: summarising cannot raise a false alarm, which is what breaks whylogs' KS from
KLL sketches at 1M rows (its quantile errors *add* to D). On continuous data the loss is
tiny: at the default precision a bucket is 0.8 % of its value wide, and the ECDF difference
inside one bucket changes only by noise of order ``sqrt(bucket share / n)``.

Reference: Smirnov (1939); Hodges (1958), "The significance probability of the Smirnov
two-sample test"; ``scipy.stats.ks_2samp``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import stats

from monitorx.stats.drift.binning import FineGrid, fine_grid, finite
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary, NumericSummary

NAME = "ks"
KINDS = ("numeric",)
DEFAULT_THRESHOLD = 0.05
P_VALUE = True

# scipy.stats.ks_2samp(method="auto") computes the exact distribution up to this size.
_EXACT_MAX_N = 10_000

try:  # scipy's exact two-sample distribution; private, so fall back to the asymptotic form.
    from scipy.stats._stats_py import _attempt_exact_2kssamp
except ImportError:  # pragma: no cover - depends on the scipy version
    _attempt_exact_2kssamp = None


def p_value(d: float, n: int, m: int) -> float:
    """Two-sided p-value of ``D = d`` for sample sizes ``n`` and ``m`` (as scipy computes it)."""
    if max(n, m) <= _EXACT_MAX_N and _attempt_exact_2kssamp is not None:
        g = math.gcd(n, m)
        if (n // g) < np.iinfo(np.int32).max / (m // g):
            success, _, prob = _attempt_exact_2kssamp(n, m, g, d, "two-sided")
            if success:
                return float(np.clip(prob, 0.0, 1.0))
    en = n * m / (n + m)
    return float(np.clip(stats.kstwo.sf(d, np.round(en)), 0.0, 1.0))


def statistic_on_grid(grid: FineGrid) -> tuple[float, float]:
    """``D`` at the cell bounds of a fine grid, and an upper bound on the exact ``D``."""
    n, m = grid.reference.sum(), grid.current.sum()
    pr, pc = grid.reference / n, grid.current / m
    after = np.cumsum(pr) - np.cumsum(pc)  # F_ref - F_cur at the top of each cell
    d = float(np.max(np.abs(after)))
    if grid.exact:
        return d, d
    before = after - (pr - pc)
    # Inside a cell, F_ref - F_cur lies in [before - pc, before + pr] and in
    # [after - pr, after + pc]; the largest |.| on the intersection bounds the exact sup there.
    low = np.maximum(before - pc, after - pr)
    high = np.minimum(before + pr, after + pc)
    upper = float(np.max(np.maximum(np.abs(low), np.abs(high))))
    return d, max(d, upper)


def from_summaries(reference: FeatureSummary, current: FeatureSummary) -> StatResult:
    if not (isinstance(reference, NumericSummary) and isinstance(current, NumericSummary)):
        raise ValueError("the KS test needs numeric features")
    d, d_upper = statistic_on_grid(fine_grid(reference, current))
    return StatResult(NAME, d, p_value(d, reference.count, current.count), error_bound=d_upper - d)


def statistic_from_arrays(reference: npt.ArrayLike, current: npt.ArrayLike) -> float:
    ref, cur = np.sort(finite(reference)), np.sort(finite(current))
    if ref.size == 0 or cur.size == 0:
        raise ValueError("drift needs at least one non-missing value in each window")
    both = np.concatenate([ref, cur])
    diff = np.searchsorted(ref, both, side="right") / ref.size - np.searchsorted(cur, both, side="right") / cur.size
    return float(np.max(np.abs(diff)))


def from_arrays(reference: npt.ArrayLike, current: npt.ArrayLike) -> StatResult:
    """Exact KS on raw values (NaN and ±inf dropped)."""
    d = statistic_from_arrays(reference, current)
    n, m = finite(reference).size, finite(current).size
    return StatResult(NAME, d, p_value(d, n, m))
