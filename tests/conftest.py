"""Fixtures shared by every test: real databases (SQLite and PostgreSQL) and real servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_URL = os.environ.get("MONITORX_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_PG_TEMPLATE = f"monitorx_tpl_{os.getpid()}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        action="append",
        choices=["sqlite", "postgresql"],
        help="databases for storage tests (default: both; PostgreSQL skips locally if down, never in CI)",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test clones (CREATE DATABASE … TEMPLATE is fast)."""
    if not _pg_available():
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    import psycopg

    from monitorx.store import migrate
    from monitorx.store.database import Database

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}"')
        conn.execute(f'CREATE DATABASE "{_PG_TEMPLATE}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{_PG_TEMPLATE}"
    db = Database.from_url(url.replace("postgresql://", "postgresql+psycopg://"))
    migrate.upgrade(db.engine)
    db.dispose()
    yield _PG_TEMPLATE
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from monitorx.store import migrate
    from monitorx.store.database import Database

    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = Database.from_url(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return path


def _make_pg_db(template: str) -> tuple[str, Any]:
    import psycopg

    name = f"monitorx_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", drop


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        kinds = metafunc.config.getoption("--db") or ["sqlite", "postgresql"]
        if metafunc.definition.get_closest_marker("postgresql_only"):
            kinds = ["postgresql"]
        metafunc.parametrize("db_kind", kinds, indirect=False, scope="function")


@pytest.fixture
def database_url(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of each kind: the same test runs on SQLite and PostgreSQL."""
    if db_kind == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "monitorx.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        url, drop = _make_pg_db(request.getfixturevalue("pg_template"))
        yield url
        drop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Any:
    from monitorx.config import Settings

    return Settings(database_url=database_url, data_dir=tmp_path / "data", maintenance_interval_s=3600)


@pytest.fixture
def services(settings: Any) -> Iterator[Any]:
    from monitorx.services.container import Services

    svc = Services(settings)
    svc.start()
    yield svc
    svc.close()


class Api:
    """A TestClient on the real app and database, holding the bootstrap admin key."""

    def __init__(self, client: Any, token: str, services: Any) -> None:
        self.client = client
        self.token = token
        self.services = services

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def post(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {}).update(self.headers(token))
        return self.client.post(path, **kw)

    def get(self, path: str, token: str | None = None, **kw: Any) -> httpx.Response:
        kw.setdefault("headers", {}).update(self.headers(token))
        return self.client.get(path, **kw)

    def key(self, *scopes: str) -> str:
        r = self.post("/api/v1/keys", json={"name": "test", "scopes": list(scopes)})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])


@pytest.fixture
def api(settings: Any) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from monitorx.api.app import create_app
    from monitorx.services.container import Services

    svc = Services(settings)
    boot = svc.start()
    assert boot.admin_token
    with TestClient(create_app(settings, svc)) as client:
        yield Api(client, boot.admin_token, svc)


# -- a real server in a subprocess --------------------------------------------------------------


class LiveServer:
    """``monitorx serve`` in a subprocess on a free loopback port, SQLite in a temp dir."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        from monitorx.services.keys import new_token

        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = new_token()[0]
        self.env = {**os.environ, "MONITORX_ADMIN_KEY": self.api_key, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def start(self, timeout: float = 30.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "monitorx.cli.commands",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not become ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "server")
    server.start()
    yield server
    server.stop()
