"""Writes: inference events and host samples."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool

from monitorx.api.body import read_body
from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.models import IngestAnswer
from monitorx.api.security import require, services
from monitorx.services.keys import Principal
from monitorx.services.schemas import EventBatch, ResourceBatch

router = APIRouter(prefix="/api/v1", tags=["ingest"], responses=ERROR_RESPONSES)
_TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {**ERROR_RESPONSES[422], "description": "Body or batch too large"}}


# Schemas referenced by bodies we document by hand; the app adds them to the OpenAPI components.
BODY_SCHEMAS: dict[str, Any] = {}


def body_schema(model: type) -> dict[str, Any]:
    """Document a body we parse ourselves (one pass in pydantic-core, not FastAPI's two)."""
    schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
    BODY_SCHEMAS.update(schema.pop("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


@router.post(
    "/events",
    response_model=IngestAnswer,
    responses=_TOO_LARGE,
    openapi_extra=body_schema(EventBatch),
    summary="Send a batch of inference events",
)
async def post_events(request: Request, principal: Principal = Depends(require("ingest"))) -> IngestAnswer:
    """Store a batch in one transaction. Re-sending a batch id stores nothing twice."""
    svc = services(request)
    body = await read_body(request, svc.settings.max_body_bytes)
    result = await run_in_threadpool(svc.ingest.ingest_events, principal.project_id, body)
    return IngestAnswer(batch_id=result.batch_id, accepted=result.accepted, duplicate=result.duplicate)


@router.post(
    "/resources",
    response_model=IngestAnswer,
    responses=_TOO_LARGE,
    openapi_extra=body_schema(ResourceBatch),
    summary="Send host resource samples (CPU, memory, disk, GPUs)",
)
async def post_resources(request: Request, principal: Principal = Depends(require("ingest"))) -> IngestAnswer:
    svc = services(request)
    body = await read_body(request, svc.settings.max_body_bytes)
    result = await run_in_threadpool(svc.ingest.ingest_resources, principal.project_id, body)
    return IngestAnswer(batch_id=result.batch_id, accepted=result.accepted, duplicate=result.duplicate)
