"""Whatever a caller hands over becomes a value the wire contract accepts."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from monitorx.sdk import values

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


def _is_wire_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (bool, int, str))


@settings(deadline=None)  # a shared, noisy machine: no per-example time limit
@given(anything)
def test_any_input_becomes_valid_json_of_the_right_shape(value: Any) -> None:
    scalar = values.scalar(value)
    assert _is_wire_scalar(scalar)
    prediction = values.prediction(value)
    if isinstance(prediction, dict):
        assert all(isinstance(k, str) and _is_wire_scalar(v) for k, v in prediction.items())
    else:
        assert _is_wire_scalar(prediction)
    features = values.features(value)
    if features is not None:
        assert all(isinstance(k, str) and len(k) <= 200 and _is_wire_scalar(v) for k, v in features.items())
    json.dumps([scalar, prediction, features], allow_nan=False)


class Color(Enum):
    RED = "red"


def test_numpy_and_odd_objects() -> None:
    assert values.scalar(np.float32(1.5)) == 1.5 and type(values.scalar(np.float32(1.5))) is float
    assert values.scalar(np.int64(7)) == 7 and values.scalar(np.bool_(True)) is True
    assert values.scalar(np.float64("nan")) is None
    assert values.scalar(np.array([1.0, 2.0])) is None  # not a scalar
    assert values.scalar(Color.RED) == "Color.RED"
    assert values.scalar("x" * 5000) == "x" * values.MAX_TEXT
    assert values.prediction(np.array([0.2, 0.8])) == {"0": 0.2, "1": 0.8}
    assert values.prediction(np.array([3])) == 3
    assert values.tags({"a": 1, "b": None, "k" * 150: "v" * 300}) == {"a": "1", "k" * 100: "v" * 200}


def test_numbers_for_the_llm_fields() -> None:
    assert values.count(812.0) == 812 and values.count(812.5) is None and values.count(-1) is None
    assert values.count(True) is None and values.non_negative(math.inf) is None
    assert values.timestamp(datetime(2026, 1, 1, tzinfo=UTC)) == 1767225600.0
    assert values.timestamp("2026-11-23T07:38:13.120Z") == "2026-11-23T07:38:13.120Z"
