"""Alerting: rules evaluated on a schedule, alert states, silences, and notifications through channels.

Modules, one concept each: ``specs`` (what users write), ``rules``, ``sources`` (conditions to
numbers), ``state`` (pending → firing → resolved), ``instances`` (stored alerts and history),
``silences``, ``matchers``, ``dispatch`` (grouping, dedup, retries), ``channels/*`` (e-mail, Slack,
PagerDuty, webhooks), ``ssrf``, ``secretbox``, ``leader`` (one replica evaluates), ``evaluator``,
``service`` (the facade the API and CLI use).
"""

from __future__ import annotations

from monitorx.services.alerting.clock import Clock, ManualClock, SystemClock
from monitorx.services.alerting.service import AlertingService

__all__ = ["AlertingService", "Clock", "ManualClock", "SystemClock"]
