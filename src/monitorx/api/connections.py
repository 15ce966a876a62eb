"""Spreading keep-alive connections over server processes (``monitorx serve --workers N``).

Worker processes share one listening socket, and whichever is idle when a client connects takes the
connection, often all of a client's connections at once. A client that keeps its connections open
would then feed one process while the others idle. Like nginx's ``keepalive_requests``, a connection
is closed (``Connection: close``) after a number of requests; the client reconnects at once, and the
least busy process, the first to wake, takes the new connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

REQUESTS_PER_CONNECTION = 25
_TRACKED_MAX = 10_000  # connections that closed by themselves leave their count behind; bound them


class RecycleConnections:
    def __init__(self, app: Callable[..., Awaitable[None]], requests: int = REQUESTS_PER_CONNECTION) -> None:
        self.app = app
        self.requests = requests
        self._served: dict[Any, int] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None:
            await self.app(scope, receive, send)
            return
        key = (client[0], client[1])
        served = self._served.pop(key, 0) + 1
        last = served >= self.requests
        if not last:
            if len(self._served) >= _TRACKED_MAX:
                self._served.clear()
            self._served[key] = served

        async def send_closing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, send_closing if last else send)
