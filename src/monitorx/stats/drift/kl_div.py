"""Kullback-Leibler divergence of the reference from the current window.

Name: ``"kl_div"``. Feature types: numeric and categorical.

Formula: ``KL(ref || cur) = Σ_bins ref_i · ln(ref_i / cur_i)`` over the shares of each window
per bin (``scipy.stats.entropy(ref, cur)``, natural log, the order Evidently uses). It is not
symmetric; PSI is its symmetrised form. An empty bin's share is replaced by 0.0001 (Evidently's
rule), bins empty in both windows are dropped.

Bins: categories, values, or :data:`DEFAULT_BINS` = 20 reference-quantile bins for numeric
features (see :mod:`monitorx.stats.drift.binning`).

Default threshold: drift when ``>= 0.1`` (Evidently's default).

From summaries: exact for categories and value bins; numeric quantile bins as for PSI.

Reference: Kullback & Leibler (1951); Evidently ``kl_div.py``.
"""

from __future__ import annotations

import numpy.typing as npt
from scipy import stats

from monitorx.stats.drift.binning import Bins, array_bins, paired_shares, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "kl_div"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.1
P_VALUE = False
DEFAULT_BINS = 20


def from_bins(bins: Bins) -> float:
    ref, cur = paired_shares(bins, fill_zeros=True)
    return float(stats.entropy(ref, cur))


def from_summaries(reference: FeatureSummary, current: FeatureSummary, n_bins: int = DEFAULT_BINS) -> StatResult:
    bins = summary_bins(reference, current, n_bins)
    return StatResult(NAME, from_bins(bins), error_bound=0.0 if bins.exact else None, bins=bins)


def from_arrays(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    n_bins: int = DEFAULT_BINS,
    *,
    categorical: bool = False,
    edges: npt.ArrayLike | None = None,
) -> StatResult:
    bins = array_bins(reference, current, n_bins, categorical=categorical, edges=edges)
    return StatResult(NAME, from_bins(bins), bins=bins)
