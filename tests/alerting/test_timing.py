"""Timers on a manual clock, notifications to a real HTTP receiver: for, keep_firing_for, group_wait,
group_interval, repeat_interval, silences, acknowledgements and manual resolution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from monitorx.services.alerting import AlertingService, ManualClock
from monitorx.services.alerting.specs import SilenceIn

from .conftest import accuracy, channel, make_model, project, quality_rule, webhook_bodies


@pytest.fixture
def receiver(httpserver: Any) -> Any:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return httpserver


def stepper(services: Any, alerting: AlertingService, clock: ManualClock, model: int) -> Callable[[bool, float], None]:
    """Set accuracy (bad = below 0.9) at now, evaluate, then move the clock on."""

    def step(bad: bool, advance: float = 60.0) -> None:
        accuracy(services, model, clock.now(), 0.8 if bad else 0.95)
        alerting.tick()
        clock.advance(advance)

    return step


def states(alerting: AlertingService, services: Any) -> list[str]:
    return [a.state for a in alerting.alerts.find(project(services), ["pending", "firing", "resolved", "inactive"])]


def test_for_delays_firing_and_a_flapping_condition_never_notifies(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud", for_s=120)
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    for i in range(8):
        step(i % 2 == 0)  # breaches every other minute: never for 120 s in a row
    assert webhook_bodies(receiver) == []
    assert set(states(alerting, services)) <= {"pending", "inactive"}
    step(True)
    step(True)
    assert webhook_bodies(receiver) == [] and states(alerting, services) == ["pending"]
    step(True)  # held 120 s
    bodies = webhook_bodies(receiver)
    assert [b["status"] for b in bodies] == ["firing"]
    assert bodies[0]["alerts"][0]["labels"]["model"] == "fraud" and bodies[0]["version"] == "4"


def test_one_notification_when_firing_a_reminder_after_repeat_interval_one_when_resolved_and_again_on_refire(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60, repeat_interval_s=600)
    for _ in range(10):  # t = 0 … 540 s: firing, unchanged
        step(True)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]
    step(True)  # t = 600 s: the reminder
    step(False)  # t = 660 s: resolved
    step(False)
    step(False)
    step(True)  # t = 840 s: fires again
    bodies = webhook_bodies(receiver)
    assert [b["status"] for b in bodies] == ["firing", "firing", "resolved", "firing"]
    resolved = bodies[2]["alerts"][0]
    assert resolved["status"] == "resolved" and resolved["endsAt"] != "0001-01-01T00:00:00Z"
    assert bodies[0]["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert bodies[3]["alerts"][0]["startsAt"] != bodies[0]["alerts"][0]["startsAt"]


def test_keep_firing_for_holds_the_resolved_notification(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud", keep_firing_for_s=180)
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    step(True)  # t = 0: fires
    step(False)  # t = 60: clears; kept firing
    step(True)  # t = 120: holds again: the timer restarts
    for _ in range(3):  # t = 180, 240, 300: cleared for less than 180 s
        step(False)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]
    assert states(alerting, services) == ["firing"]
    step(False)  # t = 360: 180 s since it cleared
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing", "resolved"]


def test_group_wait_gathers_alerts_and_group_interval_spaces_updates(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    models = {name: make_model(services, name) for name in ("fraud", "churn", "ads")}
    quality_rule(alerting, services, name="low accuracy")  # every model
    channel(
        alerting, services, receiver.url_for("/hook"), group_by=["alertname"], group_wait_s=30, group_interval_s=120
    )
    t0 = clock.now()

    def at(offset: float, bad: set[str]) -> None:
        clock.advance(t0 + offset - clock.now())
        for name, mid in models.items():
            accuracy(services, mid, clock.now(), 0.8 if name in bad else 0.95)
        alerting.tick()

    at(0, {"fraud"})
    at(10, {"fraud", "churn"})
    assert webhook_bodies(receiver) == []  # still in group_wait
    at(30, {"fraud", "churn"})
    bodies = webhook_bodies(receiver)
    assert len(bodies) == 1 and sorted(a["labels"]["model"] for a in bodies[0]["alerts"]) == ["churn", "fraud"]
    assert bodies[0]["groupLabels"] == {"alertname": "low accuracy"}
    at(40, {"fraud", "churn", "ads"})
    at(100, {"fraud", "churn", "ads"})
    assert len(webhook_bodies(receiver)) == 1  # the next flush is at 30 + 120
    at(150, {"fraud", "churn", "ads"})
    bodies = webhook_bodies(receiver)
    assert len(bodies) == 2 and len(bodies[1]["alerts"]) == 3


def test_an_alert_resolved_within_group_wait_is_never_notified(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=90, group_interval_s=60)
    step(True, 30)
    step(False, 30)
    for _ in range(4):
        step(False)
    assert webhook_bodies(receiver) == []


def test_silenced_alerts_are_tracked_but_notify_nobody_until_the_silence_expires(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    silence = alerting.silences.create(
        project(services),
        SilenceIn.model_validate(
            {"matchers": [{"name": "model", "value": "fra.*", "op": "=~"}], "duration_s": 300, "comment": "deploy"}
        ),
        "tester",
        now=clock.now(),
    )
    for _ in range(5):  # t = 0 … 240: silenced
        step(True)
    assert webhook_bodies(receiver) == []
    assert states(alerting, services) == ["firing"]
    assert silence.status(clock.now() - 1) == "active"
    assert silence.status(clock.now()) == "expired"
    step(True)  # t = 300: the silence has ended
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]


def test_a_group_silenced_after_it_fired_sends_nothing_not_even_resolved(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60, repeat_interval_s=120)
    step(True)
    spec = SilenceIn.model_validate(
        {"matchers": [{"name": "model", "value": "fraud"}], "duration_s": 600, "comment": "x"}
    )
    alerting.silences.create(project(services), spec, "tester", now=clock.now())
    for _ in range(5):  # past the repeat interval: still nothing
        step(True)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]


def test_a_manual_resolve_is_notified_and_holds_until_the_condition_clears(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60, repeat_interval_s=120)
    step(True)
    (alert,) = alerting.alerts.find(project(services))
    resolved = alerting.alerts.resolve(project(services), alert.id, "key:abc", "fixed by rollback", clock.now())
    assert resolved.state == "resolved" and resolved.manual_hold
    for _ in range(4):  # the condition still holds: it stays resolved, no reminder
        step(True)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing", "resolved"]
    assert states(alerting, services) == ["resolved"]
    step(False)
    step(True)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing", "resolved", "firing"]
    history = [(h.from_state, h.to_state, h.actor) for h in alerting.alerts.history(alert.id)][::-1]
    assert history == [
        ("inactive", "firing", "evaluator"),
        ("firing", "resolved", "key:abc"),
        ("resolved", "firing", "evaluator"),
    ]


def test_an_acknowledged_alert_gets_no_reminders(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    step = stepper(services, alerting, clock, make_model(services))
    quality_rule(alerting, services, model="fraud")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60, repeat_interval_s=120)
    step(True)
    (alert,) = alerting.alerts.find(project(services))
    alerting.alerts.acknowledge(project(services), alert.id, "key:abc", "looking", clock.now())
    for _ in range(5):
        step(True)
    step(False)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing", "resolved"]


def test_pending_timers_and_notified_groups_survive_a_restart(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    mid = make_model(services)
    quality_rule(alerting, services, model="fraud", for_s=120)
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60, repeat_interval_s=3600)
    stepper(services, alerting, clock, mid)(True)  # pending since t = 0
    alerting.close()
    restarted = AlertingService(
        services.db, services.registry, services.query, alerting_settings(alerting, services), clock=clock
    )
    step = stepper(services, restarted, clock, mid)
    step(True)
    step(True)  # t = 120: fires, counted from before the restart
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]
    restarted.close()
    again = AlertingService(
        services.db, services.registry, services.query, alerting_settings(alerting, services), clock=clock
    )
    step = stepper(services, again, clock, mid)
    for _ in range(3):
        step(True)
    assert [b["status"] for b in webhook_bodies(receiver)] == ["firing"]  # not notified twice
    again.close()


def alerting_settings(alerting: AlertingService, services: Any) -> Any:
    return services.settings.model_copy(update={"alert_allow_hosts": "127.0.0.1"})


def test_disabling_a_rule_resolves_its_alerts_and_deleting_one_notifies_resolved(
    services: Any, alerting: AlertingService, clock: ManualClock, receiver: Any
) -> None:
    from monitorx.services.alerting.specs import RulePatch

    step = stepper(services, alerting, clock, make_model(services))
    first = quality_rule(alerting, services, model="fraud", name="first")
    second = quality_rule(alerting, services, model="fraud", name="second")
    channel(alerting, services, receiver.url_for("/hook"), group_wait_s=0, group_interval_s=60)
    step(True)
    alerting.rules.update(project(services), first.id, RulePatch(enabled=False))
    alerting.rules.delete(project(services), second.id)
    step(True)
    by_rule: dict[str, list[str]] = {}
    for body in webhook_bodies(receiver):
        by_rule.setdefault(body["groupLabels"]["alertname"], []).append(body["status"])
    assert by_rule == {"first": ["firing", "resolved"], "second": ["firing", "resolved"]}
    assert states(alerting, services) == ["resolved"]  # the deleted rule's alert went with it
