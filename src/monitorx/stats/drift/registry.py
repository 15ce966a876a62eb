"""The drift statistics by name, for method selection and per-feature overrides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from monitorx.stats.drift import chisquare, hellinger, jensenshannon, kl_div, ks, psi, wasserstein, ztest
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import FeatureSummary


@dataclass(frozen=True)
class StatTest:
    """One statistic: the kinds it accepts, its default threshold and how the threshold reads.

    ``p_value``: drift when the p-value is below the threshold; otherwise drift when the
    statistic is at or above it (Evidently's convention for both).
    """

    name: str
    kinds: tuple[str, ...]
    default_threshold: float
    p_value: bool
    compute: Callable[[FeatureSummary, FeatureSummary], StatResult]


def _entry(module: ModuleType) -> StatTest:
    return StatTest(module.NAME, module.KINDS, module.DEFAULT_THRESHOLD, module.P_VALUE, module.from_summaries)


STAT_TESTS: dict[str, StatTest] = {
    t.name: t for t in map(_entry, (ks, wasserstein, psi, jensenshannon, hellinger, kl_div, chisquare, ztest))
}


def get_stat_test(name: str) -> StatTest:
    try:
        return STAT_TESTS[name]
    except KeyError:
        raise ValueError(f"unknown drift method {name!r}; known: {', '.join(sorted(STAT_TESTS))}") from None
