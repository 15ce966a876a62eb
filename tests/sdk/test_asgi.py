"""The ASGI middleware on a real Starlette app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from monitorx.sdk.integrations.asgi import MonitorXMiddleware
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeServer

MakePipeline = Callable[..., Pipeline]


async def item(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["item_id"]})


async def unavailable(request: Request) -> PlainTextResponse:
    return PlainTextResponse("busy", status_code=503)


async def missing(request: Request) -> PlainTextResponse:
    return PlainTextResponse("no", status_code=404)


async def boom(request: Request) -> PlainTextResponse:
    raise ValueError("handler bug")


async def health(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def make_app() -> Starlette:
    app = Starlette(
        routes=[
            Route("/items/{item_id}", item),
            Route("/busy", unavailable),
            Route("/missing", missing),
            Route("/boom", boom),
            Route("/health", health),
        ]
    )
    app.add_middleware(MonitorXMiddleware, model="api", version="1", exclude_paths=["/health"])
    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://app.test")


def test_every_request_is_recorded(make_pipeline: MakePipeline, fake_server: FakeServer) -> None:
    pipeline = make_pipeline(fake_server)

    async def main() -> None:
        async with client() as http:
            assert (await http.get("/items/42")).json() == {"id": "42"}
            assert (await http.get("/busy")).status_code == 503
            assert (await http.get("/missing")).status_code == 404
            with pytest.raises(ValueError, match="handler bug"):
                await http.get("/boom")
            assert (await http.get("/health")).text == "ok"

    asyncio.run(main())
    assert pipeline.flush()
    events = fake_server.items()
    assert [(e["tags"]["endpoint"], e["tags"]["status"], e["error"], e.get("error_type")) for e in events] == [
        ("/items/{item_id}", "200", False, None),  # the route template, not /items/42
        ("/busy", "503", True, "HTTP 503"),
        ("/missing", "404", False, None),  # a client's mistake is not the model's error
        ("/boom", "500", True, "ValueError"),
    ]
    assert all(e["model"] == "api" and e["version"] == "1" and e["latency_ms"] >= 0 for e in events)
    assert events[0]["tags"]["method"] == "GET"


def test_without_monitorx_the_app_is_untouched() -> None:
    async def main() -> None:
        async with client() as http:
            assert (await http.get("/items/1")).json() == {"id": "1"}

    asyncio.run(main())
