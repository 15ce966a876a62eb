"""The dashboard: one HTML shell for every page, its ES modules and styles, and the chart library.

Everything is served by this process from the package (no CDN, no build step). Static files live
under ``/static/<version>/…`` where the version is a digest of their contents, so browsers may
cache them for a year and still never run a stale module after an upgrade. Plotly (4.8 MB) is
served from the ``plotly`` package, gzip-compressed once in memory (~1.4 MB on the wire), and only
pages that draw charts load it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import mimetypes
import threading
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from monitorx.api.routes.session import NO_AUTO_COOKIE, set_session_cookies
from monitorx.api.security import SESSION_COOKIE, services
from monitorx.errors import MonitorXError

STATIC = Path(__file__).with_name("static")
_LONG_CACHE = "public, max-age=31536000, immutable"
# No inline script anywhere: the page and its modules come from 'self' only. Plotly injects styles.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'"
)
_COMPRESSIBLE = (".js", ".css", ".html", ".svg", ".json")
PAGES = (
    "/",
    "/login",
    "/models/{model}",
    "/models/{model}/drift",
    "/alerts",
    "/keys",
    "/users",
)


def plotly_path() -> Path | None:
    """plotly.min.js from the ``plotly`` package, if it is installed."""
    spec = importlib.util.find_spec("plotly")  # located, not imported: importing plotly takes seconds
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).with_name("package_data") / "plotly.min.js"
    return path if path.exists() else None


def _asset_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(STATIC).as_posix().encode())
            h.update(p.read_bytes())
    vendor = plotly_path()
    if vendor is not None:
        h.update(str(vendor.stat().st_size).encode())
    return h.hexdigest()[:12]


class _Assets:
    """Static files read once and kept, raw and gzip-compressed, in memory."""

    def __init__(self) -> None:
        self.version = _asset_version()
        self._cache: dict[str, tuple[bytes, bytes | None, str]] = {}
        self._lock = threading.Lock()

    def get(self, rel: str) -> tuple[bytes, bytes | None, str] | None:
        with self._lock:
            hit = self._cache.get(rel)
        if hit is not None:
            return hit
        if rel == "vendor/plotly.min.js":
            path = plotly_path()
        else:
            path = (STATIC / rel).resolve()
            if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
                path = None
        if path is None:
            return None
        raw = path.read_bytes()
        zipped = gzip.compress(raw, compresslevel=9, mtime=0) if path.suffix in _COMPRESSIBLE else None
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".js":
            ctype = "text/javascript"
        entry = (raw, zipped, ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        with self._lock:
            self._cache[rel] = entry
        return entry


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    assets = _Assets()
    shell = (STATIC / "index.html").read_text().replace("{{static}}", f"/static/{assets.version}")

    async def page(request: Request) -> HTMLResponse:
        response = HTMLResponse(
            shell, headers={"Cache-Control": "no-cache", "Content-Security-Policy": PAGE_CSP, "Vary": "Cookie"}
        )
        await run_in_threadpool(_auto_sign_in, request, response)
        return response

    for path in PAGES:
        router.add_api_route(path, page, methods=["GET"], response_class=HTMLResponse)

    @router.get("/static/{version}/{rel:path}")
    async def static(request: Request, version: str, rel: str) -> Response:
        entry = await run_in_threadpool(assets.get, rel)
        if entry is None:
            missing = "the chart library (pip install plotly)" if rel.startswith("vendor/") else rel
            return Response(f"not found: {missing}", status_code=404, media_type="text/plain")
        raw, zipped, ctype = entry
        headers = {
            "Cache-Control": _LONG_CACHE if version == assets.version else "no-cache",
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        }
        if zipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(zipped, media_type=ctype, headers=headers)
        return Response(raw, media_type=ctype, headers=headers)

    @router.get("/favicon.ico")
    async def favicon() -> Response:
        entry = await run_in_threadpool(assets.get, "img/favicon.svg")
        assert entry is not None
        return Response(entry[0], media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    return router


def _auto_sign_in(request: Request, response: Response) -> None:
    """``monitorx demo`` on a loopback address: a browser without a session becomes the demo user."""
    svc = services(request)
    s = svc.settings
    if not (s.auth and s.demo_user and s.is_loopback) or request.cookies.get(NO_AUTO_COOKIE):
        return
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            svc.users.authenticate(cookie, None, False)
            return
        except MonitorXError:
            pass
    try:
        session = svc.users.open_session(svc.users.user_id(s.demo_user))
    except MonitorXError:
        return
    set_session_cookies(request, response, session)
