"""Jensen-Shannon distance.

Name: ``"jensenshannon"``. Feature types: numeric and categorical.

Formula: ``JS = sqrt((KL(ref || M) + KL(cur || M)) / 2)`` with ``M = (ref + cur) / 2``, over the
shares of each window per bin: ``scipy.spatial.distance.jensenshannon(ref, cur)``.

Logarithm base: **e** by default, the base Evidently uses (it calls scipy's ``jensenshannon``
with ``base=None``), so values and the 0.1 threshold mean the same as in Evidently; the
distance then lies in ``[0, sqrt(ln 2)] ≈ [0, 0.833]``. NannyML uses base 2 (range ``[0, 1]``):
pass ``base=2`` to compare with it (base-2 value = base-e value / sqrt(ln 2)).

Bins: categories (plus ``"<other>"``), values for numeric features with few distinct values,
else :data:`DEFAULT_BINS` = 20 reference-quantile bins (see
:mod:`monitorx.stats.drift.binning`). Empty bins are kept as they are (JS is finite).

Default threshold: drift when ``>= 0.1`` (Evidently's default for categorical features, and
for numeric ones with at most 5 unique values, when the reference has over 1,000 rows).
MonitorX's default policy uses it as the effect size next to the χ²/Z p-value.

From summaries: exact for categories and value bins; numeric quantile bins as for PSI.

Reference: Lin (1991), "Divergence measures based on the Shannon entropy"; Evidently
``jensenshannon.py``.
"""

from __future__ import annotations

import math

import numpy.typing as npt
from scipy.spatial import distance

from monitorx.stats.drift.binning import Bins, array_bins, paired_shares, summary_bins
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary

NAME = "jensenshannon"
KINDS = ("numeric", "categorical")
DEFAULT_THRESHOLD = 0.1
P_VALUE = False
DEFAULT_BINS = 20


def from_bins(bins: Bins, base: float | None = None) -> float:
    ref, cur = paired_shares(bins, fill_zeros=False)
    value = float(distance.jensenshannon(ref, cur, base))
    # Identical inputs can give sqrt of a tiny negative rounding error: nan.
    return 0.0 if math.isnan(value) else value


def from_summaries(
    reference: FeatureSummary, current: FeatureSummary, n_bins: int = DEFAULT_BINS, base: float | None = None
) -> StatResult:
    bins = summary_bins(reference, current, n_bins)
    return StatResult(NAME, from_bins(bins, base), error_bound=0.0 if bins.exact else None, bins=bins)


def from_arrays(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    n_bins: int = DEFAULT_BINS,
    *,
    categorical: bool = False,
    edges: npt.ArrayLike | None = None,
    base: float | None = None,
) -> StatResult:
    bins = array_bins(reference, current, n_bins, categorical=categorical, edges=edges)
    return StatResult(NAME, from_bins(bins, base), bins=bins)
