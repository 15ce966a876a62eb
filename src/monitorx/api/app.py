"""The ASGI application: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from monitorx import __version__
from monitorx.api import errors
from monitorx.api.connections import RecycleConnections
from monitorx.api.routes import admin, health, ingest, metrics, monitoring, query, session
from monitorx.api.routes.alerts import router as alerts_router
from monitorx.api.security import SecurityHeaders
from monitorx.config import Settings
from monitorx.services.container import Services
from monitorx.web import router as web
from monitorx.web import stream

log = logging.getLogger("monitorx")
_DOCS_ASSETS = Path(fastapi_offline.__file__).with_name("static")


class ConfigurationError(RuntimeError):
    pass


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    if not settings.auth and not settings.is_loopback:
        raise ConfigurationError(
            f"refusing to run without authentication on {settings.host}: auth may be turned off only on a "
            "loopback address (127.0.0.1, ::1, localhost)"
        )
    svc = services or Services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        boot = await run_in_threadpool(svc.start)
        if boot.admin_token:  # never log the key itself: logs get shipped and kept
            where = f"it is in {boot.key_file}" if boot.key_file else "set MONITORX_ADMIN_KEY to choose it"
            log.warning("created project '%s' and its first admin API key; %s", settings.default_project, where)
        task = asyncio.create_task(_maintenance_loop(svc))
        alert_task = asyncio.create_task(svc.alerting.run())  # evaluates only on the leading replica
        try:
            yield
        finally:
            task.cancel()
            alert_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            with contextlib.suppress(asyncio.CancelledError):
                await alert_task
            svc.close()

    app = FastAPI(
        title="MonitorX",
        version=__version__,
        description="Monitoring for machine-learning models in production. See docs/api.md.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = svc
    errors.install(app)
    app.include_router(health.router)
    app.include_router(ingest.router)
    app.include_router(query.router)
    app.include_router(admin.router)
    app.include_router(alerts_router)
    app.include_router(monitoring.router)
    app.include_router(metrics.router)
    app.include_router(session.router)
    app.include_router(stream.router)
    _docs(app)
    app.include_router(web.build_router())  # the dashboard, at /
    app.add_middleware(SecurityHeaders)
    if settings.workers > 1:
        app.add_middleware(RecycleConnections)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "Content-Encoding"],
        )
    return app


def _docs(app: FastAPI) -> None:
    app.mount("/_docs", StaticFiles(directory=_DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="MonitorX API",
            swagger_js_url="/_docs/swagger-ui-bundle.js",
            swagger_css_url="/_docs/swagger-ui.css",
            swagger_favicon_url="/_docs/favicon.png",
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(ingest.BODY_SCHEMAS)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _maintenance_loop(svc: Services) -> None:
    while True:
        await asyncio.sleep(svc.settings.maintenance_interval_s)
        try:
            report = await run_in_threadpool(svc.maintenance.run)
            if report and (report.partials_merged or report.hours_built or any(report.deleted.values())):
                log.info("maintenance: %s", report)
        except Exception:  # keep serving; the next pass retries
            log.exception("maintenance pass failed")
        try:  # after maintenance, so the hour just sealed is read as one row per feature
            evaluated = await run_in_threadpool(svc.monitoring.run)
            if evaluated and (evaluated.drift or evaluated.quality or evaluated.errors):
                log.info("monitoring: %s", evaluated)
        except Exception:
            log.exception("monitoring pass failed")
