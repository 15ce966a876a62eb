"""Drift, data quality and model quality: references, reports, late labels, scheduled results."""

from __future__ import annotations

import csv
import io
import time
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from monitorx.api.body import read_body
from monitorx.api.errors import ERROR_RESPONSES, json_errors
from monitorx.api.models import IngestAnswer
from monitorx.api.routes.ingest import body_schema
from monitorx.api.security import require, services
from monitorx.api.timeparse import parse_time
from monitorx.errors import InvalidInput, MonitorXError
from monitorx.services.drift import policy_from_config
from monitorx.services.keys import Principal
from monitorx.services.quality import ActualBatch
from monitorx.services.query import SeriesFilter, parse_tag_filters

router = APIRouter(prefix="/api/v1", tags=["drift and quality"], responses=ERROR_RESPONSES)
ModelName = Annotated[str, Path(min_length=1, max_length=200)]
RefName = Annotated[str, Path(min_length=1, max_length=200)]
Versions = Annotated[list[str], Query(description="Only these versions (repeatable)")]
Environments = Annotated[list[str], Query(description="Only these environments (repeatable)")]
Tags = Annotated[list[str], Query(description="key:value, repeatable; all must match")]
Time = Annotated[str | None, Query(description="RFC 3339 or epoch seconds")]
_IN = ConfigDict(extra="forbid", strict=True)
_CREATED: dict[int | str, dict[str, Any]] = {
    409: {**ERROR_RESPONSES[422], "description": "A reference of that name exists"},
    413: {**ERROR_RESPONSES[422], "description": "The upload is over the limit"},
    415: {**ERROR_RESPONSES[422], "description": "Unsupported content type"},
}


class UnsupportedMediaType(MonitorXError):
    status = 415


class Reference(BaseModel):
    name: str
    source: str
    rows: int
    details: dict[str, Any]
    created_at: float
    active: bool
    features: dict[str, str]


class ReferenceList(BaseModel):
    references: list[Reference]


class WindowReferenceIn(BaseModel):
    model_config = _IN
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    start: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
    end: Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]
    version: list[Annotated[str, StringConstraints(max_length=200)]] = []
    environment: list[Annotated[str, StringConstraints(max_length=100)]] = []
    tag: list[Annotated[str, StringConstraints(max_length=300)]] = []


class Report(BaseModel):
    model: str
    window: dict[str, Any]
    rows: int
    reference: dict[str, Any]
    drift: dict[str, Any]
    data_quality: dict[str, Any]


class Quality(BaseModel):
    model: str
    start: float
    end: float
    task: str | None
    n: int
    metrics: dict[str, Any]
    model_config = ConfigDict(extra="allow")


class QualitySeries(BaseModel):
    model: str
    start: float
    end: float
    step: int
    points: list[dict[str, Any]]


class Result(BaseModel):
    kind: str
    window_start: float
    window_end: float
    value: float | None
    flagged: bool
    computed_at: float
    result: dict[str, Any]


class ResultList(BaseModel):
    results: list[Result]


class ActualStats(BaseModel):
    received: int
    matched: int
    unmatched: int
    unmatched_after_1h: int


class FeaturePolicyIn(BaseModel):
    model_config = _IN
    method: Literal["ks", "wasserstein", "psi", "jensenshannon", "hellinger", "kl_div", "chisquare", "ztest"] | None = (
        None
    )
    threshold: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] | None = None
    min_effect: Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)] | None = None


class DriftPolicyIn(BaseModel):
    model_config = _IN
    mode: Literal["adaptive", "evidently"] | None = None
    alpha: Annotated[float, Field(gt=0, lt=1)] | None = None
    drift_share: Annotated[float, Field(gt=0, le=1)] | None = None
    features: dict[Annotated[str, StringConstraints(max_length=200)], FeaturePolicyIn] | None = None


