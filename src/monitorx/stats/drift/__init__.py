"""Drift statistics on mergeable summaries: one module per statistic, and the verdicts.

Usage::

    from monitorx.stats.summaries import summarize_table
    from monitorx.stats.drift import dataset_drift

    reference = summarize_table(training_columns)          # once, stored
    current = summarize_table(live_columns)                # or merged minute windows
    report = dataset_drift(reference, current)
    report.features["amount"].drifted, report.drifted
"""

from monitorx.stats.drift.binning import OTHER_LABEL, Bins
from monitorx.stats.drift.policy import (
    DatasetDrift,
    DriftPolicy,
    FeatureDrift,
    FeatureDriftConfig,
    dataset_drift,
    dataset_drift_from_arrays,
    default_methods,
    feature_drift,
    n_unique,
)
from monitorx.stats.drift.registry import STAT_TESTS, StatTest, get_stat_test
from monitorx.stats.drift.result import StatResult

__all__ = [
    "OTHER_LABEL",
    "STAT_TESTS",
    "Bins",
    "DatasetDrift",
    "DriftPolicy",
    "FeatureDrift",
    "FeatureDriftConfig",
    "StatResult",
    "StatTest",
    "dataset_drift",
    "dataset_drift_from_arrays",
    "default_methods",
    "feature_drift",
    "get_stat_test",
    "n_unique",
]
