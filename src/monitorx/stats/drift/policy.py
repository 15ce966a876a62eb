"""Which statistic decides drift for each feature, and the verdicts.

Every feature gets the same two numbers, whatever decides:

- a **significance test**, chosen by Evidently's rules (``n_unique`` counts distinct values
  over both windows): numeric with ``n_unique > 5`` → KS; numeric with 3-5 values and
  categorical with ``n_unique > 2`` → two-sample χ²; ``n_unique <= 2`` → Z-test;
- an **effect size**, Evidently's large-sample distance: normed Wasserstein for numeric
  features with ``n_unique > 5``, Jensen-Shannon distance (base e) for the others.

Two modes turn them into a verdict.

``mode="adaptive"`` (the default): drifted when **p < alpha and effect >= min_effect**.

- The p-value carries the sample size: with few rows only a large effect is significant, so
  the verdict is as conservative as Evidently's small-sample tests (the effect floor is
  below anything significant at ~1,000 rows). False alarms on an unchanged feature stay at
  or below ``alpha`` at any n, because every test is two-sample (χ² as goodness-of-fit
  against the reference shares, as Evidently and whylogs run it, flagged 3-4 of 4 unchanged
  columns at 10k-100k rows) and KS from summaries is never larger than the exact KS (whylogs'
  KS from KLL sketches flagged 7 of 9 unchanged columns at 1M rows).
- The effect floor keeps large windows from flagging differences too small to matter (with a
  million rows every p-value test finds *something*: evidentlyai/evidently#50). The floors
  are deliberately low, so real shifts that Evidently's fixed distance cut-off (0.1) misses
  are caught once the data can show them: a 0.08 sd mean shift at 100k rows has normed
  Wasserstein ≈ 0.08 (Evidently: no drift; MonitorX: drift).
- ``min_effect_numeric = 0.05``: a shift of 1/20 of the reference standard deviation.
  ``min_effect_categorical = 0.02``: the Jensen-Shannon distance (base e) of about the same
  small change (for a small change, JS ≈ Cohen's w / sqrt(8), and a mean shift of δ sd has
  w ≈ δ, so 0.05 sd ↔ JS ≈ 0.018), e.g. 3 points moving between two categories near 50 %.

``mode="evidently"``: Evidently 0.7's defaults, for comparison: a reference of at most
``small_reference_rows`` (1,000) non-missing values uses the significance test at
``p < alpha``, a larger one the distance at ``>= 0.1``. The χ² is still the two-sample test.

A per-feature :class:`FeatureDriftConfig` forces any statistic of the registry (``psi``,
``hellinger``, ``kl_div``, ...) with its own threshold (plain rule of that statistic), and/or
overrides the effect floor. The dataset is drifted when the share of drifted features is at
least ``drift_share`` (0.5).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from monitorx.stats.drift import chisquare, jensenshannon, ks, wasserstein, ztest
from monitorx.stats.drift.binning import Bins, plot_bins
from monitorx.stats.drift.registry import get_stat_test
from monitorx.stats.drift.result import StatResult
from monitorx.stats.summaries import (
    DISTINCT_CAP,
    CategoricalSummary,
    FeatureKind,
    FeatureSummary,
    NumericSummary,
    summarize_table,
)

COARSE_BUCKETS = 10
"""Below this many occupied reference buckets (and no exact values), a verdict carries a warning."""


@dataclass(frozen=True)
class FeatureDriftConfig:
    """Per-feature override of the policy.

    ``method``: a statistic name from :data:`monitorx.stats.drift.STAT_TESTS` that decides on
    its own (drift when ``p < threshold`` for tests, ``statistic >= threshold`` for distances);
    ``threshold`` defaults to that statistic's default. ``min_effect``: the effect floor of
    the adaptive rule (also added to a forced ``method`` when given).
    """

    method: str | None = None
    threshold: float | None = None
    min_effect: float | None = None


@dataclass(frozen=True)
class DriftPolicy:
    """How verdicts are reached (see the module docstring for the rationale)."""

    mode: Literal["adaptive", "evidently"] = "adaptive"
    alpha: float = 0.05
    min_effect_numeric: float = 0.05
    min_effect_categorical: float = 0.02
    small_reference_rows: int = 1000
    drift_share: float = 0.5
    features: Mapping[str, FeatureDriftConfig] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in ("adaptive", "evidently"):
            raise ValueError(f"mode must be 'adaptive' or 'evidently', got {self.mode!r}")
        if not 0 < self.alpha < 1:
            raise ValueError("alpha must lie in (0, 1)")
        for name, config in self.features.items():
            if config.method is not None:
                get_stat_test(config.method)  # fail at configuration time, naming the method
            if config.threshold is not None and config.method is None:
                raise ValueError(f"feature {name!r}: a threshold needs a method")


@dataclass(frozen=True, eq=False)
class FeatureDrift:
    """The verdict on one feature.

    ``method``/``statistic``/``threshold``/``rule`` say what decided; ``p_value`` (of
    ``p_value_method``) and ``effect_size`` (of ``effect_size_method``) are always given.
    ``error_bound`` bounds how far ``statistic`` may be from its value on the raw rows
    (0: exact; ``None``: no bound). ``distributions`` holds both windows' counts on common
    bins, ready to plot. ``new_categories`` are current categories (or values) absent from the
    reference, most frequent first, and ``new_category_share`` their share of the current
    window. ``note`` explains a verdict that could not be computed; ``warnings`` name reasons
    to read a computed one with care.
    """

    feature: str
    kind: FeatureKind
    method: str
    statistic: float
    threshold: float
    drifted: bool
    rule: str
    p_value: float | None
    p_value_method: str | None
    effect_size: float
    effect_size_method: str
    min_effect: float | None
    reference_size: int
    current_size: int
    reference_missing: int
    current_missing: int
    error_bound: float | None
    distributions: Bins | None
    new_categories: tuple[str, ...] = ()
    new_category_share: float = 0.0
    note: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN becomes ``None``)."""

        def num(x: float | None) -> float | None:
            return None if x is None or not math.isfinite(x) else float(x)

        bins = self.distributions
        return {
            "feature": self.feature,
            "kind": self.kind,
            "method": self.method,
            "statistic": num(self.statistic),
            "threshold": num(self.threshold),
            "drifted": self.drifted,
            "rule": self.rule,
            "p_value": num(self.p_value),
            "p_value_method": self.p_value_method,
            "effect_size": num(self.effect_size),
            "effect_size_method": self.effect_size_method,
            "min_effect": self.min_effect,
            "reference_size": self.reference_size,
            "current_size": self.current_size,
            "reference_missing": self.reference_missing,
            "current_missing": self.current_missing,
            "error_bound": num(self.error_bound),
            "distributions": None
            if bins is None
            else {
                "kind": bins.kind,
                "labels": list(bins.labels),
                "edges": None if bins.edges is None else bins.edges.tolist(),
                "reference": bins.reference.tolist(),
                "current": bins.current.tolist(),
            },
            "new_categories": list(self.new_categories),
            "new_category_share": self.new_category_share,
            "note": self.note,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True, eq=False)
