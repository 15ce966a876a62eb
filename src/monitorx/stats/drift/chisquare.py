"""Pearson's χ² test of homogeneity: do both windows share one distribution over the bins?

Name: ``"chisquare"``. Feature types: categorical, and numeric (on value or decile bins).

Formula: on the 2 x k contingency table of counts (reference row, current row; one column per
bin), ``χ² = Σ (O - E)² / E`` with ``E_ij = row_i · col_j / N``, and ``p = chi2.sf(χ², k - 1)``
(``scipy.stats.chi2_contingency(table, correction=False)``).

This is the **two-sample** test. Evidently and whylogs instead test the current counts against
the reference shares as if those were exact (a goodness-of-fit test, ``scipy.stats.chisquare``
with expected = reference counts scaled to the current size). The reference is a sample too,
so that test's null variance is too small: it flagged 3-4 of 4 unchanged categorical columns at
10k-100k rows in our measurements, while the two-sample test stays at its nominal rate.

Sparse cells: columns whose expected count is below 5 in either row are pooled into one
column (Cochran's rule), and a pooled column still below 5 joins the smallest other column, so
the χ² approximation holds for long-tailed categories (when every column is sparse, as with a
handful of rows, the table is used as it is). Bins empty in both windows are dropped.
With fewer than 2 columns left the statistic is 0 and ``p = 1``.

Default threshold: drift when ``p < 0.05`` (Evidently's default for categorical features with
a reference of at most 1,000 rows).

From summaries: exact (category and value counts are exact; decile bins as for PSI).

Reference: Pearson (1900); Cochran (1954), "Some methods for strengthening the common χ²
tests"; ``scipy.stats.chi2_contingency``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

from monitorx.stats.drift.binning import Bins, array_bins, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "chisquare"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.05
P_VALUE = True
DEFAULT_BINS = 10
MIN_EXPECTED = 5.0


def contingency_table(bins: Bins) -> npt.NDArray[np.int64]:
    """The 2 x k table the test runs on, sparse columns pooled (see module docstring)."""
    table = np.vstack([bins.reference, bins.current]).astype(np.int64)
    table = table[:, table.sum(axis=0) > 0]
    n = table.sum(axis=1)
    if table.shape[1] < 2 or n.min() == 0:
        return table

    def min_expected(t: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return np.asarray(n.min() * t.sum(axis=0) / n.sum(), dtype=np.float64)

    small = min_expected(table) < MIN_EXPECTED
    if small.any() and not small.all():
        rest, pooled = table[:, ~small], table[:, small].sum(axis=1)
        if rest.shape[1] >= 2 and min_expected(pooled[:, None])[0] < MIN_EXPECTED:
            rest = rest.copy()
            rest[:, int(np.argmin(rest.sum(axis=0)))] += pooled
            table = rest
        else:
            table = np.column_stack([rest, pooled])
    return table


def from_bins(bins: Bins) -> tuple[float, float]:
    """``(χ², p)`` for two windows on common bins."""
    table = contingency_table(bins)
    if table.shape[1] < 2:
        return 0.0, 1.0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    return chi2, float(stats.chi2.sf(chi2, table.shape[1] - 1))


def from_summaries(reference: FeatureSummary, current: FeatureSummary, n_bins: int = DEFAULT_BINS) -> StatResult:
    bins = summary_bins(reference, current, n_bins)
    chi2, p = from_bins(bins)
    return StatResult(NAME, chi2, p, error_bound=0.0 if bins.exact else None, bins=bins)


def from_arrays(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    n_bins: int = DEFAULT_BINS,
    *,
    categorical: bool = False,
    edges: npt.ArrayLike | None = None,
) -> StatResult:
    bins = array_bins(reference, current, n_bins, categorical=categorical, edges=edges)
    chi2, p = from_bins(bins)
    return StatResult(NAME, chi2, p, bins=bins)
