"""Engines for SQLite and PostgreSQL, configured for how MonitorX uses them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; the engine kind is picked from the URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # pre_ping: replicas outlive database restarts and idle-connection reaping by proxies.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_engine(url: str) -> Engine:
    # The default pool keeps connections open: reopening costs more than the pragmas below.
    # check_same_thread=False: requests run in a thread pool; writes are serialised by the store.
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers (queries, the dashboard) run while the single writer commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode never corrupts; a power cut may lose the last commits, not an OS crash.
        # Acknowledged batches survive a process crash, which is the promise we make.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Wait for a writer in another process (e.g. `monitorx keys create` while serving).
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache: rollup scans stay in memory
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return engine
