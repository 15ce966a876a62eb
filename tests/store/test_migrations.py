"""Migrations produce exactly the tables the code declares, and every one of them goes down again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from monitorx.errors import SchemaError
from monitorx.store import migrate
from monitorx.store.database import Database
from monitorx.store.tables import metadata


@pytest.fixture
def empty_db(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if db_kind == "sqlite":
        db = Database.from_url(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    import psycopg

    from conftest import PG_ADMIN_URL, _pg_available

    if not _pg_available():
        request.getfixturevalue("pg_template")  # fails in CI, skips locally
    name = f"monitorx_m_{tmp_path.name[-12:].replace('-', '_').lower()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database.from_url(
        PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    )
    yield db
    db.dispose()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    kinds = request.config.getoption("--db") or ["sqlite", "postgresql"]
    if request.param not in kinds:
        pytest.skip(f"--db excludes {request.param}")
    return str(request.param)


def test_upgrading_an_empty_database_yields_exactly_the_declared_schema(empty_db: Database) -> None:
    migrate.upgrade(empty_db.engine)
    with empty_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == [], (
        "the migrations and monitorx/store/tables.py disagree. Write a migration for the change: "
        "alembic revision --autogenerate (see CONTRIBUTING.md), then check it by hand.\n" + "\n".join(map(str, diff))
    )
    assert migrate.current(empty_db.engine) == migrate.head()
    migrate.check(empty_db.engine)


def test_every_migration_downgrades_and_upgrades_again(empty_db: Database) -> None:
    migrate.upgrade(empty_db.engine)
    migrate.downgrade(empty_db.engine, "base")
    tables = set(inspect(empty_db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrate.upgrade(empty_db.engine)
    assert set(inspect(empty_db.engine).get_table_names()) >= set(metadata.tables)


def test_an_unknown_revision_fails_loudly(empty_db: Database) -> None:
    migrate.upgrade(empty_db.engine)
    with empty_db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    with pytest.raises(SchemaError, match="newer MonitorX"):
        migrate.upgrade(empty_db.engine)
    with pytest.raises(SchemaError, match="newer MonitorX"):
        migrate.check(empty_db.engine)


def test_an_empty_database_is_not_ready_without_migrations(empty_db: Database) -> None:
    with pytest.raises(SchemaError, match="monitorx db upgrade"):
        migrate.check(empty_db.engine)
