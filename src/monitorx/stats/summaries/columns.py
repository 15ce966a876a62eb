"""Summaries of whole columns and tables: kind inference, dispatch, merging, decoding.

The server keeps one summary per (model, feature, minute window) as bytes
(:func:`FeatureSummary.to_bytes`), merges the windows of any time range with
:func:`merge_summaries`, and compares the result with the reference dataset's summaries,
computed once with :func:`summarize_table` when the reference is uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from monitorx.stats.summaries.buckets import DEFAULT_PRECISION_BITS
from monitorx.stats.summaries.categorical import (
    DEFAULT_MAX_CATEGORIES,
    CategoricalSummary,
    _is_missing,
    merge_categorical,
)
from monitorx.stats.summaries.numeric import NumericSummary, merge_numeric

FeatureKind = Literal["numeric", "categorical"]
FeatureSummary = NumericSummary | CategoricalSummary


def infer_kind(values: npt.ArrayLike) -> FeatureKind:
    """``numeric`` for int/float columns, ``categorical`` for bools, strings and anything else.

    An object column (what JSON decoding gives) is numeric when every non-missing value is an
    int or float and not a bool.
    """
    column = np.asarray(values)
    if column.dtype.kind in "iuf":
        return "numeric"
    if column.dtype.kind != "O":
        return "categorical"
    seen_number = False
    for value in column.ravel().tolist():
        if _is_missing(value):
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "categorical"
        seen_number = True
    return "numeric" if seen_number else "categorical"


def summarize(
    values: npt.ArrayLike,
    kind: FeatureKind | None = None,
    *,
    precision_bits: int = DEFAULT_PRECISION_BITS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> FeatureSummary:
    """Summarise one column; ``kind`` is inferred with :func:`infer_kind` when not given."""
    kind = kind or infer_kind(values)
    if kind == "numeric":
        return NumericSummary.from_values(values, precision_bits)
    if kind == "categorical":
        return CategoricalSummary.from_values(values, max_categories)
    raise ValueError(f"unknown feature kind {kind!r}")


def summarize_table(
    table: Mapping[str, npt.ArrayLike],
    kinds: Mapping[str, FeatureKind] | None = None,
    *,
    precision_bits: int = DEFAULT_PRECISION_BITS,
    max_categories: int = DEFAULT_MAX_CATEGORIES,
) -> dict[str, FeatureSummary]:
    """Summarise every column of a table (a mapping of column name to values)."""
    kinds = kinds or {}
    return {
        name: summarize(values, kinds.get(name), precision_bits=precision_bits, max_categories=max_categories)
        for name, values in table.items()
    }


def merge_summaries(summaries: Iterable[FeatureSummary]) -> FeatureSummary:
    """Merge the summaries of one feature over many windows (all of the same kind)."""
    parts = list(summaries)
    if not parts:
        raise ValueError("nothing to merge")
    if all(isinstance(p, NumericSummary) for p in parts):
        return merge_numeric(p for p in parts if isinstance(p, NumericSummary))
    if all(isinstance(p, CategoricalSummary) for p in parts):
        return merge_categorical(p for p in parts if isinstance(p, CategoricalSummary))
    raise ValueError("cannot merge numeric and categorical summaries of one feature")


def summary_from_bytes(blob: bytes) -> FeatureSummary:
    """Decode what :meth:`NumericSummary.to_bytes` or :meth:`CategoricalSummary.to_bytes` wrote."""
    if blob[:3] == b"MXN":
        return NumericSummary.from_bytes(blob)
    if blob[:3] == b"MXC":
        return CategoricalSummary.from_bytes(blob)
    raise ValueError("not a MonitorX feature summary (unknown tag)")


def summary_from_dict(data: Mapping[str, Any]) -> FeatureSummary:
    """Decode what ``to_dict`` wrote (the JSON form)."""
    kind = data.get("type")
    if kind == "numeric":
        return NumericSummary.from_dict(dict(data))
    if kind == "categorical":
        return CategoricalSummary.from_dict(data)
    raise ValueError(f"unknown summary type {kind!r}")
