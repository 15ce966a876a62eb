from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from monitorx.sdk import runtime
from monitorx.sdk.config import Config
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeClock, FakeServer


@pytest.fixture(autouse=True)
def _no_sdk_left_running() -> Iterator[None]:
    """Each test starts and ends without an installed pipeline."""
    runtime.shutdown(timeout=0)
    yield
    runtime.shutdown(timeout=0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_server() -> FakeServer:
    return FakeServer()


@pytest.fixture
def make_pipeline(clock: FakeClock) -> Iterator[Callable[..., Pipeline]]:
    """An unstarted pipeline on the fake clock, installed so monitorx.log & co. feed it."""
    made: list[Pipeline] = []

    def make(server: FakeServer, *, install: bool = True, **options: Any) -> Pipeline:
        options.setdefault("url", "http://monitorx.test")
        pipeline = Pipeline(Config(**options), transport=server.transport, clock=clock, rng=random.Random(7))
        if install:
            runtime.install(pipeline)
        made.append(pipeline)
        return pipeline

    yield make
    for pipeline in made:
        pipeline.close(0)


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Any:
    """The real MonitorX server (``live_server`` from tests/conftest.py), in a subprocess."""
    try:
        return request.getfixturevalue("live_server")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py provides no live_server fixture")
