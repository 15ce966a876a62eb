"""One evaluation pass: defaults for new models, every enabled rule stepped, then notifications.

Only the leader (see ``leader``) evaluates; a pass on another replica does nothing. A rule whose
evaluation fails keeps its alerts as they were and records why in ``alert_rules.last_error``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, or_

from monitorx.services.alerting import state as st
from monitorx.services.alerting.dispatch import Dispatcher, DispatchReport
from monitorx.services.alerting.instances import AlertStore
from monitorx.services.alerting.leader import Leadership
from monitorx.services.alerting.rules import RuleStore
from monitorx.services.alerting.silences import SilenceStore
from monitorx.services.alerting.sources import Sources
from monitorx.services.registry import Model, Registry
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.alerting")
KEEP_S = 30 * 86400  # history, delivery log, and alerts that have been down this long
_HOUSEKEEPING_EVERY_S = 3600.0


@dataclass
class TickReport:
    at: float
    rules: int = 0
    errors: int = 0
    transitions: list[tuple[str, str]] = field(default_factory=list)
    dispatch: DispatchReport = field(default_factory=DispatchReport)
    duration_ms: float = 0.0


class Evaluator:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        rules: RuleStore,
        alerts: AlertStore,
        silences: SilenceStore,
        sources: Sources,
        dispatcher: Dispatcher,
        leadership: Leadership,
    ) -> None:
        self.db = db
        self.registry = registry
        self.rules = rules
        self.alerts = alerts
        self.silences = silences
        self.sources = sources
        self.dispatcher = dispatcher
        self.leadership = leadership
        self._last_housekeeping = 0.0

    def tick(self, now: float) -> TickReport | None:
        if not self.leadership.acquire():
            return None
        started = time.monotonic()
        report = TickReport(now)
        self.rules.ensure_defaults(now)
        models: dict[int, list[Model]] = {}
        for rule in self.rules.enabled():
            report.rules += 1
            try:
                if rule.project_id not in models:
                    models[rule.project_id] = self.registry.list_models(rule.project_id)
                samples = self.sources.evaluate(rule, models[rule.project_id], now)
                report.transitions += self.alerts.apply(rule, samples, now)
                error = None
            except Exception as exc:  # one broken rule must not stop the others
                log.warning("alert rule %s (%s) failed: %s", rule.id, rule.name, exc, exc_info=True)
                report.errors += 1
                error = f"{type(exc).__name__}: {exc}"[:2000]
            if error != rule.last_error:
                self.rules.set_error(rule.id, error)
        for rule in self.rules.disabled_with_alerts():  # a disabled rule's alerts resolve, as if gone
            report.transitions += self.alerts.apply(rule, [], now)
        report.dispatch = self.dispatcher.run(now)
        if now - self._last_housekeeping >= _HOUSEKEEPING_EVERY_S:
            self._housekeeping(now)
            self._last_housekeeping = now
        report.duration_ms = (time.monotonic() - started) * 1000
        return report

    def _housekeeping(self, now: float) -> None:
        old = now - KEEP_S
        self.silences.collect_garbage(now)
        with self.db.write() as conn:
            conn.execute(delete(t.alert_history).where(t.alert_history.c.at < old))
            conn.execute(delete(t.alert_deliveries).where(t.alert_deliveries.c.at < old))
            i = t.alert_instances.c
            conn.execute(
                delete(t.alert_instances).where(
                    i.last_eval_at < old,
                    i.manual_hold.is_(False),
                    or_(i.state == st.INACTIVE, and_(i.state == st.RESOLVED, i.resolved_at < old)),
                )
            )
