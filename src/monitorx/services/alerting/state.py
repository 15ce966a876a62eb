"""The life of one alert instance, as Prometheus's: inactive → pending → firing → resolved.

- A condition that starts holding makes the alert ``pending`` (``active_at`` = now), or ``firing`` at
  once when ``for`` is 0. It fires once it has held for ``for`` seconds; if it stops holding while
  pending, the alert goes back to ``inactive`` and is never notified.
- A firing alert whose condition stops holding stays firing for ``keep_firing_for`` seconds (the
  timer restarts if it holds again meanwhile), then is ``resolved``.
- Resolved by hand, an alert stays resolved while its condition still holds (``manual_hold``); once
  the condition clears, the next breach goes through pending and firing again.

Pure functions of (state, condition, now): the evaluator stores what they return.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

INACTIVE = "inactive"
PENDING = "pending"
FIRING = "firing"
RESOLVED = "resolved"
STATES = (INACTIVE, PENDING, FIRING, RESOLVED)


@dataclass(frozen=True)
class AlertState:
    state: str
    active_at: float
    fired_at: float | None = None
    resolved_at: float | None = None
    keep_firing_since: float | None = None
    manual_hold: bool = False
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None


def step(
    current: AlertState | None, holds: bool, now: float, for_s: float, keep_firing_for_s: float
) -> AlertState | None:
    """The state after one evaluation; None for an alert that never was and still is not."""
    if current is None or current.state in (INACTIVE, RESOLVED):
        if not holds:
            if current is not None and current.manual_hold:
                return replace(current, manual_hold=False)
            return current
        if current is not None and current.manual_hold:
            return current  # resolved by hand: stays resolved until the condition clears
        fresh = AlertState(PENDING, active_at=now)
        return _fire(fresh, now) if for_s <= 0 else fresh
    if current.state == PENDING:
        if not holds:
            return replace(current, state=INACTIVE, acknowledged_at=None, acknowledged_by=None)
        return _fire(current, now) if now - current.active_at >= for_s else current
    # firing
    if holds:
        return current if current.keep_firing_since is None else replace(current, keep_firing_since=None)
    since = now if current.keep_firing_since is None else current.keep_firing_since
    if now - since >= keep_firing_for_s:
        return resolve(current, now)
    return replace(current, keep_firing_since=since)


def _fire(s: AlertState, now: float) -> AlertState:
    return replace(s, state=FIRING, fired_at=now, resolved_at=None, keep_firing_since=None, manual_hold=False)


def resolve(s: AlertState, now: float, by_hand: bool = False) -> AlertState:
    return replace(
        s,
        state=RESOLVED,
        resolved_at=now,
        keep_firing_since=None,
        manual_hold=by_hand,
        acknowledged_at=None,
        acknowledged_by=None,
    )
