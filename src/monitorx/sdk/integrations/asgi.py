"""ASGI middleware (FastAPI, Starlette, any ASGI app): every HTTP request is an inference.

Plain ASGI, so it imports no framework::

    app.add_middleware(MonitorXMiddleware, model="api", version="1")   # FastAPI / Starlette
    app = MonitorXMiddleware(app, model="api")                          # any ASGI app

Recorded per request: the latency until the app returned (the response fully sent),
``error`` for a 5xx answer or an exception (which propagates unchanged), and tags
``endpoint`` (the route's path template when the framework sets ``scope["route"]``, as
Starlette and FastAPI do, else the raw path), ``method`` and ``status``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, MutableMapping
from time import perf_counter, time
from typing import Any

from monitorx.sdk.recording import HOT, serve
from monitorx.sdk.records import SINGLE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class MonitorXMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        model: str,
        version: str | None = None,
        *,
        environment: str | None = None,
        exclude_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.model = model
        self.version = version
        self.environment = environment
        self.exclude_paths = frozenset(exclude_paths)
        serve(model, version)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or HOT.events is None or scope.get("path") in self.exclude_paths:
            await self.app(scope, receive, send)
            return
        status = 500  # if the app raises before answering, the server answers 500
        start_wall = time()
        start = perf_counter()

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception as exc:
            self._record(scope, start_wall, (perf_counter() - start) * 1000.0, 500, exc.__class__.__name__)
            raise
        self._record(scope, start_wall, (perf_counter() - start) * 1000.0, status, None)

    def _record(self, scope: Scope, start_wall: float, latency_ms: float, status: int, error_type: str | None) -> None:
        channel = HOT.events
        if channel is None:
            return
        try:
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or scope.get("path", "")
            tags = {"endpoint": endpoint, "method": scope.get("method", ""), "status": str(status)}
            failed = error_type is not None or status >= 500
            if failed and error_type is None:
                error_type = f"HTTP {status}"
            channel.append(
                (SINGLE, start_wall, self.model, self.version, self.environment, latency_ms, failed,
                 error_type, None, None, None, tags, None, None, None, None, None, None)
            )  # fmt: skip
            channel.tick()
        except Exception:  # noqa: S110 - recording must never fail the caller's call
            pass
