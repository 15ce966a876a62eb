"""PSI, Jensen-Shannon, Hellinger and KL against numpy/scipy on the same bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from monitorx.stats.drift import hellinger, jensenshannon, kl_div, psi
from monitorx.stats.drift.binning import array_bins
from monitorx.stats.summaries import CategoricalSummary, NumericSummary


def _evidently_fill(p: np.ndarray) -> np.ndarray:
    smallest = p[p > 0].min()
    return np.where(p > 0, p, smallest / 1e6 if smallest <= 1e-4 else 1e-4)


def _reference_formulas(p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    """Textbook formulas on shares p (reference) and q (current)."""
    pf, qf = _evidently_fill(p), _evidently_fill(q)
    return {
        "psi": float(np.sum((qf - pf) * np.log(qf / pf))),
        "jensenshannon": float(distance.jensenshannon(p, q)),
        "hellinger": float(np.sqrt(1 - np.sum(np.sqrt(p * q)))),
        "kl_div": float(stats.entropy(pf, qf)),
    }


MODULES = {"psi": psi, "jensenshannon": jensenshannon, "hellinger": hellinger, "kl_div": kl_div}


def _categories(seed: int, n: int, probs: list[float]) -> np.ndarray:
    labels = np.array([f"k{i}" for i in range(len(probs))], dtype=object)
    return labels[np.random.default_rng(seed).choice(len(probs), n, p=probs)]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_categorical_summaries_match_the_formula_on_raw_counts(name: str) -> None:
    a = _categories(0, 5000, [0.5, 0.3, 0.15, 0.05, 0.0])
    b = _categories(1, 4000, [0.4, 0.3, 0.1, 0.1, 0.1])  # k4 is new
    labels = sorted(set(a) | set(b))
    p = np.array([np.sum(a == k) for k in labels]) / a.size
    q = np.array([np.sum(b == k) for k in labels]) / b.size
    expected = _reference_formulas(p, q)[name]
    module = MODULES[name]
    got = module.from_summaries(CategoricalSummary.from_values(a), CategoricalSummary.from_values(b))
    assert got.statistic == pytest.approx(expected, rel=1e-9)
    assert got.error_bound == 0.0
    assert module.from_arrays(a, b, categorical=True).statistic == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_numeric_raw_arrays_match_the_formula_on_reference_quantile_bins(name: str) -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 20_000), rng.normal(0.3, 1.2, 15_000)
    module = MODULES[name]
    n_bins = module.DEFAULT_BINS
    inner = np.quantile(a, np.arange(1, n_bins) / n_bins, method="inverted_cdf")
    # np.histogram's bins are closed on the left; ours on the right (a quantile value stays
    # in the lower bin), so count with searchsorted(side="left") as the definition says.
    p = np.bincount(np.searchsorted(inner, a, side="left"), minlength=n_bins) / a.size
    q = np.bincount(np.searchsorted(inner, b, side="left"), minlength=n_bins) / b.size
    assert module.from_arrays(a, b).statistic == pytest.approx(_reference_formulas(p, q)[name], rel=1e-9)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_numeric_summaries_are_exact_on_their_own_edges_and_close_to_exact_quantiles(name: str) -> None:
    rng = np.random.default_rng(3)
    a, b = rng.lognormal(0, 1, 100_000), rng.lognormal(0.1, 1, 100_000)
    module = MODULES[name]
    got = module.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    assert got.bins is not None and got.bins.edges is not None
    same_edges = module.from_arrays(a, b, edges=got.bins.edges[1:-1])
    assert got.statistic == pytest.approx(same_edges.statistic, rel=1e-9)
    exact_quantiles = module.from_arrays(a, b)
    assert got.statistic == pytest.approx(exact_quantiles.statistic, rel=0.05, abs=1e-4)


def test_low_cardinality_numeric_features_are_binned_by_value() -> None:
    a = np.array([0.0, 1.0, 1.0, 2.0] * 100)
    b = np.array([0.0, 1.0, 2.0, 2.0] * 100)
    got = jensenshannon.from_summaries(NumericSummary.from_values(a), NumericSummary.from_values(b))
    assert got.bins is not None and got.bins.kind == "values"
    assert got.statistic == pytest.approx(distance.jensenshannon([0.25, 0.5, 0.25], [0.25, 0.25, 0.5]))
    assert array_bins(a, b, 10).kind == "values"


def test_jensen_shannon_uses_base_e_like_evidently_and_base_2_on_request() -> None:
    a = _categories(4, 3000, [0.6, 0.4])
    b = _categories(5, 3000, [0.3, 0.7])
    ra, rb = CategoricalSummary.from_values(a), CategoricalSummary.from_values(b)
    base_e = jensenshannon.from_summaries(ra, rb).statistic
    base_2 = jensenshannon.from_summaries(ra, rb, base=2).statistic
    assert base_2 == pytest.approx(base_e / math.sqrt(math.log(2)), rel=1e-12)
    assert jensenshannon.from_summaries(ra, ra).statistic == 0.0


def test_psi_bands() -> None:
    assert [psi.band(v) for v in (0.05, 0.1, 0.2, 0.25, 1.0)] == [
        "none",
        "moderate",
        "moderate",
        "major",
        "major",
    ]


def test_hellinger_stays_in_the_unit_interval() -> None:
    a = CategoricalSummary.from_values(np.array(["x"] * 10, dtype=object))
    b = CategoricalSummary.from_values(np.array(["y"] * 10, dtype=object))
    assert hellinger.from_summaries(a, b).statistic == pytest.approx(1.0)
    assert hellinger.from_summaries(a, a).statistic == 0.0
