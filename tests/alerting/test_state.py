"""The state machine alone, against what Prometheus was observed to do (alerting-semantics.md §1)."""

from __future__ import annotations

from monitorx.services.alerting import state as st

MIN = 60.0


def run(inputs: dict[int, bool], for_s: float, keep_s: float, minutes: int) -> dict[int, str]:
    s = None
    out = {}
    for m in range(minutes + 1):
        s = st.step(s, inputs.get(m, False), m * MIN, for_s, keep_s)
        out[m] = "inactive" if s is None else s.state
    return out


def test_for_and_keep_firing_for_match_promtool() -> None:
    # promtool, 1m evaluations, for: 3m, keep_firing_for: 2m; input true 1m-5m, false from 6m.
    states = run({m: True for m in range(1, 6)}, 3 * MIN, 2 * MIN, 9)
    assert [states[m] for m in (0, 1, 2, 3)] == ["inactive", "pending", "pending", "pending"]
    assert states[4] == "firing" and states[5] == "firing"
    assert states[6] == "firing" and states[7] == "firing"  # kept firing 2 minutes
    assert states[8] == "resolved"


def test_a_pending_alert_that_clears_never_fires() -> None:
    states = run({1: True, 2: True}, 5 * MIN, 0, 4)
    assert states[1] == "pending" and states[2] == "pending" and states[3] == "inactive"


def test_for_zero_fires_on_the_first_evaluation_and_resolves_on_the_first_clear_one() -> None:
    states = run({1: True}, 0, 0, 2)
    assert states == {0: "inactive", 1: "firing", 2: "resolved"}


def test_keep_firing_timer_restarts_when_the_condition_holds_again() -> None:
    # true at 0, false 1-2, true 3, false from 4: with keep 3m it stays firing until 7m.
    states = run({0: True, 3: True}, 0, 3 * MIN, 8)
    assert all(states[m] == "firing" for m in range(7))
    assert states[7] == "resolved"


def test_a_manual_resolve_holds_until_the_condition_clears_then_a_breach_fires_again() -> None:
    s = st.step(None, True, 0, 0, 0)
    assert s is not None and s.state == "firing"
    s = st.resolve(s, 10, by_hand=True)
    for now in (60, 120):
        s = st.step(s, True, now, 0, 0)
        assert s is not None and s.state == "resolved" and s.manual_hold
    s = st.step(s, False, 180, 0, 0)
    assert s is not None and s.state == "resolved" and not s.manual_hold
    s = st.step(s, True, 240, 0, 0)
    assert s is not None and s.state == "firing" and s.fired_at == 240


def test_an_acknowledgement_ends_with_the_alert() -> None:
    s = st.step(None, True, 0, 0, 0)
    assert s is not None
    s = st.AlertState(**{**s.__dict__, "acknowledged_at": 5.0, "acknowledged_by": "me"})
    s = st.step(s, False, 60, 0, 0)
    assert s is not None and s.state == "resolved" and s.acknowledged_at is None
