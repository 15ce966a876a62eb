"""Who is calling (API keys, scopes, rate limits) and the headers every answer carries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from monitorx.errors import RateLimited
from monitorx.services.container import Services
from monitorx.services.keys import Principal

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer mx_…")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: mx_…")
# A signed-in browser: the session cookie, and on every change the CSRF token echoed in a header.
SESSION_COOKIE = "mx_session"
CSRF_COOKIE = "mx_csrf"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def require(scope: str) -> Callable[..., Principal]:
    """A dependency giving the caller's Principal, if its key (or signed-in user's role) has ``scope``."""

    def dependency(
        request: Request,
        bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
        header: str | None = Depends(_header),
    ) -> Principal:
        svc = services(request)
        if not svc.settings.auth:
            assert svc.boot is not None
            return Principal(svc.boot.project_id, "anonymous", frozenset({"admin"}))
        token = bearer.credentials if bearer else header
        cookie = request.cookies.get(SESSION_COOKIE)
        if token is None and cookie:  # an API key, when sent, wins over a session
            unsafe = request.method not in _SAFE_METHODS
            principal: Principal = svc.users.authenticate(cookie, request.headers.get(CSRF_HEADER), unsafe)[0]
        else:
            principal = svc.keys.authenticate(token)
        wait = svc.limiter.check(principal.key_id)
        if wait:
            raise RateLimited(f"rate limit of {svc.settings.rate_limit_per_s:g} requests/s for this key", wait)
        principal.require(scope)
        return principal

    return dependency


API_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"geolocation=(), microphone=(), camera=()"),
]
# JSON answers never need to load anything; the docs page needs its (local) scripts and styles.
_API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
_PAGE_CSP = (
    b"content-security-policy",
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; object-src 'none'",
)


class SecurityHeaders:
    """A plain ASGI middleware (cheaper than BaseHTTPMiddleware on the ingest path)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(API_HEADERS)
                headers.append(_API_CSP if is_api else _PAGE_CSP)
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
