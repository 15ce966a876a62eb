"""Payloads clients send, validated in one pass by pydantic-core (parse + validate, in Rust)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypedDict

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(max_length=200)]
# Bounds keep every sum finite and every integer inside 64 bits (and JSON's 2**53).
NonNegative = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=2**53)]
Timestamp = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)] | datetime
Scalar = float | str | bool | None
BatchId = Annotated[str, StringConstraints(min_length=1, max_length=128)]

_STRICT = ConfigDict(extra="forbid", strict=True)


class Event(TypedDict):
    """One inference. A TypedDict, not a model: validating 1,000 of them is the ingest hot path."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]

    model: Name
    version: NotRequired[Short]
    environment: NotRequired[Annotated[str, StringConstraints(max_length=100)]]
    timestamp: NotRequired[Timestamp]
    latency_ms: NotRequired[NonNegative | None]
    error: NotRequired[bool]
    error_type: NotRequired[Short | None]
    prediction_id: NotRequired[Short | None]
    features: NotRequired[dict[Annotated[str, StringConstraints(max_length=200)], Scalar]]
    prediction: NotRequired[Scalar | dict[Annotated[str, StringConstraints(max_length=200)], Scalar]]
    tags: NotRequired[
        dict[
            Annotated[str, StringConstraints(max_length=100)],
            Annotated[str, StringConstraints(max_length=200)],
        ]
    ]
    input_tokens: NotRequired[Count | None]
    output_tokens: NotRequired[Count | None]
    ttft_ms: NotRequired[NonNegative | None]
    cost_usd: NotRequired[NonNegative | None]
    provider: NotRequired[Short | None]
    llm_model: NotRequired[Short | None]


class EventBatch(BaseModel):
    model_config = _STRICT
    batch_id: BatchId
    events: list[Event]


class GpuReading(BaseModel):
    model_config = _STRICT
    index: Annotated[int, Field(ge=0, le=1024)]
    name: Short | None = None
    utilization_percent: Annotated[float, Field(ge=0, le=100)] | None = None
    memory_used_bytes: Count | None = None
    memory_total_bytes: Count | None = None
    temperature_c: Annotated[float, Field(ge=-100, le=200)] | None = None
    power_w: NonNegative | None = None
    process_memory_bytes: Count | None = None


class ServedModel(BaseModel):
    model_config = _STRICT
    model: Name
    version: Short = "default"


class ResourceSample(BaseModel):
    model_config = _STRICT
    host: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    timestamp: Timestamp | None = None
    cpu_percent: Annotated[float, Field(ge=0, le=100 * 1024)] | None = None
    memory_used_bytes: Count | None = None
    memory_total_bytes: Count | None = None
    disk_used_bytes: Count | None = None
    disk_total_bytes: Count | None = None
    gpus: Annotated[list[GpuReading], Field(max_length=64)] = []
    models: Annotated[list[ServedModel], Field(max_length=100)] = []


class ResourceBatch(BaseModel):
    model_config = _STRICT
    batch_id: BatchId
    samples: list[ResourceSample]
