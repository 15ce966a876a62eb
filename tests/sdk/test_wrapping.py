"""monitorx.wrap on a scikit-learn style object: one queued record per call, one event per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import monitorx
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeServer

MakePipeline = Callable[..., Pipeline]


class Classifier:
    """Enough of a fitted scikit-learn classifier: names, classes, predict, predict_proba."""

    def __init__(self) -> None:
        self.feature_names_in_ = np.array(["amount", "age"], dtype=object)
        self.classes_ = np.array(["no", "yes"])
        self.fitted = True

    def predict(self, X: Any) -> Any:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError("Expected 2D array")
        return np.where(X[:, 0] > 100, "yes", "no")

    def predict_proba(self, X: Any) -> Any:
        X = np.asarray(X, dtype=float)
        p = np.clip(X[:, 0] / 200, 0, 1)
        return np.column_stack([1 - p, p])


class Regressor:
    def predict(self, X: Any) -> list[float]:
        return [sum(row) for row in X]


def test_results_and_attributes_are_the_wrapped_models(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    make_pipeline(fake_server)
    inner = Classifier()
    model = monitorx.wrap(inner, model="churn", version="7")
    X = np.array([[150.0, 30.0], [50.0, 40.0]])
    assert list(model.predict(X)) == ["yes", "no"]
    np.testing.assert_allclose(model.predict_proba(X), inner.predict_proba(X))
    assert model.fitted is True and model.classes_ is inner.classes_
    assert model.wrapped is inner
    with pytest.raises(ValueError, match="Expected 2D"):
        model.predict(np.array([1.0, 2.0]))
    assert not hasattr(monitorx.wrap(Regressor(), model="r"), "predict_proba")


def test_one_event_per_row(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    model = monitorx.wrap(Classifier(), model="churn", version="7", tags={"team": "risk"})
    X = np.array([[150.0, 30.0], [50.0, 40.0], [120.0, 18.0]])
    model.predict(X)
    base_id = monitorx.last_prediction_id()
    model.predict_proba(X[:1])
    with pytest.raises(ValueError):
        model.predict(np.array([1.0]))
    assert pipeline.flush()
    events = fake_server.items()
    assert [e.get("features") for e in events[:3]] == [
        {"amount": 150.0, "age": 30.0},
        {"amount": 50.0, "age": 40.0},
        {"amount": 120.0, "age": 18.0},
    ]
    assert [e["prediction"] for e in events[:3]] == ["yes", "no", "yes"]
    assert [e["prediction_id"] for e in events[:3]] == [f"{base_id}-{i}" for i in range(3)]
    assert events[3]["prediction"] == {"no": 0.25, "yes": 0.75}
    assert events[4]["error"] is True and events[4]["error_type"] == "ValueError"
    assert len({e["latency_ms"] for e in events[:3]}) == 1  # the rows share the call's latency
    assert all(e["tags"] == {"team": "risk"} and e["version"] == "7" for e in events)


def test_plain_lists_and_unnamed_features(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)
    model = monitorx.wrap(Regressor(), model="r", max_rows=2)
    assert model.predict([[1, 2], [3, 4], [5, 6]]) == [3, 7, 11]
    assert pipeline.flush()
    assert [(e["features"], e["prediction"]) for e in fake_server.items()] == [
        ({"f0": 1, "f1": 2}, 3),
        ({"f0": 3, "f1": 4}, 7),
    ]  # max_rows=2: the third row is not sent
