"""Model quality over one window of labelled predictions (ground truth joined on prediction id).

Usage::

    result = quality_metrics("classification", actuals, predictions, scores=probabilities)
    result["task"], result["n"], result["metrics"]["f1"], result["metrics"]["roc_auc"]

    quality_metrics("regression", actuals, predictions)["metrics"]["mae"]

Every result is JSON-ready: plain ints, floats, strings, lists and dicts; an undefined metric
is ``None``, never NaN. Rows whose label or prediction is missing (``None``, NaN, ``""``) are
left out and counted in ``n_skipped``; ``n`` counts the rows used.

**Labels** arrive as JSON scalars, so they are compared through :func:`label_key`: ``True``,
``1``, ``1.0``, ``"1"`` and ``"true"`` are the same class (``1``); ``False``, ``0``, ``0.0``,
``"0"`` and ``"false"`` are ``0``. Other strings are compared as they are, less surrounding
white space and with case kept (``"Cat" != "cat"``). Results name classes by that key.

**Classification.** Binary when the classes seen (in labels and predictions), with ``positive``
added, are at most two: labels within ``{0, 1}`` give the pair ``(0, 1)`` (a window of
negatives alone still has a positive class); otherwise the positive class is ``positive`` or
the larger label (``"yes" > "no"``, ``"true"``/``True`` is 1). ``precision``/``recall``/``f1``
are those of the positive class. With more classes they are the macro averages (each class
counts once); ``*_macro`` and ``*_weighted`` (by support) are always given, and ``per_class``.

- precision of a class is ``TP / (TP + FP)``; 0 when the model never predicts a class that
  occurs, ``None`` when the class neither occurs nor is predicted. Recall is ``TP / (TP + FN)``,
  ``None`` for a class that never occurs. F1 is ``2 TP / (2 TP + FP + FN)``, ``None`` when that
  is 0 / 0. Macro averages skip ``None``; so a class that is only predicted lowers macro
  precision and F1 but leaves macro recall alone (scikit-learn counts its recall as 0).
- ROC AUC (Mann-Whitney, ties counted half) needs scores and both outcomes: binary, the score
  of the positive class; multiclass, per-class score dicts, one-vs-rest for each class that
  occurs, macro averaged. ``None`` with one class only.
- Log loss ``-mean(ln p(true class))``, ``p`` floored at :data:`LOG_LOSS_EPS`, needs
  probabilities: binary scores in [0, 1], or per-class dicts whose values lie in [0, 1] and
  sum to 1 within :data:`PROBABILITY_SUM_TOLERANCE` (each row is renormalised to sum to 1, as
  scikit-learn does; a class a dict leaves out has probability 0).
- **Predictions that are probabilities**: when every prediction is a number in [0, 1], at
  least one strictly between, and the task is binary, the prediction is taken as the positive
  class's probability: the predicted class is positive when ``p >= 0.5`` (the ``>=`` of a
  ROC threshold), and ``p`` is the score unless ``scores`` are given.

**Regression**: MAE, RMSE, MAPE (a fraction, 0.1 = 10 %, as scikit-learn gives it; rows with a
zero target are left out of it alone and counted in ``mape_skipped``), R² (``None`` when the
targets are constant), mean error ``mean(prediction - target)`` (positive: over-predicting).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

Label = int | float | str
Task = Literal["classification", "regression"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

LOG_LOSS_EPS = 1e-15
"""Floor of a probability in log loss, so one confident mistake costs ~34.5 rather than infinity."""

PROBABILITY_SUM_TOLERANCE = 1e-3
"""How far a per-class score dict may sum from 1 and still count as probabilities (rounded JSON)."""

PROBABILITY_THRESHOLD = 0.5
"""A probability prediction at or above this is the positive class."""

REGRESSION_MIN_DISTINCT = 20
"""For models of other types, integer targets with more distinct values than this are regression."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def label_key(value: object) -> Label | None:
    """The comparable form of a label or prediction (see the module docstring); ``None`` if missing."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return int(bool(value))
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _whole(float(value))
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text.lower() in ("true", "false"):
            return int(text.lower() == "true")
        if _NUMBER.fullmatch(text) and math.isfinite(float(text)):
            return _whole(float(text))
        return text
    raise ValueError(f"a label must be a JSON scalar (string, number or boolean), got {type(value).__name__}")


def _whole(x: float) -> Label | None:
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else x


def _order(label: Label) -> tuple[int, float, str]:
    """Numbers (ascending) before strings (lexicographic)."""
    if isinstance(label, str):
        return (1, 0.0, label)
    return (0, float(label), "")


def _number(value: object) -> float | None:
    """A finite float from a number, a boolean or a numeric string; ``None`` otherwise."""
    if isinstance(value, bool | np.bool_):
        return float(bool(value))
    if not (isinstance(value, numbers.Real) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip()))):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _num(x: float | np.floating[Any] | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _check_lengths(y_true: Sequence[object], y_pred: Sequence[object], scores: Sequence[object] | None) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} rows but y_pred has {len(y_pred)}")
    if scores is not None and len(scores) != len(y_true):
        raise ValueError(f"y_true has {len(y_true)} rows but scores has {len(scores)}")


# -- classification ---------------------------------------------------------------------------


def _looks_like_probabilities(values: Sequence[object]) -> bool:
    """Every value a number in [0, 1] (booleans and strings excluded), one strictly between."""
    strictly_between = False
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool | np.bool_ | str) or not isinstance(v, numbers.Real):
            return False
        x = float(v)
        if math.isnan(x):
            continue
        if not 0.0 <= x <= 1.0:
            return False
        strictly_between = strictly_between or 0.0 < x < 1.0
    return strictly_between


def _classes(seen: set[Label], positive: Label | None, warnings: list[str]) -> tuple[list[Label], Label | None]:
    """The sorted classes and the positive class (``None``: multiclass)."""
    if positive is not None and len(seen | {positive}) <= 2:
        seen = seen | {positive}
    elif positive is not None:
        warnings.append(f"positive label {positive!r} ignored: not one of the {len(seen)} classes of the window")
        positive = None
    if seen <= {0, 1}:
        seen = {0, 1}
    labels = sorted(seen, key=_order)
    if len(labels) > 2:
        return labels, None
    if not labels:
        return labels, None
    if len(labels) == 1 and positive is None:
        warnings.append(f"one class only ({labels[0]!r}), taken as positive; pass positive= to name it")
    return labels, labels[-1] if positive is None else positive


def _auc(score: FloatArray, is_positive: npt.NDArray[np.bool_]) -> float | None:
    """Mann-Whitney U / (n+ n-): the chance a positive outscores a negative, ties counted half."""
    n_pos = int(is_positive.sum())
    n_neg = is_positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[is_positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _per_class(confusion: IntArray) -> tuple[list[float | None], list[float | None], list[float | None]]:
    tp = np.diag(confusion)
    predicted = confusion.sum(axis=0)
    support = confusion.sum(axis=1)
    precision: list[float | None] = []
    recall: list[float | None] = []
    f1: list[float | None] = []
    for t, p, s in zip(tp.tolist(), predicted.tolist(), support.tolist(), strict=True):
        precision.append(t / p if p else (0.0 if s else None))
        recall.append(t / s if s else None)
        f1.append(2 * t / (p + s) if p + s else None)  # 2TP + FP + FN = predicted + support
    return precision, recall, f1


def _macro(values: list[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def _weighted(values: list[float | None], support: list[int]) -> float | None:
    total = sum(support)
    if not total:
        return None
    return sum((v or 0.0) * s for v, s in zip(values, support, strict=True) if s) / total


class _Scores:
    """Scores of the used rows as a matrix over the classes (NaN where a row has none)."""

    def __init__(
        self,
        raw: Sequence[object],
        labels: list[Label],
        positive: Label | None,
        warnings: list[str],
    ) -> None:
        n, k = len(raw), len(labels)
        index = {label: i for i, label in enumerate(labels)}
        self.matrix: FloatArray = np.full((n, k), np.nan)
        self.row_sum: FloatArray = np.full(n, np.nan)
        self.per_class = False
        self.probabilities = True
        rows = [r for r in raw if r is not None]
        if rows and all(isinstance(r, Mapping) for r in rows):
            self.per_class = True
            for i, row in enumerate(raw):
                if row is None:
                    continue
                assert isinstance(row, Mapping)
                values = {label_key(key): _number(v) for key, v in row.items()}
                if any(v is None for v in values.values()):
                    continue  # a row with a missing or non-numeric score is not scored
                self.matrix[i] = 0.0  # a class the dict leaves out scores 0
                for key, v in values.items():
                    if key in index:
                        self.matrix[i, index[key]] = v
                    if v is not None and not 0.0 <= v <= 1.0:
                        self.probabilities = False
                self.row_sum[i] = sum(v for v in values.values() if v is not None)
            scored = ~np.isnan(self.row_sum)
            if np.any(np.abs(self.row_sum[scored] - 1.0) > PROBABILITY_SUM_TOLERANCE):
                self.probabilities = False
        elif any(isinstance(r, Mapping) for r in rows):
            raise ValueError("scores must be all numbers or all per-class dicts")
        else:
            if positive is None:
                warnings.append("scores are one number per row but the task is multiclass: no ROC AUC")
                self.probabilities = False
                return
            neg = [i for i, label in enumerate(labels) if label != positive]
            for i, row in enumerate(raw):
                v = _number(row)
                if v is None:
                    continue
                self.matrix[i, index[positive]] = v
                if neg:
                    self.matrix[i, neg[0]] = 1.0 - v
                self.row_sum[i] = 1.0
                if not 0.0 <= v <= 1.0:
                    self.probabilities = False
        if not self.probabilities:
            warnings.append("scores are not probabilities (in [0, 1], summing to 1): no log loss")

    @property
    def scored(self) -> npt.NDArray[np.bool_]:
        return ~np.isnan(self.row_sum)


def classification_metrics(
    y_true: Sequence[object],
    y_pred: Sequence[object],
    scores: Sequence[float] | Sequence[Mapping[str, float]] | None = None,
    positive: object | None = None,
) -> dict[str, Any]:
    """Accuracy, precision, recall, F1, ROC AUC, log loss and the confusion matrix (module docstring).

    ``scores``: per row, the positive class's score (binary), or a dict class → score.
    """
    _check_lengths(y_true, y_pred, scores)
    warnings: list[str] = []
    truth = [label_key(v) for v in y_true]
    as_probability = _looks_like_probabilities(y_pred)
    guess = [_number(v) for v in y_pred] if as_probability else [label_key(v) for v in y_pred]
    rows = [(i, t, g) for i, (t, g) in enumerate(zip(truth, guess, strict=True)) if t is not None and g is not None]
    used = [i for i, _, _ in rows]
    true_labels = [t for _, t, _ in rows]
    guesses = [g for _, _, g in rows]
    seen = set(true_labels) if as_probability else set(true_labels) | set(guesses)
    labels, pos = _classes(seen, label_key(positive), warnings)
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index[t] for t in true_labels], dtype=np.intp)
    row_scores: Sequence[object] | None = None if scores is None else [scores[i] for i in used]
    if as_probability and rows:
        if pos is None or len(labels) < 2:
            raise ValueError(
                f"predictions look like probabilities (numbers in [0, 1]) but the labels are {labels}: "
                "binary labels are needed (pass positive= when one occurs); for multiclass, send the "
                "predicted class, and per-class probabilities as scores"
            )
        probability = np.array(guesses, dtype=np.float64)
        negative = index[next(label for label in labels if label != pos)]
        predicted = np.where(probability >= PROBABILITY_THRESHOLD, index[pos], negative).astype(np.intp)
        row_scores = probability.tolist() if row_scores is None else row_scores
    else:
        predicted = np.array([index[g] for g in guesses], dtype=np.intp)

    k, n = len(labels), len(rows)
    confusion: IntArray = np.zeros((k, k), dtype=np.intp)
    np.add.at(confusion, (y, predicted), 1)
    support = confusion.sum(axis=1).tolist()
    precision, recall, f1 = _per_class(confusion)
    by_class = {"precision": precision, "recall": recall, "f1": f1}
    headline = {name: values[index[pos]] if pos is not None else _macro(values) for name, values in by_class.items()}
    metrics: dict[str, float | None] = {
        "accuracy": float(np.trace(confusion) / n) if n else None,
        **headline,
        **{f"{name}_macro": _macro(values) for name, values in by_class.items()},
        **{f"{name}_weighted": _weighted(values, support) for name, values in by_class.items()},
        "roc_auc": None,
        "log_loss": None,
    }

    class_auc: list[float | None] = [None] * k
    n_scored = 0
    score_source: str | None = None
    if row_scores is not None and n:
        table = _Scores(row_scores, labels, pos, warnings)
        score_source = "predictions" if scores is None else "per_class" if table.per_class else "positive"
        scored = table.scored
        n_scored = int(scored.sum())
        ys, s = y[scored], table.matrix[scored]
        occurring = sorted(set(ys.tolist()))
        if n_scored:
            class_auc = [_auc(s[:, c], ys == c) for c in range(k)]
            if pos is not None:
                metrics["roc_auc"] = class_auc[index[pos]]
            elif len(occurring) > 1:  # then every class that occurs has negatives too
                metrics["roc_auc"] = _macro([class_auc[c] for c in occurring])
            if table.probabilities:
                p_true = s[np.arange(n_scored), ys] / table.row_sum[scored]
                metrics["log_loss"] = float(-np.mean(np.log(np.maximum(p_true, LOG_LOSS_EPS))))

    return {
        "task": "classification",
        "n": n,
        "n_skipped": len(y_true) - n,
        "average": None if not n else "binary" if pos is not None else "macro",
        "positive": pos if n else None,
        "metrics": {name: _num(v) for name, v in metrics.items()},
        "per_class": [
            {
                "label": label,
                "precision": _num(precision[c]),
                "recall": _num(recall[c]),
                "f1": _num(f1[c]),
                "support": support[c],
                "roc_auc": _num(class_auc[c]),
            }
            for c, label in enumerate(labels)
        ]
        if n
        else [],
        "confusion_matrix": {"labels": labels if n else [], "matrix": confusion.tolist() if n else []},
        "scores": score_source,
        "n_scored": n_scored,
        "warnings": warnings,
    }


# -- regression -------------------------------------------------------------------------------


def regression_metrics(y_true: Sequence[object], y_pred: Sequence[object]) -> dict[str, Any]:
    """MAE, RMSE, MAPE, R² and mean error (module docstring); rows without two numbers are skipped."""
    _check_lengths(y_true, y_pred, None)
    pairs = [(_number(t), _number(p)) for t, p in zip(y_true, y_pred, strict=True)]
    kept = [(t, p) for t, p in pairs if t is not None and p is not None]
    target = np.array([t for t, _ in kept], dtype=np.float64)
    predicted = np.array([p for _, p in kept], dtype=np.float64)
    n = target.size
    error = predicted - target
    nonzero = target != 0
    metrics: dict[str, float | None] = dict.fromkeys(("mae", "mse", "rmse", "mape", "r2", "mean_error"))
    if n:
        with np.errstate(over="ignore"):  # a target near 0 makes MAPE overflow: reported as None
            ape = np.abs(error[nonzero] / target[nonzero])
        ss_res = float(np.sum(error**2))
        ss_tot = float(np.sum((target - target.mean()) ** 2))
        metrics.update(
            mae=float(np.mean(np.abs(error))),
            mse=ss_res / n,
            rmse=math.sqrt(ss_res / n),
            mape=float(np.mean(ape)) if ape.size else None,
            r2=1.0 - ss_res / ss_tot if ss_tot > 0 else None,
            mean_error=float(np.mean(error)),
        )
    return {
        "task": "regression",
        "n": n,
        "n_skipped": len(y_true) - n,
        "mape_skipped": int(n - nonzero.sum()),
        "metrics": {name: _num(v) for name, v in metrics.items()},
        "warnings": [],
    }


# -- choosing the task ------------------------------------------------------------------------


def infer_task(y_true: Sequence[object], y_pred: Sequence[object]) -> Task:
    """Regression when every target is a number and some target is fractional, there are more
    than :data:`REGRESSION_MIN_DISTINCT` distinct targets, or a prediction is a fraction outside
    [0, 1] (a probability is not); classification otherwise (strings, booleans, few integers)."""
    targets: set[float] = set()
    for value in y_true:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(float(value)):
            continue  # NaN: missing
        x = _number(value)
        if x is None or isinstance(value, bool | np.bool_):
            return "classification"
        targets.add(x)
    if not targets:
        return "classification"
    if any(not x.is_integer() for x in targets) or len(targets) > REGRESSION_MIN_DISTINCT:
        return "regression"
    for value in y_pred:
        x = _number(value) if not isinstance(value, bool | np.bool_ | str) else None
        if x is not None and not x.is_integer() and not 0.0 <= x <= 1.0:
            return "regression"
    return "classification"


def quality_metrics(
    model_type: str,
    y_true: Sequence[object],
    y_pred: Sequence[object],
    *,
    scores: Sequence[float] | Sequence[Mapping[str, float]] | None = None,
    positive: object | None = None,
) -> dict[str, Any]:
    """Classification or regression metrics by the model's type, inferred for other types.

    The result adds ``model_type`` and ``task_source`` (``"model_type"`` or ``"inferred"``).
    """
    if model_type in ("classification", "regression"):
        task: Task = "regression" if model_type == "regression" else "classification"
        source = "model_type"
    else:
        task, source = infer_task(y_true, y_pred), "inferred"
    if task == "regression":
        result = regression_metrics(y_true, y_pred)
    else:
        result = classification_metrics(y_true, y_pred, scores, positive)
    return {**result, "model_type": model_type, "task_source": source}