class DatasetDrift:
    """Verdicts on every feature both windows share, and the dataset-level rule."""

    features: dict[str, FeatureDrift]
    drifted_share: float
    drift_share: float
    drifted: bool
    mode: str
    unmatched: tuple[str, ...] = ()

    @property
    def n_drifted(self) -> int:
        return sum(v.drifted for v in self.features.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "drifted_share": self.drifted_share,
            "drift_share": self.drift_share,
            "n_drifted": self.n_drifted,
            "n_features": len(self.features),
            "mode": self.mode,
            "unmatched": list(self.unmatched),
            "features": {name: v.to_dict() for name, v in self.features.items()},
        }


def n_unique(reference: FeatureSummary, current: FeatureSummary) -> int:
    """Distinct values over both windows; ``DISTINCT_CAP + 1`` stands for "more than tracked"."""
    if isinstance(reference, CategoricalSummary) and isinstance(current, CategoricalSummary):
        if reference.other or current.other:
            return max(reference.max_categories, current.max_categories) + 1
        return len(set(reference.counts) | set(current.counts))
    if isinstance(reference, NumericSummary) and isinstance(current, NumericSummary):
        if reference.distinct is None or current.distinct is None:
            return DISTINCT_CAP + 1
        return int(np.union1d(reference.distinct.values, current.distinct.values).size)
    raise ValueError("reference and current summaries are of different kinds")


def default_methods(kind: FeatureKind, unique: int) -> tuple[str, str]:
    """``(significance test, effect size)`` for a feature, by Evidently's n_unique rules."""
    if kind == "numeric" and unique > 5:
        return ks.NAME, wasserstein.NAME
    if unique <= 2:
        return ztest.NAME, jensenshannon.NAME
    return chisquare.NAME, jensenshannon.NAME


def _new_categories(bins: Bins) -> tuple[tuple[str, ...], float]:
    if bins.kind == "ranges":
        return (), 0.0
    new = [(int(c), label) for label, r, c in zip(bins.labels, bins.reference, bins.current, strict=True)
           if r == 0 and c > 0]  # fmt: skip
    new.sort(key=lambda item: (-item[0], item[1]))
    total = int(bins.current.sum())
    return tuple(label for _, label in new), (sum(c for c, _ in new) / total if total else 0.0)


def _passes(value: float | None, threshold: float, p_value: bool) -> bool:
    if value is None or math.isnan(value):
        return False
    return value < threshold if p_value else value >= threshold


