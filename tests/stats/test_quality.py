"""Model-quality metrics against exact computations written out here (tolerance 1e-9).

The oracles count by brute force: the confusion matrix cell by cell, ROC AUC over every
(positive, negative) pair. scikit-learn, when installed, is a second, independent oracle.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitorx.stats.quality import (
    LOG_LOSS_EPS,
    classification_metrics,
    infer_task,
    label_key,
    quality_metrics,
    regression_metrics,
)

TOL = 1e-9
FAST = settings(max_examples=150, deadline=None)
SKLEARN = settings(max_examples=50, deadline=None)  # its input checks make each call slower


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)


def json_ready(result: dict[str, Any]) -> None:
    json.dumps(result, allow_nan=False)


# -- oracles ----------------------------------------------------------------------------------


def pairwise_auc(score: Sequence[float], positive: Sequence[bool]) -> float | None:
    pos = [s for s, p in zip(score, positive, strict=True) if p]
    neg = [s for s, p in zip(score, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def class_counts(y: Sequence[Any], p: Sequence[Any], c: Any) -> tuple[int, int, int]:
    tp = sum(1 for a, b in zip(y, p, strict=True) if a == c and b == c)
    fp = sum(1 for a, b in zip(y, p, strict=True) if a != c and b == c)
    fn = sum(1 for a, b in zip(y, p, strict=True) if a == c and b != c)
    return tp, fp, fn


def oracle_class(y: Sequence[Any], p: Sequence[Any], c: Any) -> dict[str, float | None]:
    tp, fp, fn = class_counts(y, p, c)
    support = tp + fn
    if tp + fp:
        precision: float | None = tp / (tp + fp)
    else:
        precision = 0.0 if support else None
    recall = tp / support if support else None
    f1 = 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else None
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def mean_defined(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


# -- label normalisation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (True, 1),
        (1, 1),
        (1.0, 1),
        ("1", 1),
        (" 1 ", 1),
        ("1.0", 1),
        ("true", 1),
        ("True", 1),
        (np.int64(1), 1),
        (np.bool_(True), 1),
        (False, 0),
        ("false", 0),
        (0.0, 0),
        ("0", 0),
        (2.5, 2.5),
        ("2.5", 2.5),
        ("cat", "cat"),
        (" Cat ", "Cat"),
        ("yes", "yes"),
        (None, None),
        (float("nan"), None),
        ("", None),
        ("1e400", "1e400"),
    ],
)
def test_label_key_normalises_json_scalars(value: object, key: object) -> None:
    result = label_key(value)
    assert result == key and type(result) is type(key)


def test_a_label_must_be_a_scalar() -> None:
    with pytest.raises(ValueError, match="JSON scalar"):
        label_key({"label": 1})


# -- binary -----------------------------------------------------------------------------------

binary_value = st.sampled_from([0, 1, True, False, "0", "1", "true", "false", 0.0, 1.0])


@st.composite
def binary_window(draw: st.DrawFn) -> tuple[list[object], list[object], list[float]]:
    n = draw(st.integers(1, 40))
    y_true = draw(st.lists(binary_value, min_size=n, max_size=n))
    y_pred = draw(st.lists(binary_value, min_size=n, max_size=n))
    # Scores from a small set, so ties happen.
    scores = draw(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]), min_size=n, max_size=n))
    return y_true, y_pred, scores


@FAST
@given(binary_window())
def test_binary_metrics_match_the_exact_computation(window: tuple[list[object], list[object], list[float]]) -> None:
    raw_true, raw_pred, scores = window
    y = [int(label_key(v) == 1) for v in raw_true]
    p = [int(label_key(v) == 1) for v in raw_pred]
    result = classification_metrics(raw_true, raw_pred, scores)
    json_ready(result)
    m = result["metrics"]
    assert result["task"] == "classification" and result["average"] == "binary" and result["positive"] == 1
    assert result["n"] == len(y) and result["n_skipped"] == 0
    assert close(m["accuracy"], sum(a == b for a, b in zip(y, p, strict=True)) / len(y))
    positive = oracle_class(y, p, 1)
    for name in ("precision", "recall", "f1"):
        assert close(m[name], positive[name]), name
    negative = oracle_class(y, p, 0)
    for name in ("precision", "recall", "f1"):
        assert close(m[f"{name}_macro"], mean_defined([negative[name], positive[name]])), name
    assert close(m["roc_auc"], pairwise_auc(scores, [v == 1 for v in y]))
    p_true = [s if v == 1 else 1 - s for s, v in zip(scores, y, strict=True)]
    assert close(m["log_loss"], -sum(math.log(max(q, LOG_LOSS_EPS)) for q in p_true) / len(y))
    matrix = [[sum(1 for a, b in zip(y, p, strict=True) if (a, b) == (i, j)) for j in (0, 1)] for i in (0, 1)]
    assert result["confusion_matrix"] == {"labels": [0, 1], "matrix": matrix}


def test_binary_metrics_by_hand() -> None:
    # TP 2 (rows 0, 4), FP 1 (row 1), FN 1 (row 2), TN 1 (row 3).
    result = classification_metrics([1, 0, 1, 0, 1], [1, 1, 0, 0, 1], scores=[0.9, 0.6, 0.4, 0.1, 0.8])
    m = result["metrics"]
    assert m["accuracy"] == pytest.approx(3 / 5, abs=TOL)
    assert m["precision"] == pytest.approx(2 / 3, abs=TOL)
    assert m["recall"] == pytest.approx(2 / 3, abs=TOL)
    assert m["f1"] == pytest.approx(2 / 3, abs=TOL)
    # Positive scores 0.9, 0.4, 0.8 against negative 0.6, 0.1: 5 of 6 pairs won.
    assert m["roc_auc"] == pytest.approx(5 / 6, abs=TOL)
    expected = -(math.log(0.9) + math.log(0.4) + math.log(0.4) + math.log(0.9) + math.log(0.8)) / 5
    assert m["log_loss"] == pytest.approx(expected, abs=TOL)
    assert result["confusion_matrix"] == {"labels": [0, 1], "matrix": [[1, 1], [1, 2]]}


def test_string_labels_take_the_larger_as_positive_unless_named() -> None:
    y_true = ["yes", "no", "yes", "no", "yes"]
    y_pred = ["yes", "yes", "no", "no", "yes"]
    result = classification_metrics(y_true, y_pred)
    assert result["positive"] == "yes" and result["metrics"]["precision"] == pytest.approx(2 / 3, abs=TOL)
    assert result["confusion_matrix"]["labels"] == ["no", "yes"]
    named = classification_metrics(y_true, y_pred, positive="no")
    assert named["positive"] == "no"
    assert named["metrics"]["precision"] == pytest.approx(1 / 2, abs=TOL)
    assert named["metrics"]["recall"] == pytest.approx(1 / 2, abs=TOL)


def test_bool_labels_match_ints_and_strings() -> None:
    as_bools = classification_metrics([True, False, True, True], [True, True, False, True], scores=[0.8, 0.7, 0.2, 0.9])
    as_mixed = classification_metrics([1, "false", "1", 1.0], ["true", 1, 0, True], scores=[0.8, 0.7, 0.2, 0.9])
    assert as_bools == as_mixed
    assert as_bools["positive"] == 1 and as_bools["confusion_matrix"]["labels"] == [0, 1]


def test_probability_predictions_are_thresholded_at_one_half_and_scored() -> None:
    y_true = [1, 0, 1, 0, 1, 0]
    y_pred = [0.9, 0.5, 0.49, 0.1, 0.5, 0.0]
    result = classification_metrics(y_true, y_pred)
    predicted = [1, 1, 0, 0, 1, 0]  # p >= 0.5 is positive
    assert result["scores"] == "predictions" and result["n_scored"] == 6
    assert result["metrics"]["precision"] == pytest.approx(oracle_class(y_true, predicted, 1)["precision"], abs=TOL)
    assert result["metrics"]["recall"] == pytest.approx(oracle_class(y_true, predicted, 1)["recall"], abs=TOL)
    assert close(result["metrics"]["roc_auc"], pairwise_auc(y_pred, [v == 1 for v in y_true]))
    p_true = [0.9, 0.5, 0.49, 0.9, 0.5, 1.0]
    assert close(result["metrics"]["log_loss"], -sum(map(math.log, p_true)) / 6)


def test_probability_predictions_with_string_labels_and_explicit_scores() -> None:
    result = classification_metrics(["spam", "ham", "spam"], [0.8, 0.3, 0.4], scores=[0.7, 0.2, 0.6])
    assert result["positive"] == "spam"
    assert result["confusion_matrix"] == {"labels": ["ham", "spam"], "matrix": [[1, 0], [1, 1]]}
    assert result["scores"] == "positive" and result["metrics"]["roc_auc"] == 1.0


def test_probability_predictions_need_binary_labels() -> None:
    with pytest.raises(ValueError, match="probabilities"):
        classification_metrics(["a", "b", "c"], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="positive="):
        classification_metrics(["a", "a"], [0.2, 0.9])
    only_negatives = classification_metrics([0, 0, 0], [0.2, 0.6, 0.1])
    assert only_negatives["metrics"]["precision"] == 0.0 and only_negatives["metrics"]["recall"] is None


def test_one_class_only_has_no_auc() -> None:
    result = classification_metrics([1, 1, 1], [1, 0, 1], scores=[0.9, 0.2, 0.7])
    m = result["metrics"]
    assert m["roc_auc"] is None and m["accuracy"] == pytest.approx(2 / 3, abs=TOL)
    assert m["recall"] == pytest.approx(2 / 3, abs=TOL) and m["precision"] == 1.0
    assert m["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.2) + math.log(0.7)) / 3, abs=TOL)
    assert result["confusion_matrix"] == {"labels": [0, 1], "matrix": [[0, 0], [1, 2]]}
    json_ready(result)


def test_all_negative_and_all_correct_leaves_positive_metrics_undefined() -> None:
    m = classification_metrics([0, 0], [0, 0])["metrics"]
    assert m["accuracy"] == 1.0 and m["precision"] is None and m["recall"] is None and m["f1"] is None


def test_one_string_class_is_positive_with_a_warning() -> None:
    result = classification_metrics(["cat", "cat"], ["cat", "cat"])
    assert result["positive"] == "cat" and result["metrics"]["accuracy"] == 1.0 and result["warnings"]


def test_empty_window() -> None:
    result = classification_metrics([], [], scores=[])
    json_ready(result)
    assert result["n"] == 0 and result["average"] is None and result["per_class"] == []
    assert all(v is None for v in result["metrics"].values())
    assert result["confusion_matrix"] == {"labels": [], "matrix": []}
    regression = regression_metrics([], [])
    json_ready(regression)
    assert regression["n"] == 0 and all(v is None for v in regression["metrics"].values())


def test_missing_labels_and_scores_are_skipped_and_counted() -> None:
    result = classification_metrics(
        [1, None, 0, 1, float("nan"), 0],
        [1, 1, None, 0, 0, 0],
        scores=[0.9, 0.8, 0.3, None, 0.1, 0.2],  # type: ignore[list-item]
    )
    assert result["n"] == 3 and result["n_skipped"] == 3 and result["n_scored"] == 2
    assert result["confusion_matrix"]["matrix"] == [[1, 0], [1, 1]]
    assert result["metrics"]["roc_auc"] == 1.0  # rows 0 and 5 are scored


def test_scores_that_are_not_probabilities_give_auc_but_no_log_loss() -> None:
    result = classification_metrics([1, 0, 1, 0], [1, 0, 0, 0], scores=[2.5, -1.0, 0.3, 0.4])
    assert result["metrics"]["roc_auc"] == pytest.approx(3 / 4, abs=TOL)
    assert result["metrics"]["log_loss"] is None and result["warnings"]


def test_a_confident_mistake_costs_the_floor() -> None:
    result = classification_metrics([1, 0], [0, 0], scores=[0.0, 0.0])
    assert result["metrics"]["log_loss"] == pytest.approx(-math.log(LOG_LOSS_EPS) / 2, abs=TOL)


def test_positive_that_is_not_a_class_is_ignored_with_a_warning() -> None:
    result = classification_metrics(["a", "b", "c"], ["a", "b", "b"], positive="z")
    assert result["average"] == "macro" and result["positive"] is None
    assert any("'z'" in w for w in result["warnings"])


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="rows"):
        classification_metrics([1, 0], [1])
    with pytest.raises(ValueError, match="scores"):
        classification_metrics([1, 0], [1, 0], scores=[0.5])
    with pytest.raises(ValueError, match="rows"):
        regression_metrics([1.0], [])


# -- multiclass -------------------------------------------------------------------------------

CLASSES = ["ant", "bee", "cat", "dog"]


@st.composite
def multiclass_window(draw: st.DrawFn) -> tuple[list[str], list[str], list[dict[str, float]]]:
    n = draw(st.integers(1, 40))
    y_true = draw(st.lists(st.sampled_from(CLASSES), min_size=n, max_size=n))
    y_pred = draw(st.lists(st.sampled_from(CLASSES), min_size=n, max_size=n))
    weights = draw(st.lists(st.lists(st.integers(0, 4), min_size=4, max_size=4).filter(any), min_size=n, max_size=n))
    scores = [{c: w / sum(row) for c, w in zip(CLASSES, row, strict=True)} for row in weights]
    return y_true, y_pred, scores


@FAST
@given(multiclass_window())
def test_multiclass_metrics_match_the_exact_computation(
    window: tuple[list[str], list[str], list[dict[str, float]]],
) -> None:
    y, p, scores = window
    result = classification_metrics(y, p, scores)
    json_ready(result)
    labels = sorted(set(y) | set(p))
    if len(labels) <= 2:
        assert result["average"] == "binary"
        return
    m = result["metrics"]
    assert result["average"] == "macro" and result["confusion_matrix"]["labels"] == labels
    per_class = {c: oracle_class(y, p, c) for c in labels}
    for entry in result["per_class"]:
        expected = per_class[entry["label"]]
        for name in ("precision", "recall", "f1"):
            assert close(entry[name], expected[name]), (entry["label"], name)
        assert entry["support"] == expected["support"]
    n = len(y)
    for name in ("precision", "recall", "f1"):
        assert close(m[name], mean_defined([per_class[c][name] for c in labels]))
        assert close(m[f"{name}_macro"], m[name])
        weighted = sum((per_class[c][name] or 0.0) * per_class[c]["support"] for c in labels) / n  # type: ignore[operator]
        assert close(m[f"{name}_weighted"], weighted)
    assert close(m["recall_weighted"], m["accuracy"])
    occurring = sorted(set(y))
    aucs = [pairwise_auc([s[c] for s in scores], [v == c for v in y]) for c in occurring]
    assert close(m["roc_auc"], None if len(occurring) < 2 else sum(aucs) / len(aucs))  # type: ignore[arg-type]
    assert close(m["log_loss"], -sum(math.log(max(s[v], LOG_LOSS_EPS)) for s, v in zip(scores, y, strict=True)) / n)
    matrix = [[sum(1 for a, b in zip(y, p, strict=True) if (a, b) == (i, j)) for j in labels] for i in labels]
    assert result["confusion_matrix"]["matrix"] == matrix


def test_multiclass_by_hand() -> None:
    scores = [
        {"a": 0.7, "b": 0.2, "c": 0.1},
        {"a": 0.2, "b": 0.3, "c": 0.5},
        {"a": 0.1, "b": 0.1, "c": 0.8},
        {"a": 0.3, "b": 0.4, "c": 0.3},
    ]
    result = classification_metrics(["a", "b", "c", "a"], ["a", "c", "c", "b"], scores)
    m = result["metrics"]
    # a: P 1/1, R 1/2, F1 2/3; b: P 0/1, R 0/1, F1 0; c: P 1/2, R 1/1, F1 2/3.
    assert m["precision"] == pytest.approx(1.5 / 3, abs=TOL)
    assert m["recall"] == pytest.approx(1.5 / 3, abs=TOL)
    assert m["f1"] == pytest.approx((4 / 3) / 3, abs=TOL)
    assert m["precision_weighted"] == pytest.approx((2 * 1 + 0 + 0.5) / 4, abs=TOL)
    # One-vs-rest: a 4/4 pairs, b 2/3, c 3/3.
    assert m["roc_auc"] == pytest.approx((1 + 2 / 3 + 1) / 3, abs=TOL)
    assert m["log_loss"] == pytest.approx(-(math.log(0.7) + math.log(0.3) + math.log(0.8) + math.log(0.3)) / 4)


def test_score_dict_keys_are_normalised_like_labels() -> None:
    scores = [{"0": 0.8, "1": 0.1, "2": 0.1}, {"0": 0.1, "1": 0.7, "2": 0.2}, {"0": 0.2, "1": 0.2, "2": 0.6}]
    result = classification_metrics([0, 1, 2], [0, 1, 2], scores)
    assert result["metrics"]["roc_auc"] == 1.0 and result["scores"] == "per_class"
    assert result["metrics"]["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.6)) / 3)


def test_a_class_only_predicted_lowers_macro_precision_but_not_recall() -> None:
    m = classification_metrics(["a", "b", "a", "b"], ["a", "b", "c", "b"])["metrics"]
    # a: P 1, R 1/2; b: P 1, R 1; c: P 0, R undefined.
    assert m["precision"] == pytest.approx(2 / 3, abs=TOL)
    assert m["recall"] == pytest.approx(3 / 4, abs=TOL)


def test_single_number_scores_give_no_multiclass_auc() -> None:
    result = classification_metrics(["a", "b", "c"], ["a", "b", "c"], scores=[0.2, 0.5, 0.9])
    assert result["metrics"]["roc_auc"] is None and result["warnings"]


def test_rounded_probabilities_still_count() -> None:
    scores = [{"a": 0.3333, "b": 0.3333, "c": 0.3333}, {"a": 0.1, "b": 0.8, "c": 0.1}, {"c": 1.0}]
    result = classification_metrics(["a", "b", "c"], ["a", "b", "c"], scores)
    expected = -(math.log(1 / 3) + math.log(0.8) + math.log(1.0)) / 3
    assert result["metrics"]["log_loss"] == pytest.approx(expected, abs=TOL)


# -- regression -------------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or abs(x) > 1e-6)


@FAST
@given(st.lists(st.tuples(st.one_of(finite, st.sampled_from([0.0, 0, 3])), finite), min_size=1, max_size=50))
def test_regression_metrics_match_the_exact_computation(rows: list[tuple[float, float]]) -> None:
    t = np.array([a for a, _ in rows], dtype=np.float64)
    p = np.array([b for _, b in rows], dtype=np.float64)
    result = regression_metrics([a for a, _ in rows], [b for _, b in rows])
    json_ready(result)
    m = result["metrics"]
    n = t.size
    err = p - t
    assert result["n"] == n and result["task"] == "regression"
    assert close(m["mae"], float(np.abs(err).sum() / n))
    assert close(m["rmse"], math.sqrt(float((err**2).sum()) / n))
    assert close(m["mse"], float((err**2).sum()) / n)
    assert close(m["mean_error"], float(err.sum() / n))
    nonzero = [(a, b) for a, b in zip(t.tolist(), p.tolist(), strict=True) if a != 0]
    assert result["mape_skipped"] == n - len(nonzero)
    mape = sum(abs((b - a) / a) for a, b in nonzero) / len(nonzero) if nonzero else None
    assert close(m["mape"], mape)
    ss_tot = float(((t - t.mean()) ** 2).sum())
    if ss_tot > 0:
        assert m["r2"] == pytest.approx(1 - float((err**2).sum()) / ss_tot, rel=1e-9, abs=1e-9)
    else:
        assert m["r2"] is None


def test_regression_by_hand_with_zero_targets_and_missing_rows() -> None:
    result = regression_metrics([2.0, 0, 4, None, "6", float("nan"), "x"], [3.0, 1, 2, 5, 6.0, 1, 1])
    m = result["metrics"]
    assert result["n"] == 4 and result["n_skipped"] == 3 and result["mape_skipped"] == 1
    # Errors +1, +1, -2, 0 on targets 2, 0, 4, 6.
    assert m["mae"] == pytest.approx(1.0, abs=TOL)
    assert m["rmse"] == pytest.approx(math.sqrt(6 / 4), abs=TOL)
    assert m["mean_error"] == pytest.approx(0.0, abs=TOL)
    assert m["mape"] == pytest.approx((0.5 + 0.5 + 0) / 3, abs=TOL)
    assert m["r2"] == pytest.approx(1 - 6 / 20, abs=TOL)  # mean 3: 1 + 9 + 1 + 9


def test_mape_is_none_when_every_target_is_zero() -> None:
    result = regression_metrics([0, 0.0], [1, 2])
    assert result["metrics"]["mape"] is None and result["mape_skipped"] == 2
    assert result["metrics"]["r2"] is None  # constant target


# -- choosing the task ------------------------------------------------------------------------


def test_model_type_decides_when_it_names_the_task() -> None:
    assert quality_metrics("regression", [1, 2], [1, 3])["task"] == "regression"
    result = quality_metrics("classification", list(range(30)), list(range(30)))
    assert result["task"] == "classification" and result["task_source"] == "model_type"
    assert result["model_type"] == "classification"


@pytest.mark.parametrize(
    ("y_true", "y_pred", "task"),
    [
        (list(range(30)), [x + 0.5 for x in range(30)], "regression"),  # many distinct targets
        ([1.5, 2.0, 3.0], [1, 2, 3], "regression"),  # a fractional target
        ([1, 2, 3], [1.2, 2.9, 3.1], "regression"),  # fractional predictions beyond [0, 1]
        ([0, 1, 1], [0.2, 0.8, 0.6], "classification"),  # probabilities
        ([0, 1, 2, 1], [0, 1, 2, 2], "classification"),  # few integer classes
        (["a", "b"], ["a", "a"], "classification"),
        ([True, False], [True, True], "classification"),
        ([None, float("nan")], [1.5, 2.5], "classification"),  # no target: nothing to go on
        (["1.5", "2.25", None], ["1", "2", None], "regression"),  # numeric strings are numbers
    ],
)
def test_other_model_types_infer_the_task(y_true: list[object], y_pred: list[object], task: str) -> None:
    assert infer_task(y_true, y_pred) == task
    result = quality_metrics("other", y_true, y_pred)
    assert result["task"] == task and result["task_source"] == "inferred"
    json_ready(result)


def test_quality_metrics_passes_scores_and_positive_on() -> None:
    result = quality_metrics("llm", ["good", "bad", "good"], ["good", "good", "good"], scores=[0.9, 0.8, 0.7])
    assert result["positive"] == "good" and result["metrics"]["roc_auc"] == 0.5
    named = quality_metrics("cv", ["good", "bad"], ["good", "bad"], positive="bad")
    assert named["positive"] == "bad"


# -- scikit-learn as a second oracle ----------------------------------------------------------


@SKLEARN
@given(binary_window())
def test_binary_agrees_with_scikit_learn(window: tuple[list[object], list[object], list[float]]) -> None:
    sk = pytest.importorskip("sklearn.metrics")
    raw_true, raw_pred, scores = window
    y = [int(label_key(v) == 1) for v in raw_true]
    p = [int(label_key(v) == 1) for v in raw_pred]
    m = classification_metrics(raw_true, raw_pred, scores)["metrics"]
    assert close(m["accuracy"], sk.accuracy_score(y, p))
    if 1 in y and 1 in p:  # scikit-learn's zero_division otherwise
        assert close(m["precision"], sk.precision_score(y, p))
        assert close(m["recall"], sk.recall_score(y, p))
        assert close(m["f1"], sk.f1_score(y, p))
    if len(set(y)) == 2:
        assert close(m["roc_auc"], sk.roc_auc_score(y, scores))
        # Floored as the metric floors it: 1 - (1 - 1e-15) is not 1e-15 in floating point.
        s = np.array(scores)
        floored = np.column_stack([np.maximum(1 - s, LOG_LOSS_EPS), np.maximum(s, LOG_LOSS_EPS)])
        assert m["log_loss"] == pytest.approx(sk.log_loss(y, floored, labels=[0, 1]), rel=1e-9, abs=1e-9)


@SKLEARN
@given(multiclass_window())
def test_multiclass_agrees_with_scikit_learn(window: tuple[list[str], list[str], list[dict[str, float]]]) -> None:
    sk = pytest.importorskip("sklearn.metrics")
    y, p, scores = window
    if set(y) != set(CLASSES) or set(p) != set(CLASSES):
        return  # scikit-learn's conventions differ only where a class is missing from one side
    m = classification_metrics(y, p, scores)["metrics"]
    for average in ("macro", "weighted"):
        assert close(m[f"precision_{average}"], sk.precision_score(y, p, average=average))
        assert close(m[f"recall_{average}"], sk.recall_score(y, p, average=average))
        assert close(m[f"f1_{average}"], sk.f1_score(y, p, average=average))
    matrix = np.array([[s[c] for c in CLASSES] for s in scores])
    assert close(m["roc_auc"], sk.roc_auc_score(y, matrix, multi_class="ovr", average="macro", labels=CLASSES))
    expected = sk.log_loss(y, np.maximum(matrix, LOG_LOSS_EPS), labels=CLASSES)
    assert m["log_loss"] == pytest.approx(expected, rel=1e-9, abs=1e-9)


@SKLEARN
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=50))
def test_regression_agrees_with_scikit_learn(rows: list[tuple[float, float]]) -> None:
    sk = pytest.importorskip("sklearn.metrics")
    t, p = [a for a, _ in rows], [b for _, b in rows]
    m = regression_metrics(t, p)["metrics"]
    assert close(m["mae"], sk.mean_absolute_error(t, p))
    assert close(m["rmse"], math.sqrt(sk.mean_squared_error(t, p)))
    if m["r2"] is not None:
        assert m["r2"] == pytest.approx(sk.r2_score(t, p), rel=1e-9, abs=1e-9)
    nonzero = [(a, b) for a, b in rows if a != 0]
    if nonzero:
        expected = sk.mean_absolute_percentage_error([a for a, _ in nonzero], [b for _, b in nonzero])
        assert close(m["mape"], expected)
