"""Mergeable per-window feature summaries: drift over any window without the raw rows."""

from monitorx.stats.summaries.buckets import DEFAULT_PRECISION_BITS, relative_error_bound
from monitorx.stats.summaries.categorical import DEFAULT_MAX_CATEGORIES, CategoricalSummary, category_name
from monitorx.stats.summaries.columns import (
    FeatureKind,
    FeatureSummary,
    infer_kind,
    merge_summaries,
    summarize,
    summarize_table,
    summary_from_bytes,
    summary_from_dict,
)
from monitorx.stats.summaries.numeric import DISTINCT_CAP, DistinctValues, NumericSummary

__all__ = [
    "DEFAULT_MAX_CATEGORIES",
    "DEFAULT_PRECISION_BITS",
    "DISTINCT_CAP",
    "CategoricalSummary",
    "DistinctValues",
    "FeatureKind",
    "FeatureSummary",
    "NumericSummary",
    "category_name",
    "infer_kind",
    "merge_summaries",
    "relative_error_bound",
    "summarize",
    "summarize_table",
    "summary_from_bytes",
    "summary_from_dict",
]
