"""``GET /api/v1/stream``: live model health pushed to the dashboard as server-sent events.

One ``health`` event every ``stream_interval_s`` seconds carries what ``GET /api/v1/models`` and
``GET /api/v1/hosts`` answer, so a page updates without polling. A client that does not send
``Accept: text/event-stream`` gets one event and the end of the answer. A stream ends after a few minutes
(the browser's EventSource reconnects by itself), which keeps a forgotten tab from holding a
connection, and a server shutdown from waiting on it, for long.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.security import require, services
from monitorx.services.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["query"], responses=ERROR_RESPONSES)
STREAM_LIFETIME_S = 120.0


# Every open tab of a project gets the same snapshot: one query per project and second, not per tab.
_SHARED_FOR_S = 1.0
_lock = threading.Lock()


def _snapshot(request: Request, project_id: int) -> dict[str, Any]:
    svc = services(request)
    now = time.monotonic()
    with _lock:
        shared: dict[int, tuple[float, dict[str, Any]]] | None = getattr(request.app.state, "stream_snapshots", None)
        if shared is None:
            shared = request.app.state.stream_snapshots = {}
        hit = shared.get(project_id)
    if hit is not None and now - hit[0] < _SHARED_FOR_S:
        return hit[1]
    data = {
        "time": time.time(),
        "models": svc.query.list_models(project_id),
        "hosts": svc.query.hosts(project_id),
    }
    with _lock:
        shared[project_id] = (now, data)
    return data


@router.get(
    "/stream",
    summary="Live updates: server-sent events with every model's health and every host's latest sample "
    "(one event unless the request accepts text/event-stream)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "`event: health` every few seconds"}},
)
async def stream(
    request: Request,
    interval: Annotated[float | None, Query(gt=0.5, le=120, description="Seconds between events")] = None,
    principal: Principal = Depends(require("read")),
) -> StreamingResponse:
    every = interval or services(request).settings.stream_interval_s
    # A client that does not ask for an event stream (curl, a fuzzer) gets one snapshot, not a hang.
    lifetime = STREAM_LIFETIME_S if "text/event-stream" in request.headers.get("accept", "") else 0.0

    async def events() -> AsyncIterator[bytes]:
        yield f"retry: {int(every * 1000)}\n\n".encode()
        deadline = time.monotonic() + lifetime
        while True:
            data = await run_in_threadpool(_snapshot, request, principal.project_id)
            yield b"event: health\ndata: " + orjson.dumps(data) + b"\n\n"
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(every)
            if await request.is_disconnected():
                return

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
