"""Population Stability Index.

Name: ``"psi"``. Feature types: numeric and categorical.

Formula: ``PSI = Σ_bins (cur_i - ref_i) · ln(cur_i / ref_i)`` over the shares of each window
per bin (a symmetrised KL divergence). Bins: categories, or for numeric features
:data:`DEFAULT_BINS` = 10 bins at the reference deciles (the industry convention; see
:mod:`monitorx.stats.drift.binning`). An empty bin's share is replaced by 0.0001 (Evidently's
rule), bins empty in both windows are dropped.

Default threshold: drift when ``PSI >= 0.1`` (Evidently's default). :func:`band` names the
common industry bands: below 0.1 no change, 0.1-0.25 moderate, 0.25 and above major. PSI is
never chosen automatically (as in Evidently): it is the least sensitive of these statistics on
the benchmark data (at 0.1 it misses a 0.2 sd mean shift).

From summaries: exact for categories and value bins; for numeric quantile bins the counts per
bin are exact and the edges are within one bucket (0.8 % relative at the default precision) of
the exact reference deciles, so the value differs from PSI on exact deciles by what moves
across those slivers (``from_arrays(..., edges=bins.edges[1:-1])`` reproduces it exactly).

Reference: Yurdakul (2018), "Statistical properties of population stability index";
Evidently ``psi.py``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from monitorx.stats.drift.binning import Bins, array_bins, paired_shares, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "psi"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.1
MAJOR_THRESHOLD = 0.25
P_VALUE = False
DEFAULT_BINS = 10


def band(value: float) -> Literal["none", "moderate", "major"]:
    if value >= MAJOR_THRESHOLD:
        return "major"
    return "moderate" if value >= DEFAULT_THRESHOLD else "none"


def from_bins(bins: Bins) -> float:
    ref, cur = paired_shares(bins, fill_zeros=True)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


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
