"""What users write: rules, their conditions, channels, matchers and silences (validated with pydantic).

The API documents and parses these; the CLI validates files against them; the services store their
JSON. Units: durations in seconds, latencies in milliseconds, rates as fractions (5 % = 0.05).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, model_validator

from monitorx.errors import InvalidInput
from monitorx.services.ingest import validation_error
from monitorx.services.query import HOST_METRICS, METRICS
from monitorx.services.registry import THRESHOLD_KEYS

_IN = ConfigDict(extra="forbid", strict=True)
DAY = 86400

Op = Literal[">", ">=", "<", "<=", "==", "!="]
Number = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
Duration = Annotated[int, Field(ge=0, le=90 * DAY, description="Seconds")]
Timestamp = Annotated[float, Field(gt=0, lt=1e11, allow_inf_nan=False, description="Epoch seconds")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LabelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")]
LabelValue = Annotated[str, StringConstraints(max_length=500)]
Labels = Annotated[dict[LabelName, LabelValue], Field(max_length=20)]
Severity = Literal["critical", "error", "warning", "info"]
MetricName = Literal[METRICS]  # type: ignore[valid-type]
HostMetricName = Literal[HOST_METRICS]  # type: ignore[valid-type]
ThresholdKey = Literal[THRESHOLD_KEYS]  # type: ignore[valid-type]
FeatureName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Labels the evaluator sets itself; a rule's own labels may not override them.
RESERVED_LABELS = frozenset({"alertname", "rule_id", "model", "host", "slo"})


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class _Spec(BaseModel):
    model_config = _IN

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
        if _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


class MetricCondition(_Spec):
    """A query metric over the last ``window_s`` (``latency_p95 > 500``, ``error_rate > 0.05``, ``throughput < 1``)."""

    type: Literal["metric"]
    metric: MetricName
    op: Op
    threshold: Number
    threshold_from: ThresholdKey | None = Field(
        None, description="Use this threshold of the model (e.g. latency_p95_ms) when set; `threshold` otherwise"
    )
    window_s: Annotated[int, Field(ge=60, le=31 * DAY)] = 300
    no_data: Literal["ok", "alert"] = Field(
        "ok", description="When the window holds no events (the metric is undefined): stay quiet, or alert"
    )


class HostCondition(_Spec):
    """A host resource averaged over the window, per host (serving the rule's model, if it names one)."""

    type: Literal["host"]
    metric: HostMetricName
    op: Op
    threshold: Number
    window_s: Annotated[int, Field(ge=10, le=31 * DAY)] = 300
    no_data: Literal["ok", "alert"] = "ok"


class DriftCondition(_Spec):
    """The latest drift result in the window: dataset drift, or drift of one feature."""

    type: Literal["drift"]
    feature: FeatureName | None = Field(None, description="A feature; the dataset verdict when absent")
    window_s: Annotated[int, Field(ge=60, le=90 * DAY)] = DAY
    no_data: Literal["ok", "alert"] = "ok"


class DataQualityCondition(_Spec):
    """The latest data-quality result: missing share, new categories (a count), or its overall flag."""

    type: Literal["data_quality"]
    check: Literal["missing_share", "new_categories", "flagged"]
    feature: FeatureName | None = Field(None, description="A feature; the whole dataset when absent")
    op: Op = ">"
    threshold: Number = 0.0
    window_s: Annotated[int, Field(ge=60, le=90 * DAY)] = DAY
    no_data: Literal["ok", "alert"] = "ok"


class QualityCondition(_Spec):
    """A model-quality metric from late labels (``accuracy < 0.9``, ``mae > 15``)."""

    type: Literal["quality"]
    metric: Annotated[
        str,
        StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$"),
        Field(description="accuracy, precision, recall, f1, roc_auc, mae, rmse, mape, …"),
    ]
    op: Op
    threshold: Number
    window_s: Annotated[int, Field(ge=60, le=90 * DAY)] = DAY
    no_data: Literal["ok", "alert"] = "ok"


class SloCondition(_Spec):
    """A multi-window, multi-burn-rate alert on an availability or latency SLO (SRE workbook)."""

    type: Literal["slo"]
    sli: Literal["availability", "latency"]
    objective: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False, description="e.g. 0.995")]
    period_days: Annotated[int, Field(ge=1, le=90)] = 30
    latency_threshold_ms: Annotated[float, Field(gt=0, le=1e8, allow_inf_nan=False)] | None = Field(
        None, description="Latency SLI: a request is good when it answers within this (required for sli=latency)"
    )
    alerts: Annotated[list[Literal["page", "ticket"]], Field(min_length=1, max_length=2)] = ["page", "ticket"]

    @model_validator(mode="after")
    def _threshold_for_latency(self) -> SloCondition:
        if (self.sli == "latency") != (self.latency_threshold_ms is not None):
            raise ValueError("latency_threshold_ms is required for sli=latency and only allowed for it")
        return self


Condition = Annotated[
    MetricCondition | HostCondition | DriftCondition | DataQualityCondition | QualityCondition | SloCondition,
    Field(discriminator="type"),
]


