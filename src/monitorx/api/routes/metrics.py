"""``GET /metrics``: the project's figures for Prometheus (a ``read`` key, e.g. a scrape job's bearer token)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from monitorx.api.errors import json_errors
from monitorx.api.security import require, services
from monitorx.services.keys import Principal

router = APIRouter(tags=["metrics"], responses=json_errors(401, 403, 429))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format 0.0.4"}},
    summary="The project's models and hosts as Prometheus gauges",
)
async def metrics(request: Request, principal: Principal = Depends(require("read"))) -> PlainTextResponse:
    """Scrape with ``authorization: {credentials: <a read key>}`` in the Prometheus job."""
    text = await run_in_threadpool(services(request).exposition.render, principal.project_id)
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