class DataQualityLimitsIn(BaseModel):
    model_config = _IN
    max_missing_share: Annotated[float, Field(ge=0, le=1)] | None = None
    max_type_error_share: Annotated[float, Field(ge=0, le=1)] | None = None
    max_out_of_range_share: Annotated[float, Field(ge=0, le=1)] | None = None
    new_categories: bool | None = None


class MonitoringIn(BaseModel):
    """What to change in a model's monitoring; fields left out keep their value."""

    model_config = _IN
    window_s: Annotated[int, Field(ge=300, le=7 * 86400, multiple_of=60)] | None = None
    drift: DriftPolicyIn | None = None
    data_quality: DataQualityLimitsIn | None = None


class Monitoring(BaseModel):
    window_s: int
    drift: dict[str, Any]
    data_quality: dict[str, Any]


def _window(start: str | None, end: str | None, default_span: float = 3600) -> tuple[float, float]:
    end_ts = parse_time(end, "end", time.time())
    return parse_time(start, "start", end_ts - default_span), end_ts


# -- references ------------------------------------------------------------------------------


def parse_table(body: bytes, content_type: str) -> dict[str, list[Any]]:
    """Columns of an uploaded table: CSV, a JSON array of rows or object of columns, NDJSON, Parquet."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        reader = csv.reader(io.StringIO(body.decode("utf-8-sig", errors="replace")))
        header = next(reader, None)
        if not header:
            raise InvalidInput("the CSV has no header row")
        rows = list(reader)
        width = len(header)
        for i, row in enumerate(rows):
            if len(row) != width:
                raise InvalidInput(f"CSV row {i + 2} has {len(row)} fields; the header has {width}")
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in header]
        return {name: list(col) for name, col in zip(header, cols, strict=True)}
    if kind in ("application/json", "application/x-ndjson", "application/jsonl"):
        try:
            if kind == "application/json":
                data = orjson.loads(body)
            else:
                data = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"the body is not valid JSON: {exc}") from None
        if isinstance(data, dict):
            if not all(isinstance(v, list) for v in data.values()):
                raise InvalidInput("a JSON object upload must map each column name to a list of values")
            return {str(k): v for k, v in data.items()}
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InvalidInput("a JSON upload is an array of row objects, or an object of columns")
        columns: dict[str, list[Any]] = {}
        for i, row in enumerate(data):
            for k, v in row.items():
                if isinstance(v, dict | list):
                    raise InvalidInput(f"row {i}, column '{k}': nested values are not supported")
                columns.setdefault(k, [None] * i).append(v)
            for col in columns.values():  # a row without a column: missing there
                if len(col) < i + 1:
                    col.append(None)
        return columns
    if kind in ("application/vnd.apache.parquet", "application/x-parquet", "application/parquet"):
        try:
            import pyarrow.parquet as pq  # type: ignore[import-not-found,import-untyped,unused-ignore]
        except ImportError:
            raise UnsupportedMediaType("Parquet uploads need pyarrow on the server: pip install pyarrow") from None
        table = pq.read_table(io.BytesIO(body))
        return {str(name): col.to_pylist() for name, col in zip(table.column_names, table.columns, strict=True)}
    raise UnsupportedMediaType(
        f"Content-Type '{kind}' is not supported: send text/csv, application/json, application/x-ndjson or "
        "application/vnd.apache.parquet"
    )


@router.post(
    "/models/{model}/references",
    status_code=201,
    response_model=Reference,
    responses=_CREATED,
    summary="Upload a reference dataset (e.g. the training data); it becomes the active reference",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def upload_reference(
    request: Request,
    model: ModelName,
    name: Annotated[str, Query(min_length=1, max_length=200, description="A name for this reference")],
    principal: Principal = Depends(require("edit")),
) -> Reference:
    svc = services(request)
    body = await read_body(request, svc.settings.max_reference_bytes)
    columns = await run_in_threadpool(parse_table, body, request.headers.get("content-type", ""))
    details = {"content_type": request.headers.get("content-type", ""), "bytes": len(body)}
    info = await run_in_threadpool(
        svc.drift.create_reference_from_columns, principal.project_id, model, name, columns, details
    )
    return Reference(**info.to_dict())


@router.post(
    "/models/{model}/references/window",
    status_code=201,
    response_model=Reference,
    responses=_CREATED,
    summary="Use a window of the model's own traffic (e.g. the first week of version 3) as its reference",
)
def window_reference(
    request: Request, model: ModelName, body: WindowReferenceIn, principal: Principal = Depends(require("edit"))
) -> Reference:
    info = services(request).drift.create_reference_from_window(
        principal.project_id,
        model,
        body.name,
        body.start,
        body.end,
        SeriesFilter(tuple(body.version), tuple(body.environment), parse_tag_filters(body.tag)),
    )
    return Reference(**info.to_dict())


@router.get("/models/{model}/references", response_model=ReferenceList, summary="A model's references")
def list_references(request: Request, model: ModelName, principal: Principal = Depends(require("read"))) -> Any:
    refs = services(request).drift.list_references(principal.project_id, model)
    return ReferenceList(references=[Reference(**r.to_dict()) for r in refs])


@router.post(
    "/models/{model}/references/{name}/activate",
    response_model=Reference,
    summary="Measure drift against this reference from now on",
)
def activate_reference(
    request: Request, model: ModelName, name: RefName, principal: Principal = Depends(require("edit"))
) -> Reference:
    return Reference(**services(request).drift.activate_reference(principal.project_id, model, name).to_dict())


@router.delete("/models/{model}/references/{name}", status_code=204, summary="Delete a reference")
def delete_reference(
    request: Request, model: ModelName, name: RefName, principal: Principal = Depends(require("edit"))
) -> Response:
    services(request).drift.delete_reference(principal.project_id, model, name)
    return Response(status_code=204)


# -- drift and data quality ------------------------------------------------------------------


def _report(
    request: Request,
    principal: Principal,
    model: str,
    start: str | None,
    end: str | None,
    version: list[str],
    environment: list[str],
    tag: list[str],
    reference: str | None,
) -> dict[str, Any]:
    svc = services(request)
    start_ts, end_ts = _window(start, end)
    policy = policy_from_config(svc.monitoring.config(principal.project_id, model))
    return svc.drift.report(
        principal.project_id,
        model,
        start_ts,
        end_ts,
        SeriesFilter(tuple(version), tuple(environment), parse_tag_filters(tag)),
        reference,
        policy,
    )


@router.get(
    "/models/{model}/drift",
    response_model=Report,
    summary="Per-feature and dataset drift of a window against the reference, and its data quality",
)
def drift_report(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006 - FastAPI copies defaults
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    reference: Annotated[
        str | None, Query(max_length=200, description="A reference by name; default: the active one")
    ] = None,
    principal: Principal = Depends(require("read")),
) -> Any:
    return _report(request, principal, model, start, end, version, environment, tag, reference)


@router.get(
    "/models/{model}/drift/report",
    response_class=HTMLResponse,
    responses={
        **json_errors(401, 403, 404, 422, 429),
        200: {"content": {"text/html": {}}, "description": "A self-contained HTML report"},
    },
    summary="The drift report as one self-contained HTML file (no network needed to open it)",
)
def drift_report_html(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    tag: Tags = [],  # noqa: B006
    reference: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = Depends(require("read")),
) -> HTMLResponse:
    from monitorx.reports.drift_html import render_drift_report

    report = _report(request, principal, model, start, end, version, environment, tag, reference)
    m = services(request).registry.get_model(principal.project_id, model)
    html = render_drift_report(
        {
            "model": {"name": m.name, "type": m.type, "versions": list(version), "environments": list(environment)},
            "window": report["window"],
            "reference": report["reference"],
            "drift": report["drift"],
            "data_quality": report["data_quality"] | {"rows": report["rows"]},
            "generated_at": time.time(),
        }
    )
    filename = f"drift-{m.name}-{int(report['window']['end'])}.html"
    return HTMLResponse(
        html,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            # The report is self-contained: it needs inline styles and nothing else.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; img-src data:",
        },
    )


# -- late labels and model quality -----------------------------------------------------------


@router.post(
    "/actuals",
    response_model=IngestAnswer,
    openapi_extra=body_schema(ActualBatch),
    responses={413: {**ERROR_RESPONSES[422], "description": "Body or batch too large"}},
    summary="Send ground truth for earlier predictions, by prediction id",
)
async def post_actuals(request: Request, principal: Principal = Depends(require("ingest"))) -> IngestAnswer:
    """A later label for the same prediction id replaces the earlier one."""
    svc = services(request)
    body = await read_body(request, svc.settings.max_body_bytes)
    result = await run_in_threadpool(svc.quality.ingest_actuals, principal.project_id, body)
    return IngestAnswer(batch_id=result.batch_id, accepted=result.accepted, duplicate=result.duplicate)


@router.get("/actuals/stats", response_model=ActualStats, summary="Labels received, matched and unmatched")
def actual_stats(request: Request, principal: Principal = Depends(require("read"))) -> Any:
    return services(request).quality.stats(principal.project_id)


@router.get(
    "/models/{model}/quality",
    response_model=Quality | QualitySeries,
    summary="Model quality from late labels, by the time of the original predictions",
)
def model_quality(
    request: Request,
    model: ModelName,
    start: Time = None,
    end: Time = None,
    step: Annotated[int | None, Query(ge=60, le=31 * 86400, description="Seconds; gives a series")] = None,
    version: Versions = [],  # noqa: B006
    environment: Environments = [],  # noqa: B006
    principal: Principal = Depends(require("read")),
) -> Any:
    svc = services(request)
    start_ts, end_ts = _window(start, end, default_span=86400)
    if step is not None:
        return svc.quality.series(
            principal.project_id, model, start_ts, end_ts, step, tuple(version), tuple(environment)
        )
    return svc.quality.quality(principal.project_id, model, start_ts, end_ts, tuple(version), tuple(environment))


# -- scheduled results and settings ----------------------------------------------------------


@router.get(
    "/models/{model}/results",
    response_model=ResultList,
    summary="Scheduled drift, data-quality and quality evaluations as a time series",
)
def monitor_results(
    request: Request,
    model: ModelName,
    kind: Annotated[Literal["drift", "data_quality", "quality"], Query()],
    start: Time = None,
    end: Time = None,
    principal: Principal = Depends(require("read")),
) -> Any:
    start_ts, end_ts = _window(start, end, default_span=7 * 86400)
    return ResultList.model_validate(
        {"results": services(request).monitoring.results(principal.project_id, model, kind, start_ts, end_ts)}
    )


@router.get("/models/{model}/monitoring", response_model=Monitoring, summary="A model's monitoring settings")
def get_monitoring(request: Request, model: ModelName, principal: Principal = Depends(require("read"))) -> Any:
    return services(request).monitoring.config(principal.project_id, model)


@router.patch(
    "/models/{model}/monitoring",
    response_model=Monitoring,
    summary="Change a model's evaluation window, drift policy or data-quality limits",
)
def set_monitoring(
    request: Request, model: ModelName, body: MonitoringIn, principal: Principal = Depends(require("edit"))
) -> Any:
    svc = services(request)
    current = svc.monitoring.config(principal.project_id, model)
    change = body.model_dump(exclude_none=True)
    return svc.monitoring.set_config(principal.project_id, model, _overlay(current, change))


def _overlay(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in change.items():
        out[k] = _overlay(base.get(k, {}), v) if isinstance(v, dict) and k != "features" else v
    return out
