"""Alerting: rules evaluated on a schedule, alert states, silences, and notifications through channels.

Modules, one concept each: ``specs`` (what users write), ``rules``, ``sources`` (conditions to
numbers), ``state`` (pending → firing → resolved), ``instances`` (stored alerts and history),
``silences``, ``matchers``, ``dispatch`` (grouping, dedup, retries), ``channels/*`` (e-mail, Slack,
PagerDuty, webhooks), ``ssrf``, ``secretbox``, ``leader`` (one replica evaluates), ``evaluator``,
``service`` (the facade the API and CLI use).
"""
