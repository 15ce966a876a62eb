"""Reference and current tables with known drift, for tests, benchmarks and the demo.

:func:`make_drift_dataset` draws ``n_numeric`` numeric and ``n_categorical`` categorical
columns (a dict of numpy arrays per window) and says which changed and by how much. With
``drift=True`` (the default) the first four numeric and first three categorical features
change; all others keep their distribution:

===========  ====================  ==============================  =====================
feature      distribution          change in the current window    size
===========  ====================  ==============================  =====================
``num_00``   normal(50, 10)        mean + 0.08 sd (small)          0.08
``num_01``   lognormal(3, 0.5)     mean + 0.25 sd                  0.25
``num_02``   exponential(2)        scale x 1.5                     0.5
``num_03``   uniform(-1, 1)        spread x 1.3, same mean         0.26
``cat_00``   3 categories          5 points move off the top one   JS 0.036 (small)
``cat_01``   10 categories         shares reversed                 JS 0.27
``cat_02``   5 categories          a new category takes 5 %        JS 0.19
===========  ====================  ==============================  =====================

``size`` is the population value of the default effect size: normed Wasserstein
(``W1 / sd_ref``) for numeric features, Jensen-Shannon distance (base e) for categorical ones.
The smallest shifts sit below Evidently's fixed 0.1 cut-offs (they are the ones its defaults
miss, section 8 of the peer measurements) and above MonitorX's effect floors.

The other numeric columns cycle through normal, lognormal, exponential, uniform, Student t(5),
a bimodal mixture, Poisson(20) counts and normal(1000, 5) (a large mean against its spread,
the hard case for relative-error buckets). The other categorical columns are a boolean, 50
categories and 200 categories (Zipf-like shares). A few columns have 1 % missing values
(NaN or ``None``) in both windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import distance

from monitorx.stats.summaries import FeatureKind

Column = npt.NDArray[Any]
Sampler = Callable[[np.random.Generator, int], npt.NDArray[np.float64]]


@dataclass(frozen=True)
class FeatureTruth:
    """What changed in one feature between the windows (``size`` 0 when nothing did)."""

    kind: FeatureKind
    drifted: bool
    change: str
    size: float


@dataclass(frozen=True)
class DriftDataset:
    reference: dict[str, Column]
    current: dict[str, Column]
    truth: dict[str, FeatureTruth]

    @property
    def kinds(self) -> dict[str, FeatureKind]:
        return {name: t.kind for name, t in self.truth.items()}

    @property
    def drifted(self) -> list[str]:
        return [name for name, t in self.truth.items() if t.drifted]


@dataclass(frozen=True)
class _Numeric:
    describe: str
    reference: Sampler
    current: Sampler
    change: str = "none"
    size: float = 0.0


def _normal(mu: float, sd: float, shift: float = 0.0) -> Sampler:
    return lambda rng, n: rng.normal(mu + shift * sd, sd, n)


# Unchanged numeric columns, cycled through after the drifted ones.
_STABLE: list[tuple[str, Sampler]] = [
    ("normal(0, 1)", _normal(0.0, 1.0)),
    ("lognormal(1, 0.8)", lambda rng, n: rng.lognormal(1.0, 0.8, n)),
    ("exponential(5)", lambda rng, n: rng.exponential(5.0, n)),
    ("uniform(0, 100)", lambda rng, n: rng.uniform(0.0, 100.0, n)),
    ("student_t(5) * 3", lambda rng, n: rng.standard_t(5, n) * 3.0),
    ("bimodal", lambda rng, n: np.where(rng.random(n) < 0.6, rng.normal(-2, 1, n), rng.normal(3, 1.5, n))),
    ("poisson(20)", lambda rng, n: rng.poisson(20.0, n).astype(np.float64)),
    ("normal(1000, 5)", _normal(1000.0, 5.0)),
]

_LOGNORMAL_SD = float(np.sqrt((np.exp(0.25) - 1) * np.exp(6 + 0.25)))


def _numeric_specs(drift: bool) -> list[_Numeric]:
    def same(describe: str, sampler: Sampler) -> _Numeric:
        return _Numeric(describe, sampler, sampler)

    if not drift:
        drifting = [
            same("normal(50, 10)", _normal(50, 10)),
            same("lognormal(3, 0.5)", lambda rng, n: rng.lognormal(3, 0.5, n)),
            same("exponential(2)", lambda rng, n: rng.exponential(2.0, n)),
            same("uniform(-1, 1)", lambda rng, n: rng.uniform(-1, 1, n)),
        ]
    else:
        drifting = [
            _Numeric("normal(50, 10)", _normal(50, 10), _normal(50, 10, 0.08), "mean + 0.08 sd", 0.08),
            _Numeric(
                "lognormal(3, 0.5)",
                lambda rng, n: rng.lognormal(3, 0.5, n),
                lambda rng, n: rng.lognormal(3, 0.5, n) + 0.25 * _LOGNORMAL_SD,
                "mean + 0.25 sd",
                0.25,
            ),
            # W1 between exponentials is the difference of their means (3 - 2), over sd 2.
            _Numeric(
                "exponential(2)",
                lambda rng, n: rng.exponential(2.0, n),
                lambda rng, n: rng.exponential(3.0, n),
                "scale x 1.5",
                0.5,
            ),
            # W1 = 0.3 · E|x| = 0.15, over sd 1/sqrt(3).
            _Numeric(
                "uniform(-1, 1)",
                lambda rng, n: rng.uniform(-1, 1, n),
                lambda rng, n: rng.uniform(-1.3, 1.3, n),
                "spread x 1.3",
                0.15 * np.sqrt(3),
            ),
        ]
    stable = [same(d, s) for d, s in _STABLE]
    return drifting + stable * 2


@dataclass(frozen=True)
class _Categorical:
    labels: list[str] | None  # None: a boolean column
    reference: npt.NDArray[np.float64]
    current: npt.NDArray[np.float64]
    change: str = "none"


def _zipf(k: int, s: float = 1.1) -> npt.NDArray[np.float64]:
    weights = 1.0 / np.arange(1, k + 1) ** s
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def _categorical_specs(drift: bool) -> list[_Categorical]:
    def names(prefix: str, k: int) -> list[str]:
        return [f"{prefix}_{i}" for i in range(k)]

    three = np.array([0.5, 0.3, 0.2])
    ten = _zipf(10, 1.0)
    five = np.array([0.3, 0.25, 0.2, 0.15, 0.1, 0.0])
    specs = [
        _Categorical(
            names("a", 3),
            three,
            np.array([0.45, 0.33, 0.22]) if drift else three,
            "5 points off the top category" if drift else "none",
        ),
        _Categorical(names("b", 10), ten, ten[::-1].copy() if drift else ten, "shares reversed" if drift else "none"),
        _Categorical(
            [*names("c", 5), "c_new"],
            five,
            np.append(five[:5] * 0.95, 0.05) if drift else five,
            "new category at 5 %" if drift else "none",
        ),
        _Categorical(None, np.array([0.7, 0.3]), np.array([0.7, 0.3])),
        _Categorical(names("d", 50), _zipf(50), _zipf(50)),
        _Categorical(names("e", 200), _zipf(200), _zipf(200)),
    ]
    return specs


# Features (by position) that get 1 % missing values in both windows.
_WITH_MISSING_NUMERIC = {1, 5, 9}
_WITH_MISSING_CATEGORICAL = {1, 4}


def _with_missing(column: Column, rng: np.random.Generator, rate: float) -> Column:
    mask = rng.random(column.size) < rate
    if column.dtype == np.float64:
        column = column.copy()
        column[mask] = np.nan
        return column
    column = column.astype(object)
    column[mask] = None
    return column


def _js(p: npt.NDArray[np.float64], q: npt.NDArray[np.float64]) -> float:
    return float(distance.jensenshannon(p, q))


def drift_truth(n_numeric: int = 14, n_categorical: int = 6, *, drift: bool = True) -> dict[str, FeatureTruth]:
    """The ground truth :func:`make_drift_dataset` returns, without drawing any data."""
    truth: dict[str, FeatureTruth] = {}
    numeric = _numeric_specs(drift)
    for i in range(n_numeric):
        spec = numeric[i % len(numeric)]
        drifted = spec.size > 0 and i < len(numeric)
        truth[f"num_{i:02d}"] = FeatureTruth("numeric", drifted, spec.change if drifted else "none",
                                             spec.size if drifted else 0.0)  # fmt: skip
    categorical = _categorical_specs(drift)
    for i in range(n_categorical):
        cspec = categorical[i % len(categorical)]
        size = _js(cspec.reference, cspec.current) if i < len(categorical) else 0.0
        truth[f"cat_{i:02d}"] = FeatureTruth("categorical", size > 0, cspec.change if size > 0 else "none", size)
    return truth


def make_drift_dataset(
    n_reference: int = 100_000,
    n_current: int | None = None,
    *,
    n_numeric: int = 14,
    n_categorical: int = 6,
    drift: bool = True,
    missing_rate: float = 0.01,
    seed: int = 0,
) -> DriftDataset:
    """Draw both windows (see the module docstring); the same seed gives the same tables."""
    n_current = n_reference if n_current is None else n_current
    rng = np.random.default_rng(seed)
    truth = drift_truth(n_numeric, n_categorical, drift=drift)
    reference: dict[str, Column] = {}
    current: dict[str, Column] = {}
    numeric = _numeric_specs(drift)
    for i in range(n_numeric):
        name, spec = f"num_{i:02d}", numeric[i % len(numeric)]
        cur_sampler = spec.current if truth[name].drifted else spec.reference
        reference[name], current[name] = spec.reference(rng, n_reference), cur_sampler(rng, n_current)
        if i in _WITH_MISSING_NUMERIC and missing_rate > 0:
            reference[name] = _with_missing(reference[name], rng, missing_rate)
            current[name] = _with_missing(current[name], rng, missing_rate)
    categorical = _categorical_specs(drift)
    for i in range(n_categorical):
        name, cspec = f"cat_{i:02d}", categorical[i % len(categorical)]
        cur_p = cspec.current if truth[name].drifted else cspec.reference
        ref_idx = rng.choice(cspec.reference.size, n_reference, p=cspec.reference)
        cur_idx = rng.choice(cur_p.size, n_current, p=cur_p)
        if cspec.labels is None:
            reference[name], current[name] = ref_idx == 0, cur_idx == 0
        else:
            labels = np.array(cspec.labels, dtype=object)
            reference[name], current[name] = labels[ref_idx], labels[cur_idx]
        if i in _WITH_MISSING_CATEGORICAL and missing_rate > 0:
            reference[name] = _with_missing(reference[name], rng, missing_rate)
            current[name] = _with_missing(current[name], rng, missing_rate)
    return DriftDataset(reference, current, truth)
