"""SLO arithmetic: error budgets, burn rates and the multi-window, multi-burn-rate alert of the SRE workbook.

An SLI is good events / valid events over a window; an SLO is a target for it over a period (e.g.
99.5 % over 30 days); the error budget is ``1 - objective``. The burn rate over a window W is
``(bad / total over W) / (1 - objective)``: at 1 the budget lasts exactly the period.

Spending a share ``s`` of the budget within W means a burn rate ``s * period / W`` (Sloth's
``getBurnRateFactor``); for a 30-day period the workbook's pairs give 14.4 (2 % in 1 h), 6 (5 % in
6 h) and 1 (10 % in 3 d). A pair fires when both its long and its short window burn faster than the
factor; the short window (1/12 of the long one) lets the alert reset soon after the problem stops.
Reference: Google SRE Workbook, ch. 5 "Alerting on SLOs".

Latency SLIs ("requests under T") count events from the rollups' log-scaled histograms
(``monitorx.stats.histogram``): an event counts as good when its bucket's reported value is ≤ T.
Every value in a bucket is within ``histogram.ALPHA`` (1 %) of that reported value, so only latencies
within about 1 % of T can land on the wrong side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from monitorx.stats import histogram

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class BurnWindow:
    """One alerting pair: ``severity`` fires when both windows burn faster than the factor."""

    severity: str  # "page" or "ticket"
    long_s: int
    short_s: int
    budget_share: float  # share of the period's budget spent within the long window at the factor

    def factor(self, period_s: float) -> float:
        return burn_rate_factor(self.budget_share, period_s, self.long_s)


# The workbook's recommended table: page on 2 % in 1 h or 5 % in 6 h, ticket on 10 % in 3 days.
WORKBOOK_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("page", HOUR, 5 * 60, 0.02),
    BurnWindow("page", 6 * HOUR, 30 * 60, 0.05),
    BurnWindow("ticket", 3 * DAY, 6 * HOUR, 0.10),
)


def burn_rate_factor(budget_share: float, period_s: float, window_s: float) -> float:
    """The burn rate that spends ``budget_share`` of the budget in ``window_s`` (14.4 for 2 %, 1 h, 30 d)."""
    return budget_share * period_s / window_s


def burn_rate(bad: float, total: float, objective: float) -> float:
    """Error ratio over the budget; NaN when the window holds no events."""
    if not 0.0 < objective < 1.0:
        raise ValueError(f"objective {objective} must be strictly between 0 and 1")
    if total <= 0:
        return math.nan
    return (bad / total) / (1.0 - objective)


def good_at_or_below(counts: npt.NDArray[np.int64], threshold: float) -> int:
    """Events of a dense latency histogram counted as ≤ ``threshold`` (bucket value ≤ threshold)."""
    good = histogram.bucket_values() <= threshold
    return int(counts[good].sum())


def good_mask(threshold: float) -> npt.NDArray[np.bool_]:
    """Which histogram buckets count as ≤ ``threshold``, to sum sparse entries without densifying."""
    mask: npt.NDArray[np.bool_] = histogram.bucket_values() <= threshold
    return mask


@dataclass(frozen=True)
class PairResult:
    window: BurnWindow
    factor: float
    long_burn: float  # NaN when the window holds no events
    short_burn: float

    @property
    def firing(self) -> bool:
        # NaN compares False: a window without traffic never burns budget.
        return self.long_burn > self.factor and self.short_burn > self.factor


def evaluate_pairs(
    counts: Mapping[int, tuple[float, float]],
    objective: float,
    period_s: float,
    windows: tuple[BurnWindow, ...] = WORKBOOK_WINDOWS,
) -> list[PairResult]:
    """Burn rate of every pair from ``counts``: window seconds -> (bad events, all events)."""
    out = []
    for w in windows:
        bad_l, tot_l = counts[w.long_s]
        bad_s, tot_s = counts[w.short_s]
        out.append(
            PairResult(w, w.factor(period_s), burn_rate(bad_l, tot_l, objective), burn_rate(bad_s, tot_s, objective))
        )
    return out


def windows_needed(windows: tuple[BurnWindow, ...] = WORKBOOK_WINDOWS) -> list[int]:
    """Every distinct window length the pairs read, shortest first."""
    return sorted({w.long_s for w in windows} | {w.short_s for w in windows})
