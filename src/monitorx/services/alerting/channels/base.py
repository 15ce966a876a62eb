"""What every channel sends and answers: a group's notification in, an outcome out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from monitorx.services.alerting.ssrf import AllowList


@dataclass(frozen=True)
class AlertView:
    """One alert as receivers see it (the fields of Alertmanager's webhook ``alerts[]``)."""

    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None
    fingerprint: str
    generator_url: str
    value: float | None = None


@dataclass(frozen=True)
class Notification:
    id: str  # the same on every retry: receivers de-duplicate on it (webhook-id)
    channel_name: str
    group_key: str
    group_labels: dict[str, str]
    reason: str  # firing | resolved | update | repeat | test
    firing: list[AlertView]
    resolved: list[AlertView]
    external_url: str

    @property
    def status(self) -> str:
        return "firing" if self.firing else "resolved"

    @property
    def alerts(self) -> list[AlertView]:
        return [*self.firing, *self.resolved]


@dataclass(frozen=True)
class SendContext:
    allow: AllowList
    timeout_s: float


@dataclass
class Outcome:
    ok: bool
    retryable: bool = False
    status: int | None = None  # HTTP status or SMTP reply code
    response: str = ""
    error: str | None = None
    retry_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Sender(Protocol):
    def __call__(
        self, n: Notification, config: dict[str, Any], secrets: dict[str, Any], ctx: SendContext
    ) -> Outcome: ...
