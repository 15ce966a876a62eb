"""Method selection, the two modes, overrides and the verdict's contents."""

from __future__ import annotations

import json

import numpy as np
import pytest

from monitorx.stats.drift import (
    DriftPolicy,
    FeatureDriftConfig,
    dataset_drift,
    dataset_drift_from_arrays,
    default_methods,
    feature_drift,
    n_unique,
)
from monitorx.stats.summaries import CategoricalSummary, NumericSummary, summarize

EVIDENTLY = DriftPolicy(mode="evidently")


def _normal(seed: int, n: int, shift_sd: float = 0.0) -> NumericSummary:
    return NumericSummary.from_values(np.random.default_rng(seed).normal(50 + 10 * shift_sd, 10, n))


def _cats(seed: int, n: int, probs: list[float], prefix: str = "v") -> CategoricalSummary:
    labels = np.array([f"{prefix}{i}" for i in range(len(probs))], dtype=object)
    return CategoricalSummary.from_values(labels[np.random.default_rng(seed).choice(len(probs), n, p=probs)])


@pytest.mark.parametrize(
    ("kind", "unique", "expected"),
    [
        ("numeric", 6, ("ks", "wasserstein")),
        ("numeric", 5, ("chisquare", "jensenshannon")),
        ("numeric", 3, ("chisquare", "jensenshannon")),
        ("numeric", 2, ("z", "jensenshannon")),
        ("categorical", 3, ("chisquare", "jensenshannon")),
        ("categorical", 2, ("z", "jensenshannon")),
        ("categorical", 1, ("z", "jensenshannon")),
    ],
)
def test_default_methods_follow_evidentlys_n_unique_rules(kind: str, unique: int, expected: tuple[str, str]) -> None:
    assert default_methods(kind, unique) == expected  # type: ignore[arg-type]


def test_n_unique_counts_both_windows() -> None:
    assert n_unique(NumericSummary.from_values([1.0, 2.0]), NumericSummary.from_values([2.0, 3.0])) == 3
    assert n_unique(_normal(0, 100), _normal(1, 100)) > 5
    assert n_unique(_cats(0, 100, [0.5, 0.5]), _cats(1, 100, [0.5, 0.5], prefix="w")) == 4


def test_a_small_shift_at_100k_rows_is_caught_where_evidentlys_cutoff_misses_it() -> None:
    ref, cur = _normal(0, 100_000), _normal(1, 100_000, shift_sd=0.08)
    verdict = feature_drift("x", ref, cur)
    assert verdict.drifted and verdict.method == "ks" and verdict.p_value is not None and verdict.p_value < 1e-6
    assert verdict.effect_size_method == "wasserstein" and 0.06 < verdict.effect_size < 0.1
    assert verdict.rule == "p < 0.05 (ks) and wasserstein >= 0.05"
    evidently = feature_drift("x", ref, cur, EVIDENTLY)
    assert not evidently.drifted and evidently.method == "wasserstein" and evidently.threshold == 0.1


def test_an_unchanged_feature_at_a_million_rows_is_not_flagged_even_when_p_is_small() -> None:
    rng = np.random.default_rng(3)
    ref = NumericSummary.from_values(rng.normal(0, 1, 1_000_000))
    cur = NumericSummary.from_values(rng.normal(0.01, 1, 1_000_000))  # significant, negligible
    verdict = feature_drift("x", ref, cur)
    assert verdict.p_value is not None and verdict.p_value < 0.05
    assert verdict.effect_size < 0.02 and not verdict.drifted


def test_evidently_mode_uses_p_values_up_to_1000_reference_rows() -> None:
    ref, cur = _normal(0, 1000), _normal(1, 1000, shift_sd=0.3)
    small = feature_drift("x", ref, cur, EVIDENTLY)
    assert small.method == "ks" and small.threshold == 0.05 and small.drifted and small.min_effect is None
    large = feature_drift("x", _normal(0, 1001), cur, EVIDENTLY)
    assert large.method == "wasserstein" and large.rule == "wasserstein >= 0.1"


