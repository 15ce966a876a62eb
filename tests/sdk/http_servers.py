"""Small real HTTP servers for the failure cases the real MonitorX server should not fake:
a proxy that fails the first N requests, and a socket that accepts and never answers."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import httpx


class FlakyProxy:
    """Forwards to ``target``, but answers 500 to the first ``fail_first`` POSTs.

    ``mode="before"``: the failing requests never reach the target. ``mode="after"``: they
    do (the target stores the batch) and the client still sees a 500, as when an answer is
    lost; the client's retry with the same batch id must then be a no-op there.
    """

    def __init__(self, target: str, fail_first: int, mode: Literal["before", "after"]) -> None:
        self.target = target.rstrip("/")
        self.fail_first = fail_first
        self.mode = mode
        self.posts: list[tuple[str, int]] = []  # (path, status answered)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with proxy._lock:
                    failing = len(proxy.posts) < proxy.fail_first
                    proxy.posts.append((self.path, 0))
                    index = len(proxy.posts) - 1
                status, content, content_type = 500, b'{"message":"flaky proxy"}', "application/json"
                if not failing or proxy.mode == "after":
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                    answer = httpx.post(proxy.target + self.path, content=body, headers=headers, timeout=30)
                    if not failing:
                        status, content = answer.status_code, answer.content
                        content_type = answer.headers.get("content-type", "application/json")
                with proxy._lock:
                    proxy.posts[index] = (self.path, status)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SilentServer:
    """Accepts TCP connections and never reads or answers: the worst kind of down."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for conn in self.accepted:
            conn.close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
