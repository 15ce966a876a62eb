"""Categorical feature summaries, kind inference and dispatch."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitorx.stats.summaries import (
    CategoricalSummary,
    NumericSummary,
    infer_kind,
    merge_summaries,
    summarize,
    summarize_table,
    summary_from_bytes,
    summary_from_dict,
)

values = st.lists(st.one_of(st.sampled_from(["DE", "FR", "", "é", "a b"]), st.none()), max_size=200)


def test_counts_missing_and_names() -> None:
    s = CategoricalSummary.from_values(np.array(["DE", "FR", None, "DE", float("nan"), True, 3], dtype=object))
    assert dict(s.counts) == {"DE": 2, "FR": 1, "true": 1, "3": 1}
    assert (s.count, s.missing, s.other, s.total) == (5, 2, 0, 7)


def test_bool_arrays_take_the_fast_path() -> None:
    s = CategoricalSummary.from_values(np.array([True, False, True]))
    assert dict(s.counts) == {"true": 2, "false": 1}


@given(values, values)
def test_merge_equals_the_summary_of_the_concatenation(a: list[str | None], b: list[str | None]) -> None:
    left = CategoricalSummary.from_values(np.array(a, dtype=object))
    right = CategoricalSummary.from_values(np.array(b, dtype=object))
    assert left.merge(right) == CategoricalSummary.from_values(np.array(a + b, dtype=object))


def test_the_cap_keeps_the_most_frequent_and_counts_the_rest_as_other() -> None:
    raw = [f"c{i}" for i in range(10) for _ in range(10 - i)]  # c0 x10, c1 x9, ... c9 x1
    s = CategoricalSummary.from_values(np.array(raw, dtype=object), max_categories=3)
    assert dict(s.counts) == {"c0": 10, "c1": 9, "c2": 8}
    assert s.other == sum(range(1, 8)) and s.count == len(raw)
    merged = s.merge(CategoricalSummary.from_values(np.array(["c9"] * 20, dtype=object), max_categories=3))
    assert dict(merged.counts) == {"c9": 20, "c0": 10, "c1": 9}
    assert merged.count == len(raw) + 20  # totals stay exact past the cap


def test_a_thousand_categories_fit_and_the_next_go_to_other() -> None:
    raw = np.array([f"v{i}" for i in range(1500)], dtype=object)
    s = CategoricalSummary.from_values(raw)
    assert len(s.counts) == 1000 and s.other == 500


@given(values)
def test_bytes_and_json_round_trip(a: list[str | None]) -> None:
    s = CategoricalSummary.from_values(np.array(a, dtype=object))
    assert summary_from_bytes(s.to_bytes()) == s
    assert summary_from_dict(json.loads(json.dumps(s.to_dict()))) == s


def test_kind_inference() -> None:
    assert infer_kind(np.array([1.0, 2.0])) == "numeric"
    assert infer_kind(np.array([1, 2])) == "numeric"
    assert infer_kind(np.array([1.5, None, 2], dtype=object)) == "numeric"
    assert infer_kind(np.array([True, False])) == "categorical"
    assert infer_kind(np.array([True, None], dtype=object)) == "categorical"
    assert infer_kind(np.array(["a", "b"])) == "categorical"
    assert infer_kind(np.array([None, None], dtype=object)) == "categorical"


def test_summarize_table_dispatches_on_kind() -> None:
    table = {"x": np.array([1.0, 2.0]), "c": np.array(["a", "b"], dtype=object), "n": np.array([1, 2])}
    out = summarize_table(table, {"n": "categorical"})
    assert isinstance(out["x"], NumericSummary)
    assert isinstance(out["c"], CategoricalSummary)
    assert isinstance(out["n"], CategoricalSummary) and dict(out["n"].counts) == {"1": 1, "2": 1}


def test_one_feature_cannot_mix_kinds() -> None:
    with pytest.raises(ValueError, match="numeric and categorical"):
        merge_summaries([summarize([1.0]), summarize(np.array(["a"], dtype=object))])
    with pytest.raises(ValueError):
        summary_from_bytes(b"nope")


def test_counter_agrees_on_a_large_column() -> None:
    rng = np.random.default_rng(0)
    raw = np.array(["x", "y", "z", None], dtype=object)[rng.integers(0, 4, 100_000)]
    s = CategoricalSummary.from_values(raw)
    expected = Counter(v for v in raw.tolist() if v is not None)
    assert dict(s.counts) == dict(expected)
    assert s.missing == sum(v is None for v in raw.tolist())
