"""Reads: models, their series and summaries, raw events, hosts."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.models import EventList, HostList, HostSeries, ModelList, ModelSummary, SeriesAnswer
from monitorx.api.security import require, services
from monitorx.api.timeparse import parse_time
from monitorx.services.keys import Principal
from monitorx.services.query import (
    HOST_METRICS,
    METRICS,
    SeriesFilter,
    error_types,
    group_stats,
    latency_histogram,
    parse_tag_filters,
)

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERROR_RESPONSES)
ModelName = Annotated[str, Path(min_length=1, max_length=200)]
Versions = Annotated[list[str], Query(description="Only these versions (repeatable)")]
Environments = Annotated[list[str], Query(description="Only these environments (repeatable)")]
Tags = Annotated[list[str], Query(description="key:value, repeatable; all must match")]
Time = Annotated[str | None, Query(description="RFC 3339 or epoch seconds")]


def _list_pattern(names: tuple[str, ...]) -> str:
    # Documented, not enforced: an unknown name gets a message listing the known ones, not a regex.
    one = "(" + "|".join(names) + ")"
    return f"^{one}(,{one})*$"


def _filter(version: list[str], environment: list[str], tag: list[str]) -> SeriesFilter:
    return SeriesFilter(tuple(version), tuple(environment), parse_tag_filters(tag))


@router.get("/models", response_model=ModelList, summary="Every model with its health over the last hour")
def list_models(request: Request, principal: Principal = Depends(require("read"))) -> ModelList:
    return ModelList.model_validate({"models": services(request).query.list_models(principal.project_id)})


@router.get("/models/{model}", response_model=ModelSummary, summary="One model and its figures over a range")
def model_summary(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006 - FastAPI copies defaults
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    principal: Principal = Depends(require("read")),
) -> ModelSummary:
    now = time.time()
    end_ts = parse_time(end, "end", now)
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = services(request).query.summary(
        principal.project_id, model, start_ts, end_ts, _filter(version, environment, tag)
    )
    return ModelSummary.model_validate(result)


@router.get("/models/{model}/series", response_model=SeriesAnswer, summary="Time series of a model's metrics")
def model_series(
    request: Request,
    model: ModelName,
    metrics: Annotated[
        str,
        Query(
            description="Comma-separated, e.g. latency_p95,error_rate,throughput",
            json_schema_extra={"pattern": _list_pattern(METRICS)},
        ),
    ],
    start: Time = None,
    end: Time = None,
    step: Annotated[int, Query(ge=60, le=31 * 86400, description="Seconds, a multiple of 60")] = 60,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    group_by: Annotated[str | None, Query(description="version, environment or tag:<key>")] = None,
    principal: Principal = Depends(require("read")),
) -> SeriesAnswer:
    now = time.time()
    end_ts = parse_time(end, "end", now)
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = services(request).query.series(
        principal.project_id,
        model,
        [m.strip() for m in metrics.split(",") if m.strip()],
        start_ts,
        end_ts,
        step,
        _filter(version, environment, tag),
        group_by or None,
    )
    return SeriesAnswer.model_validate(result)


@router.get("/models/{model}/events", response_model=EventList, summary="Raw events, newest first")
def model_events(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    principal: Principal = Depends(require("read")),
) -> EventList:
    now = time.time()
    end_ts = parse_time(end, "end", now + 86400)
    start_ts = parse_time(start, "start", 0.0)
    events = services(request).query.events(
        principal.project_id, model, start_ts, end_ts, limit, _filter(version, environment, tag)
    )
    return EventList(events=events)


@router.get("/hosts", response_model=HostList, summary="Every host with its latest sample")
def list_hosts(request: Request, principal: Principal = Depends(require("read"))) -> HostList:
    return HostList.model_validate({"hosts": services(request).query.hosts(principal.project_id)})


@router.get("/hosts/{host}/series", response_model=HostSeries, summary="Time series of a host's resources")
def host_series(
    request: Request,
    host: Annotated[str, Path(min_length=1, max_length=255)],
    metrics: Annotated[
        str,
        Query(
            description="Comma-separated, e.g. cpu_percent,memory_percent",
            json_schema_extra={"pattern": _list_pattern(HOST_METRICS)},
        ),
    ],
    start: Time = None,
    end: Time = None,
    step: Annotated[int, Query(ge=1, le=31 * 86400)] = 60,
    principal: Principal = Depends(require("read")),
) -> HostSeries:
    now = time.time()
    end_ts = parse_time(end, "end", now)
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = services(request).query.host_series(
        principal.project_id,
        host,
        [m.strip() for m in metrics.split(",") if m.strip()],
        start_ts,
        end_ts,
        step,
    )
    return HostSeries.model_validate(result)


# -- breakdowns for the dashboard ------------------------------------------------------------------


class ErrorTypeCount(BaseModel):
    type: str
    count: int


class ErrorTypes(BaseModel):
    model: str
    start: float
    end: float
    total: int
    types: list[ErrorTypeCount]


class HistogramGroup(BaseModel):
    labels: dict[str, str]
    counts: list[int]


class LatencyHistogram(BaseModel):
    model: str
    start: float
    end: float
    group_by: str | None
    edges: list[float] = Field(description="Bucket edges in ms; bucket i counts latencies in (edges[i], edges[i+1]]")
    series: list[HistogramGroup]


@router.get("/models/{model}/error-types", response_model=ErrorTypes, summary="Errors by type over a range")
def model_error_types(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    principal: Principal = Depends(require("read")),
) -> ErrorTypes:
    end_ts = parse_time(end, "end", time.time())
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = error_types(
        services(request).query, principal.project_id, model, start_ts, end_ts, _filter(version, environment, tag)
    )
    return ErrorTypes.model_validate(result)


@router.get(
    "/models/{model}/latency-histogram",
    response_model=LatencyHistogram,
    summary="The latency distribution over a range, optionally per version, environment or tag",
)
def model_latency_histogram(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    group_by: Annotated[str | None, Query(description="version, environment or tag:<key>")] = None,
    max_buckets: Annotated[int, Query(ge=1, le=2000, description="Merge neighbouring buckets to fit")] = 100,
    principal: Principal = Depends(require("read")),
) -> LatencyHistogram:
    end_ts = parse_time(end, "end", time.time())
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = latency_histogram(
        services(request).query,
        principal.project_id,
        model,
        start_ts,
        end_ts,
        _filter(version, environment, tag),
        group_by or None,
        max_buckets,
    )
    return LatencyHistogram.model_validate(result)


class GroupStats(BaseModel):
    labels: dict[str, str]
    stats: dict[str, float | None]


class GroupStatsAnswer(BaseModel):
    model: str
    start: float
    end: float
    group_by: str
    groups: list[GroupStats]


@router.get(
    "/models/{model}/groups",
    response_model=GroupStatsAnswer,
    summary="A model's figures over a range for each version, environment or tag value",
)
def model_groups(
    request: Request,
    model: ModelName,
    group_by: Annotated[str, Query(description="version, environment or tag:<key>")],
    metrics: Annotated[
        str,
        Query(
            description="Comma-separated, e.g. count,error_rate,latency_p95",
            json_schema_extra={"pattern": _list_pattern(METRICS)},
        ),
    ] = "count,throughput,error_rate,latency_p50,latency_p95,latency_p99",
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    principal: Principal = Depends(require("read")),
) -> GroupStatsAnswer:
    end_ts = parse_time(end, "end", time.time())
    start_ts = parse_time(start, "start", end_ts - 3600)
    result = group_stats(
        services(request).query,
        principal.project_id,
        model,
        start_ts,
        end_ts,
        _filter(version, environment, tag),
        group_by,
        [m.strip() for m in metrics.split(",") if m.strip()],
    )
    return GroupStatsAnswer.model_validate(result)