def test_categorical_verdicts_and_new_categories() -> None:
    ref = _cats(0, 20_000, [0.5, 0.3, 0.2])
    cur = CategoricalSummary.from_values(
        np.array(["v0"] * 9000 + ["v1"] * 6000 + ["v2"] * 4000 + ["fresh"] * 700 + ["rare"] * 300, dtype=object)
    )
    verdict = feature_drift("c", ref, cur)
    assert verdict.kind == "categorical" and verdict.method == "chisquare" and verdict.drifted
    assert verdict.effect_size_method == "jensenshannon"
    assert verdict.new_categories == ("fresh", "rare")
    assert verdict.new_category_share == pytest.approx(0.05)
    assert verdict.distributions is not None and "fresh" in verdict.distributions.labels


def test_overrides_force_a_statistic_and_its_threshold() -> None:
    ref, cur = _normal(0, 50_000), _normal(1, 50_000, shift_sd=0.5)
    policy = DriftPolicy(
        features={
            "a": FeatureDriftConfig(method="psi"),
            "b": FeatureDriftConfig(method="psi", threshold=0.9),
            "c": FeatureDriftConfig(min_effect=0.9),
        }
    )
    a, b, c = (feature_drift(name, ref, cur, policy) for name in "abc")
    assert a.method == "psi" and a.threshold == 0.1 and a.drifted and a.rule == "psi >= 0.1"
    assert b.method == "psi" and not b.drifted
    assert c.method == "ks" and c.min_effect == 0.9 and not c.drifted
    assert a.p_value == c.p_value and a.effect_size == c.effect_size  # always reported
    with pytest.raises(ValueError, match="unknown drift method"):
        DriftPolicy(features={"a": FeatureDriftConfig(method="nope")})
    with pytest.raises(ValueError, match="needs a method"):
        DriftPolicy(features={"a": FeatureDriftConfig(threshold=0.2)})
    with pytest.raises(ValueError, match="does not accept"):
        feature_drift(
            "x",
            _cats(0, 10, [1.0]),
            _cats(1, 10, [1.0]),
            DriftPolicy(features={"x": FeatureDriftConfig("ks")}),
        )


def test_an_empty_window_gives_a_note_not_a_verdict() -> None:
    verdict = feature_drift("x", _normal(0, 100), NumericSummary.from_values([None, None]))
    assert not verdict.drifted and verdict.note == "no non-missing values in the current window"
    assert verdict.current_missing == 2
    assert json.loads(json.dumps(verdict.to_dict(), allow_nan=False))["statistic"] is None


def test_dataset_drift_share_and_json() -> None:
    rng = np.random.default_rng(4)
    ref = {f"f{i}": rng.normal(0, 1, 5000) for i in range(4)}
    cur = {f"f{i}": rng.normal(1.0 if i < 2 else 0.0, 1, 5000) for i in range(4)}
    cur["extra"] = np.ones(10)
    report = dataset_drift_from_arrays(ref, cur)
    assert report.n_drifted == 2 and report.drifted_share == 0.5 and report.drifted
    assert report.unmatched == ("extra",)
    assert not dataset_drift_from_arrays(ref, cur, policy=DriftPolicy(drift_share=0.75)).drifted
    text = json.dumps(report.to_dict(), allow_nan=False)
    verdict = json.loads(text)["features"]["f0"]
    assert verdict["drifted"] and verdict["reference_size"] == 5000
    dist = verdict["distributions"]
    assert sum(dist["reference"]) == 5000 and len(dist["edges"]) == len(dist["labels"]) + 1


def test_kinds_must_agree() -> None:
    with pytest.raises(ValueError, match="numeric in the reference"):
        dataset_drift({"x": summarize([1.0, 2.0])}, {"x": summarize(np.array(["a"], dtype=object))})


def test_a_column_far_from_zero_against_its_spread_gets_a_warning() -> None:
    rng = np.random.default_rng(5)
    ref = NumericSummary.from_values(rng.normal(2020, 3, 10_000))  # years: 5 buckets
    cur = NumericSummary.from_values(rng.normal(2021, 3, 10_000))
    verdict = feature_drift("year", ref, cur)
    assert verdict.drifted and verdict.note is None
    assert len(verdict.warnings) == 1 and "precision_bits" in verdict.warnings[0]
    assert not feature_drift("x", _normal(0, 10_000), _normal(1, 10_000)).warnings
