"""One place maps MonitorX's errors (and the framework's) to HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from monitorx.errors import MonitorXError, RateLimited
from monitorx.services.ingest import _loc_str


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    message: str
    errors: list[ErrorItem] = []


def _describe(status: int, what: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": what}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _describe(400, "The body is not valid JSON, or not valid gzip"),
    401: _describe(401, "No API key, or an unknown, revoked or expired one"),
    403: _describe(403, "The API key lacks the scope"),
    404: _describe(404, "No such object in this project"),
    422: _describe(422, "A value is invalid; `errors[].loc` names it"),
    429: _describe(429, "Rate limit; retry after the `Retry-After` header's seconds"),
}


def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error answers documented as JSON, for routes whose success is not (HTML, plain text).

    FastAPI would otherwise document them in the route's own media type.
    """
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {
        code: {"description": ERROR_RESPONSES[code]["description"], "content": {"application/json": {"schema": schema}}}
        for code in codes
    }


def _json(
    status: int,
    message: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse({"message": message, "errors": errors or []}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(MonitorXError)
    async def _monitorx(_: Request, exc: MonitorXError) -> JSONResponse:
        headers = None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(max(1, round(exc.retry_after + 0.5)))}
        return _json(exc.status, exc.message, getattr(exc, "errors", None), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errs = [
            {
                "loc": [str(p) if not isinstance(p, int) else p for p in e["loc"]],
                "msg": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errs):
            return _json(400, "the body is not valid JSON", errs)
        first = errs[0] if errs else {"loc": [], "msg": "invalid request"}
        return _json(422, f"{_loc_str(tuple(first['loc'])) or 'request'}: {first['msg']}", errs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _json(exc.status_code, str(exc.detail), None, dict(exc.headers or {}))
