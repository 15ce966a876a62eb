"""What one drift statistic returns."""

from __future__ import annotations

from dataclasses import dataclass

from monitorx.stats.drift.binning import Bins


@dataclass(frozen=True, eq=False)
class StatResult:
    """The value of one statistic on one feature.

    ``error_bound`` bounds ``|statistic - the same statistic on the raw rows|`` that comes
    from summarising (0 when the summary path is exact, ``None`` when no bound is known).
    ``bins`` are the common bins the statistic was computed on, when it uses bins.
    """

    method: str
    statistic: float
    p_value: float | None = None
    error_bound: float | None = 0.0
    bins: Bins | None = None
