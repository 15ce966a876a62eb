"""Notification channels: e-mail (SMTP), Slack, PagerDuty Events v2 and signed generic webhooks."""

from __future__ import annotations

from monitorx.services.alerting.channels import pagerduty, slack, smtp, webhook
from monitorx.services.alerting.channels.base import AlertView, Notification, Outcome, SendContext, Sender

SENDERS: dict[str, Sender] = {
    "email": smtp.send,
    "slack": slack.send,
    "pagerduty": pagerduty.send,
    "webhook": webhook.send,
}

__all__ = ["SENDERS", "AlertView", "Notification", "Outcome", "SendContext", "Sender"]