class RuleIn(_Spec):
    name: Name
    model: Name | None = Field(None, description="The model; every model of the project when absent")
    versions: Annotated[list[Name], Field(max_length=50)] = []
    environments: Annotated[list[Name], Field(max_length=50)] = []
    tags: Annotated[dict[Name, LabelValue], Field(max_length=20)] = {}
    condition: Condition
    for_s: Duration = Field(0, description="How long the condition must hold before the alert fires")
    keep_firing_for_s: Duration = Field(0, description="How long a firing alert stays firing once the condition clears")
    severity: Severity = "warning"
    labels: Labels = {}
    annotations: Annotated[
        dict[LabelName, Annotated[str, StringConstraints(max_length=2000)]], Field(max_length=20)
    ] = {}
    enabled: bool = True


class RulePatch(_Spec):
    name: Name | None = None
    model: Name | None = None
    versions: Annotated[list[Name], Field(max_length=50)] | None = None
    environments: Annotated[list[Name], Field(max_length=50)] | None = None
    tags: Annotated[dict[Name, LabelValue], Field(max_length=20)] | None = None
    condition: Condition | None = None
    for_s: Duration | None = None
    keep_firing_for_s: Duration | None = None
    severity: Severity | None = None
    labels: Labels | None = None
    annotations: (
        Annotated[dict[LabelName, Annotated[str, StringConstraints(max_length=2000)]], Field(max_length=20)] | None
    ) = None
    enabled: bool | None = None


class Matcher(_Spec):
    name: LabelName
    value: LabelValue
    op: Literal["=", "!=", "=~", "!~"] = "="


Hostname = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:\[\]_-]+$")]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^https?://")]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s<>,;]+@[^@\s<>,;]+$")]
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


class EmailConfig(_Spec):
    kind: Literal["email"]
    host: Hostname
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = Field("starttls", description="tls = SMTPS (port 465)")
    username: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    password: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = Field(
        None, description="Write-only: never returned"
    )
    from_addr: Email
    to: Annotated[list[Email], Field(min_length=1, max_length=20)]


class SlackConfig(_Spec):
    kind: Literal["slack"]
    url: Url | None = Field(None, description="The incoming-webhook URL; it is the credential: write-only")


class PagerDutyConfig(_Spec):
    kind: Literal["pagerduty"]
    routing_key: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = Field(
        None, description="The Events v2 integration key: write-only"
    )
    url: Url = PAGERDUTY_URL


class WebhookConfig(_Spec):
    kind: Literal["webhook"]
    url: Url
    max_alerts: Annotated[int, Field(ge=0, le=1000, description="0 = every alert of the group")] = 0


ChannelConfig = Annotated[
    EmailConfig | SlackConfig | PagerDutyConfig | WebhookConfig,
    Field(discriminator="kind"),
]
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("password",),
    "slack": ("url",),
    "pagerduty": ("routing_key",),
    "webhook": (),
}
REQUIRED_SECRETS: dict[str, tuple[str, ...]] = {"slack": ("url",), "pagerduty": ("routing_key",)}


class ChannelIn(_Spec):
    name: Name
    config: ChannelConfig
    matchers: Annotated[list[Matcher], Field(max_length=20)] = Field(
        [], description="Alerts whose labels match all of these go to this channel (none: every alert)"
    )
    group_by: Annotated[list[LabelName], Field(max_length=20)] = ["alertname", "model"]
    group_wait_s: Annotated[int, Field(ge=0, le=DAY)] = 30
    group_interval_s: Annotated[int, Field(ge=1, le=DAY)] = 300
    repeat_interval_s: Annotated[int, Field(ge=60, le=30 * DAY)] = 4 * 3600
    send_resolved: bool = True
    enabled: bool = True


class ChannelPatch(_Spec):
    name: Name | None = None
    config: ChannelConfig | None = Field(
        None, description="Replaces the settings; a secret left out (null) keeps the stored one"
    )
    matchers: Annotated[list[Matcher], Field(max_length=20)] | None = None
    group_by: Annotated[list[LabelName], Field(max_length=20)] | None = None
    group_wait_s: Annotated[int, Field(ge=0, le=DAY)] | None = None
    group_interval_s: Annotated[int, Field(ge=1, le=DAY)] | None = None
    repeat_interval_s: Annotated[int, Field(ge=60, le=30 * DAY)] | None = None
    send_resolved: bool | None = None
    enabled: bool | None = None
    rotate_secret: bool = Field(False, description="Webhook: issue a new signing secret (shown once)")


class SilenceIn(_Spec):
    matchers: Annotated[list[Matcher], Field(min_length=1, max_length=20)]
    starts_at: Timestamp | None = Field(None, description="Default: now; a past start becomes now")
    ends_at: Timestamp | None = Field(None, description="Give ends_at or duration_s")
    duration_s: Annotated[int, Field(ge=1, le=365 * DAY)] | None = None
    comment: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    created_by: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="Default: the API key's id"
    )


class SilencePatch(_Spec):
    ends_at: Timestamp | None = None
    comment: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


def parse(model: type[_Spec], data: Any) -> Any:
    """Validate plain data (from the CLI or a file) into ``model``, raising InvalidInput naming the field."""
    try:
        return TypeAdapter(model).validate_python(data, strict=False)
    except ValidationError as exc:
        err = validation_error(exc)
        raise InvalidInput(err.message.removesuffix("; nothing of this batch was stored"), err.errors) from None
