"""Shapes of the alerting API. Inputs are the service's specs (strict, unknown fields refused)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from monitorx.services.alerting.specs import (
    ChannelIn,
    ChannelPatch,
    Condition,
    RuleIn,
    RulePatch,
    SilenceIn,
    SilencePatch,
)

__all__ = [
    "AlertAction",
    "AlertDetail",
    "AlertList",
    "AlertOut",
    "AlertingStatus",
    "ChannelCreated",
    "ChannelIn",
    "ChannelList",
    "ChannelOut",
    "ChannelPatch",
    "DeliveryList",
    "DeliveryOut",
    "HistoryOut",
    "MatcherOut",
    "RuleIn",
    "RuleList",
    "RuleOut",
    "RulePatch",
    "SilenceIn",
    "SilenceList",
    "SilenceOut",
    "SilencePatch",
]


class RuleOut(BaseModel):
    id: int
    name: str
    model: str | None = Field(description="null: every model of the project")
    origin: str = Field(description="user, or default (created for every new model; editable)")
    versions: list[str]
    environments: list[str]
    tags: dict[str, str]
    condition: Condition
    for_s: float
    keep_firing_for_s: float
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]
    enabled: bool
    last_error: str | None = Field(description="Why the last evaluation failed; null when it worked")
    created_at: float
    updated_at: float


class RuleList(BaseModel):
    rules: list[RuleOut]


class HistoryOut(BaseModel):
    at: float
    from_state: str
    to_state: str
    value: float | None
    actor: str
    note: str


class AlertOut(BaseModel):
    id: int
    rule_id: int
    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: str = Field(description="pending, firing, resolved or inactive")
    value: float | None
    active_at: float
    fired_at: float | None
    resolved_at: float | None
    keep_firing_since: float | None
    manual_hold: bool = Field(description="Resolved by hand while its condition still held")
    acknowledged_at: float | None
    acknowledged_by: str | None
    silenced_by: list[int]


class AlertDetail(AlertOut):
    history: list[HistoryOut]


class AlertList(BaseModel):
    alerts: list[AlertOut]


class AlertAction(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    comment: Annotated[str, StringConstraints(max_length=2000, pattern=r"^[^\x00]*$")] = ""


class MatcherOut(BaseModel):
    name: str
    value: str
    op: str


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    config: dict[str, Any] = Field(description="The settings, without secrets")
    secrets_set: list[str] = Field(description="Which write-only secrets hold a value")
    matchers: list[MatcherOut]
    group_by: list[str]
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float
    send_resolved: bool
    enabled: bool
    created_at: float
    updated_at: float


class ChannelCreated(ChannelOut):
    signing_secret: str | None = Field(
        None, description="Webhook channels: the whsec_… signing secret, shown only at creation and rotation"
    )


class ChannelList(BaseModel):
    channels: list[ChannelOut]


class DeliveryOut(BaseModel):
    id: int
    notification_id: str
    group_key: str
    reason: str
    attempt: int
    status: str = Field(description="delivered, retrying or failed")
    at: float
    duration_ms: float
    response_status: int | None
    response: str
    error: str | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class SilenceOut(BaseModel):
    id: int
    matchers: list[MatcherOut]
    starts_at: float
    ends_at: float
    comment: str
    created_by: str
    status: str = Field(description="pending, active or expired")
    created_at: float
    updated_at: float


class SilenceList(BaseModel):
    silences: list[SilenceOut]


class AlertingStatus(BaseModel):
    leader: bool = Field(description="Whether this replica evaluates rules and sends notifications")
    interval_s: float
    last_tick_at: float | None
    last_duration_ms: float | None
    last_rules: int
    last_error: str | None
