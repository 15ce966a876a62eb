"""Put a reference and a current distribution on common bins, from summaries or from raw arrays.

Two grids serve the statistics:

- the **fine grid** (:func:`fine_grid`): the union of both summaries' occupied buckets (or
  their exact distinct values, when both kept them). KS and Wasserstein are computed on it;
  bucket counts are exact, so an ECDF read at a bucket bound is exact.
- **coarse bins** (:func:`summary_bins`, :func:`array_bins`) for the histogram distances (PSI,
  Jensen-Shannon, Hellinger, KL) and χ²:

  - categorical: one bin per category seen in either window, plus ``"<other>"`` when a summary
    overflowed its category cap;
  - numeric with at most :data:`VALUE_BIN_LIMIT` distinct reference values (both summaries
    kept exact values): one bin per value, as Evidently does up to 20 unique values;
  - other numeric: ``n_bins`` bins at the reference's quantiles (deciles for PSI, the industry
    convention), two-sided open at the ends so current values outside the reference range
    still land in a bin. Edges come from the reference alone, as NannyML does, rather than
    Evidently's equal-width Sturges bins over both windows (one outlier squeezes those into
    one bin, and each comparison gets its own grid).

From summaries, a quantile edge is the upper bound of the bucket holding that reference rank,
so both windows' counts per bin are exact sums of bucket counts; the edge itself is within
the bucket's relative width (0.8 % at the default precision) of the exact quantile.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from monitorx.stats.summaries import DISTINCT_CAP, CategoricalSummary, FeatureSummary, NumericSummary
from monitorx.stats.summaries.buckets import FloatArray, bucket_bounds

OTHER_LABEL = "<other>"
"""Bin label of the values a categorical summary could not keep under its cap."""

VALUE_BIN_LIMIT = 20
"""Numeric columns with at most this many distinct reference values are binned by value."""

CountArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Bins:
    """Counts of both windows on common bins.

    ``labels`` name the bins (categories, values, or ``lo..hi`` ranges; which side holds a value
    equal to an edge is immaterial for continuous data and differs with its sign); ``edges``
    are the ``len(labels) + 1`` bin bounds of range bins, ``None`` for categories and values.
    """

    kind: Literal["categories", "values", "ranges"]
    labels: tuple[str, ...]
    reference: CountArray
    current: CountArray
    edges: FloatArray | None = None

    @property
    def exact(self) -> bool:
        """Whether these bins are the same from a summary as from the raw rows."""
        return self.kind != "ranges"


@dataclass(frozen=True, eq=False)
class FineGrid:
    """Both numeric distributions on the union of their buckets (or exact values).

    Cell ``i`` holds values in ``[lower[i], upper[i]]`` (a point when ``exact``); cells are
    disjoint and sorted; the space between two cells holds no value of either window.
    """

    lower: FloatArray
    upper: FloatArray
    reference: CountArray
    current: CountArray
    exact: bool


def _check_nonempty(reference: FeatureSummary, current: FeatureSummary) -> None:
    if reference.count == 0 or current.count == 0:
        raise ValueError("drift needs at least one non-missing value in each window")


def fine_grid(reference: NumericSummary, current: NumericSummary) -> FineGrid:
    _check_nonempty(reference, current)
    if reference.distinct is not None and current.distinct is not None:
        values = np.union1d(reference.distinct.values, current.distinct.values)
        ref = np.zeros(values.size, np.int64)
        cur = np.zeros(values.size, np.int64)
        ref[np.searchsorted(values, reference.distinct.values)] = reference.distinct.counts
        cur[np.searchsorted(values, current.distinct.values)] = current.distinct.counts
        return FineGrid(values, values, ref, cur, exact=True)
    if reference.precision_bits != current.precision_bits:
        raise ValueError("summaries with different precision_bits cannot be compared")
    keys = np.union1d(reference.keys, current.keys)
    ref = np.zeros(keys.size, np.int64)
    cur = np.zeros(keys.size, np.int64)
    ref[np.searchsorted(keys, reference.keys)] = reference.counts
    cur[np.searchsorted(keys, current.keys)] = current.counts
    lower, upper = bucket_bounds(keys, reference.precision_bits)
    lo = min(reference.minimum, current.minimum)
    hi = max(reference.maximum, current.maximum)
    return FineGrid(np.clip(lower, lo, hi), np.clip(upper, lo, hi), ref, cur, exact=False)


def _format(value: float) -> str:
    return f"{value:.6g}"


def _range_labels(edges: FloatArray) -> tuple[str, ...]:
    return tuple(f"{_format(a)}..{_format(b)}" for a, b in itertools.pairwise(edges))


def categorical_bins(reference: CategoricalSummary, current: CategoricalSummary) -> Bins:
    """One bin per category of either window, most frequent in the reference first."""
    _check_nonempty(reference, current)
    names = sorted(
        set(reference.counts) | set(current.counts),
        key=lambda c: (-reference.counts.get(c, 0), -current.counts.get(c, 0), c),
    )
    ref = [reference.counts.get(c, 0) for c in names]
    cur = [current.counts.get(c, 0) for c in names]
    if reference.other or current.other:
        names.append(OTHER_LABEL)
        ref.append(reference.other)
        cur.append(current.other)
    return Bins("categories", tuple(names), np.asarray(ref, np.int64), np.asarray(cur, np.int64))


def quantile_cut_indices(counts: CountArray, n_bins: int) -> npt.NDArray[np.intp]:
    """Cells after which to cut so each coarse bin holds about ``1 / n_bins`` of ``counts``.

    The cut for quantile ``i / n_bins`` falls after the cell holding rank
    ``ceil(i / n_bins · total)``, so that rank lands in the lower bin (``inverted_cdf``).
    """
    if n_bins < 2:
        raise ValueError("n_bins must be at least 2")
    cum = np.cumsum(counts)
    ranks = np.ceil(np.arange(1, n_bins) / n_bins * cum[-1])
    cuts = np.unique(np.searchsorted(cum, ranks, side="left"))
    return cuts[cuts < counts.size - 1]


def _coarsen(counts: CountArray, cuts: npt.NDArray[np.intp]) -> CountArray:
    bounds = np.concatenate([[0], cuts + 1, [counts.size]])
    cum = np.concatenate([[0], np.cumsum(counts)])
    coarse: CountArray = (cum[bounds[1:]] - cum[bounds[:-1]]).astype(np.int64)
    return coarse


def _value_bins(grid: FineGrid, reference: NumericSummary) -> Bins | None:
    if grid.exact and reference.distinct is not None and len(reference.distinct) <= VALUE_BIN_LIMIT:
        return Bins("values", tuple(_format(v) for v in grid.lower), grid.reference, grid.current)
    return None


def numeric_bins(reference: NumericSummary, current: NumericSummary, n_bins: int) -> Bins:
    grid = fine_grid(reference, current)
    by_value = _value_bins(grid, reference)
    if by_value is not None:
        return by_value
    cuts = quantile_cut_indices(grid.reference, n_bins)
    edges = np.concatenate([[grid.lower[0]], grid.upper[cuts], [grid.upper[-1]]])
    return Bins("ranges", _range_labels(edges), _coarsen(grid.reference, cuts), _coarsen(grid.current, cuts), edges)


def summary_bins(reference: FeatureSummary, current: FeatureSummary, n_bins: int) -> Bins:
    """Common coarse bins for two summaries of one feature (see module docstring)."""
    if isinstance(reference, CategoricalSummary) and isinstance(current, CategoricalSummary):
        return categorical_bins(reference, current)
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSummary):
        return numeric_bins(reference, current, n_bins)
    raise ValueError("reference and current summaries are of different kinds")


def finite(values: npt.ArrayLike) -> FloatArray:
    """The finite float64 values of a column (what a numeric summary counts)."""
    column = np.asarray(values, dtype=np.float64).ravel()
    return column[np.isfinite(column)]


def array_bins(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    n_bins: int,
    *,
    categorical: bool = False,
    edges: npt.ArrayLike | None = None,
) -> Bins:
    """Coarse bins computed exactly from raw arrays (the reference path of the tests).

    Numeric ``edges`` are the inner cut points (a value equal to one goes to the lower bin);
    by default they are the exact reference quantiles ``i / n_bins`` (``inverted_cdf``).
    """
    if categorical:
        return categorical_bins(CategoricalSummary.from_values(reference), CategoricalSummary.from_values(current))
    ref, cur = finite(reference), finite(current)
    if ref.size == 0 or cur.size == 0:
        raise ValueError("drift needs at least one non-missing value in each window")
    if edges is None:
        # Mirror of the summary path: value bins while both windows would keep exact values.
        ref_values, cur_values = np.unique(ref), np.unique(cur)
        if ref_values.size <= VALUE_BIN_LIMIT and cur_values.size <= DISTINCT_CAP:
            values = np.union1d(ref_values, cur_values)
            return Bins(
                "values",
                tuple(_format(v) for v in values),
                np.bincount(np.searchsorted(values, ref), minlength=values.size).astype(np.int64),
                np.bincount(np.searchsorted(values, cur), minlength=values.size).astype(np.int64),
            )
        inner = np.unique(np.quantile(ref, np.arange(1, n_bins) / n_bins, method="inverted_cdf"))
    else:
        inner = np.sort(np.asarray(edges, dtype=np.float64))
    ref_counts = np.bincount(np.searchsorted(inner, ref, side="left"), minlength=inner.size + 1)
    cur_counts = np.bincount(np.searchsorted(inner, cur, side="left"), minlength=inner.size + 1)
    all_edges = np.concatenate([[min(ref.min(), cur.min())], inner, [max(ref.max(), cur.max())]])
    return Bins(
        "ranges",
        _range_labels(all_edges),
        ref_counts.astype(np.int64),
        cur_counts.astype(np.int64),
        all_edges,
    )


def _fill_zeros(shares: FloatArray) -> FloatArray:
    nonzero = shares[shares > 0]
    smallest = float(nonzero.min()) if nonzero.size else 1.0
    fill = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return np.where(shares > 0, shares, fill)


def paired_shares(bins: Bins, *, fill_zeros: bool) -> tuple[FloatArray, FloatArray]:
    """Reference and current shares per bin, bins empty in both windows dropped.

    ``fill_zeros`` replaces an empty bin's share by 0.0001 (or by the smallest non-zero share
    / 10**6 when that is below 0.0001), Evidently's rule for PSI and KL, which would be
    infinite otherwise. It caps what one empty bin adds to PSI at about
    ``share · ln(share / 0.0001)`` (0.31 for a 5 % bin), so read large PSI/KL values as "very
    large" rather than as exact.
    """
    used = (bins.reference + bins.current) > 0
    ref = bins.reference[used] / bins.reference.sum()
    cur = bins.current[used] / bins.current.sum()
    if fill_zeros:
        return _fill_zeros(ref), _fill_zeros(cur)
    return ref, cur


PLOT_BINS = 30


def plot_bins(reference: FeatureSummary, current: FeatureSummary, n_bins: int = PLOT_BINS) -> Bins:
    """Bins to draw both distributions side by side.

    Categories and value bins as for the statistics; other numeric features get ``n_bins``
    equal-width bins between the 0.5th and 99.5th percentiles of both windows together, the
    first and last bin also holding the tails beyond (so ``edges[0]`` and ``edges[-1]`` are
    those percentiles, not the extremes). A bucket goes whole to the bin holding its middle.
    """
    if not (isinstance(reference, NumericSummary) and isinstance(current, NumericSummary)):
        return summary_bins(reference, current, n_bins)
    grid = fine_grid(reference, current)
    by_value = _value_bins(grid, reference)
    if by_value is not None:
        return by_value
    lo = min(reference.quantile(0.005), current.quantile(0.005))
    hi = max(reference.quantile(0.995), current.quantile(0.995))
    if not hi > lo:
        lo, hi = float(grid.lower[0]), float(grid.upper[-1])
    if not hi > lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, n_bins + 1)
    middle = (grid.lower + grid.upper) / 2
    index = np.clip(np.searchsorted(edges, middle, side="right") - 1, 0, n_bins - 1)
    ref = np.bincount(index, weights=grid.reference, minlength=n_bins).astype(np.int64)
    cur = np.bincount(index, weights=grid.current, minlength=n_bins).astype(np.int64)
    return Bins("ranges", _range_labels(edges), ref, cur, edges)
