"""Schema migrations: upgrade, report and check the revision of a database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from monitorx.errors import SchemaError

_SCRIPTS = Path(__file__).with_name("migrations")
# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises replicas' migrations.
_MIGRATION_LOCK = 0x4D4F4E58_0001


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    heads = ScriptDirectory(str(_SCRIPTS)).get_heads()
    assert len(heads) == 1, f"migrations must have one head, found {heads}"
    return heads[0]


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to call from several replicas at once."""
    _refuse_unknown(engine)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        command.upgrade(_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def check(engine: Engine) -> None:
    """Raise SchemaError unless the database is at this MonitorX's head revision."""
    _refuse_unknown(engine)
    rev = current(engine)
    if rev != head():
        raise SchemaError(
            f"the database is at revision {rev or 'none (empty)'}, this MonitorX needs {head()}: "
            "run `monitorx db upgrade`"
        )


def _refuse_unknown(engine: Engine) -> None:
    rev = current(engine)
    if rev is None:
        return
    scripts = ScriptDirectory(str(_SCRIPTS))
    if rev not in {s.revision for s in scripts.walk_revisions()}:
        raise SchemaError(
            f"the database is at revision {rev}, which this MonitorX does not know: it was written by a "
            "newer MonitorX. Upgrade MonitorX, or point it at another database."
        )
