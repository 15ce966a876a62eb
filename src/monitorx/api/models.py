"""Shapes of the answers (and of the bodies FastAPI parses): the OpenAPI document is built from them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from monitorx.services.registry import MODEL_TYPES

ModelType = Literal[MODEL_TYPES]  # type: ignore[valid-type]
_IN = ConfigDict(extra="forbid", strict=True)


class IngestAnswer(BaseModel):
    batch_id: str
    accepted: int
    duplicate: bool


Limit = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]


class Thresholds(BaseModel):
    """Per-model limits that default alert rules use; absent means "no opinion"."""

    model_config = _IN
    latency_p95_ms: Limit | None = None
    latency_p99_ms: Limit | None = None
    error_rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    throughput_min: Limit | None = None
    cost_usd_per_hour: Limit | None = None

    def as_dict(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ModelIn(BaseModel):
    model_config = _IN
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: ModelType = "other"
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    thresholds: Thresholds = Thresholds()


class ModelPatch(BaseModel):
    model_config = _IN
    type: ModelType | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    thresholds: Thresholds | None = None


class VersionIn(BaseModel):
    model_config = _IN
    version: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""


class EnvironmentIn(BaseModel):
    model_config = _IN
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ModelOut(BaseModel):
    name: str
    type: str
    description: str
    thresholds: dict[str, float]
    versions: list[str]
    environments: list[str]
    created_at: float


class Health(BaseModel):
    window_s: float
    count: float | None
    throughput: float | None
    error_rate: float | None
    latency_p50: float | None
    latency_p95: float | None
    latency_p99: float | None
    cost_usd: float | None


class ModelWithHealth(ModelOut):
    last_event_at: float | None
    health: Health


class ModelList(BaseModel):
    models: list[ModelWithHealth]


class ModelSummary(BaseModel):
    model: ModelOut
    start: float
    end: float
    last_event_at: float | None
    stats: dict[str, float | None]


class SeriesGroup(BaseModel):
    labels: dict[str, str]
    values: dict[str, list[float | None]]


class SeriesAnswer(BaseModel):
    model: str
    start: float
    end: float
    step: int
    group_by: str | None
    timestamps: list[float]
    series: list[SeriesGroup]


class EventList(BaseModel):
    events: list[dict[str, object]]


class HostSample(BaseModel):
    host: str
    timestamp: float
    cpu_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    disk_used_bytes: int | None
    disk_total_bytes: int | None
    gpus: list[dict[str, object]]
    models: list[dict[str, str]]


class HostList(BaseModel):
    hosts: list[HostSample]


class HostSeries(BaseModel):
    host: str
    start: float
    end: float
    step: int
    timestamps: list[float]
    values: dict[str, list[float | None]]


class KeyIn(BaseModel):
    model_config = _IN
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    scopes: Annotated[
        list[Annotated[str, Field(json_schema_extra={"enum": ["ingest", "read", "admin"]})]],
        Field(min_length=1, max_length=3),
    ]
    expires_at: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class KeyOut(BaseModel):
    key_id: str
    name: str
    display: str
    scopes: list[str]
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None


class KeyCreated(KeyOut):
    token: str = Field(description="The full key. It is shown only this once; store it now.")


class KeyList(BaseModel):
    keys: list[KeyOut]


class ProjectIn(BaseModel):
    model_config = _IN
    name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class ProjectCreated(BaseModel):
    name: str
    admin_key: KeyCreated


class EnvironmentList(BaseModel):
    environments: list[str]
