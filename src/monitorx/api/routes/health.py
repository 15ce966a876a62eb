"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from monitorx import __version__
from monitorx.api.security import services
from monitorx.errors import SchemaError
from monitorx.store import migrate

router = APIRouter(tags=["health"])


class Status(BaseModel):
    status: str
    version: str
    detail: str = ""


@router.get("/health", response_model=Status, summary="Liveness: the process answers")
async def health() -> Status:
    return Status(status="ok", version=__version__)


@router.get(
    "/ready",
    response_model=Status,
    responses={503: {"model": Status, "description": "Not ready"}},
    summary="Readiness: the database answers and its schema is current",
)
async def ready(request: Request) -> JSONResponse:
    svc = services(request)

    def check() -> str:
        with svc.db.read() as conn:
            conn.execute(text("SELECT 1"))
        migrate.check(svc.db.engine)
        return ""

    try:
        await run_in_threadpool(check)
    except SchemaError as exc:
        return JSONResponse(Status(status="unavailable", version=__version__, detail=exc.message).model_dump(), 503)
    except Exception as exc:  # any database failure means "not ready", never a 500
        return JSONResponse(
            Status(status="unavailable", version=__version__, detail=f"database: {type(exc).__name__}").model_dump(),
            503,
        )
    return JSONResponse(Status(status="ok", version=__version__).model_dump())