def feature_drift(
    name: str, reference: FeatureSummary, current: FeatureSummary, policy: DriftPolicy | None = None
) -> FeatureDrift:
    """The verdict on one feature from its reference and current summaries."""
    policy = policy or DriftPolicy()
    config = policy.features.get(name, FeatureDriftConfig())
    kind: FeatureKind = reference.kind
    if current.kind != kind:
        raise ValueError(f"feature {name!r} is {kind} in the reference but {current.kind} now")
    min_effect_default = policy.min_effect_numeric if kind == "numeric" else policy.min_effect_categorical
    if reference.count == 0 or current.count == 0:
        empty = "reference" if reference.count == 0 else "current"
        return FeatureDrift(
            name, kind, config.method or "none", math.nan, math.nan, False, "not computed",
            None, None, math.nan, "none", None, reference.count, current.count,
            reference.missing, current.missing, error_bound=None, distributions=None,
            note=f"no non-missing values in the {empty} window",
        )  # fmt: skip

    unique = n_unique(reference, current)
    test_name, effect_name = default_methods(kind, unique)
    results: dict[str, StatResult] = {}

    def run(method: str) -> StatResult:
        if method not in results:
            results[method] = get_stat_test(method).compute(reference, current)
        return results[method]

    test, effect = run(test_name), run(effect_name)
    min_effect = config.min_effect
    if config.method is not None:
        chosen = get_stat_test(config.method)
        if kind not in chosen.kinds:
            raise ValueError(f"feature {name!r}: {chosen.name} does not accept {kind} features")
        decided = run(chosen.name)
        threshold = chosen.default_threshold if config.threshold is None else config.threshold
        value = decided.p_value if chosen.p_value else decided.statistic
        drifted = _passes(value, threshold, chosen.p_value)
        rule = f"p < {threshold:g} ({chosen.name})" if chosen.p_value else f"{chosen.name} >= {threshold:g}"
    elif policy.mode == "evidently" and reference.count <= policy.small_reference_rows:
        decided, threshold, min_effect = test, policy.alpha, None
        drifted = _passes(test.p_value, threshold, True)
        rule = f"p < {threshold:g} ({test_name})"
    elif policy.mode == "evidently":
        threshold = get_stat_test(effect_name).default_threshold
        decided, min_effect = effect, None
        drifted = _passes(effect.statistic, threshold, False)
        rule = f"{effect_name} >= {threshold:g}"
    else:
        decided, threshold = test, policy.alpha
        min_effect = min_effect_default if min_effect is None else min_effect
        drifted = _passes(test.p_value, threshold, True)
        rule = f"p < {threshold:g} ({test_name})"
    if min_effect is not None:
        drifted = drifted and effect.statistic >= min_effect
        rule += f" and {effect_name} >= {min_effect:g}"

    warnings = []
    if isinstance(reference, NumericSummary) and reference.distinct is None and reference.keys.size < COARSE_BUCKETS:
        warnings.append(
            f"the reference fills only {reference.keys.size} buckets (its values are far from 0 against "
            "their spread): ks and wasserstein understate drift here; centre the feature or raise "
            "precision_bits"
        )
    bins = plot_bins(reference, current)
    new, new_share = _new_categories(effect.bins if effect.bins is not None else bins)
    return FeatureDrift(
        feature=name,
        kind=kind,
        method=decided.method,
        statistic=decided.statistic,
        threshold=threshold,
        drifted=bool(drifted),
        rule=rule,
        p_value=test.p_value,
        p_value_method=test_name,
        effect_size=effect.statistic,
        effect_size_method=effect_name,
        min_effect=min_effect,
        reference_size=reference.count,
        current_size=current.count,
        reference_missing=reference.missing,
        current_missing=current.missing,
        error_bound=decided.error_bound,
        distributions=bins,
        new_categories=new,
        new_category_share=new_share,
        warnings=tuple(warnings),
    )


def dataset_drift(
    reference: Mapping[str, FeatureSummary],
    current: Mapping[str, FeatureSummary],
    policy: DriftPolicy | None = None,
) -> DatasetDrift:
    """Verdicts on every feature present in both windows (in the reference's order)."""
    policy = policy or DriftPolicy()
    names = [n for n in reference if n in current]
    verdicts = {n: feature_drift(n, reference[n], current[n], policy) for n in names}
    judged = [v for v in verdicts.values() if v.note is None]
    share = sum(v.drifted for v in judged) / len(judged) if judged else 0.0
    unmatched = tuple(sorted(set(reference) ^ set(current)))
    return DatasetDrift(verdicts, share, policy.drift_share, share >= policy.drift_share and bool(judged),
                        policy.mode, unmatched)  # fmt: skip


def dataset_drift_from_arrays(
    reference: Mapping[str, Any],
    current: Mapping[str, Any],
    kinds: Mapping[str, FeatureKind] | None = None,
    policy: DriftPolicy | None = None,
) -> DatasetDrift:
    """Summarise two tables (column name → values) and compare them."""
    return dataset_drift(summarize_table(reference, kinds), summarize_table(current, kinds), policy)
