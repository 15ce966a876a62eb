"""Hellinger distance.

Name: ``"hellinger"``. Feature types: numeric and categorical.

Formula: ``H = sqrt(1 - Σ_bins sqrt(ref_i · cur_i))`` over the shares of each window per bin,
in ``[0, 1]`` (the normalisation with ``1/sqrt(2)·||sqrt(ref) - sqrt(cur)||_2``, which is the
same number).

Bins: categories, values, or :data:`DEFAULT_BINS` = 20 reference-quantile bins for numeric
features (see :mod:`monitorx.stats.drift.binning`). Evidently uses Sturges bins over the
unique values for numeric features; whylogs at most 30 buckets.

Default threshold: drift when ``>= 0.1`` (Evidently's default). whylogs' bands: below 0.15 no
drift, 0.15-0.4 possible drift, 0.4 and above drift.

From summaries: exact for categories and value bins; numeric quantile bins as for PSI.

Reference: Hellinger (1909); Evidently ``hellinger_distance.py``; whylogs
``column_drift_algorithms.py``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from monitorx.stats.drift.binning import Bins, array_bins, paired_shares, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "hellinger"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.1
P_VALUE = False
DEFAULT_BINS = 20


def from_bins(bins: Bins) -> float:
    ref, cur = paired_shares(bins, fill_zeros=False)
    affinity = float(np.sum(np.sqrt(ref * cur)))
    return math.sqrt(max(0.0, 1.0 - min(affinity, 1.0)))


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
