"""The database handle services use: an engine plus the rule for writing to it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text

from monitorx.store.engine import is_sqlite, make_engine


class Database:
    """One engine and its write discipline.

    SQLite has a single writer: instead of letting request threads fight over the file lock
    (and back off with ``busy_timeout``), writes in this process queue on one lock. PostgreSQL
    takes concurrent writers, so there the lock is not used.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self._write_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction for writing: committed on exit, rolled back on error."""
        if self.sqlite:
            with self._write_lock, self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    @contextmanager
    def exclusive(self, key: int) -> Iterator[bool]:
        """Whether this process may do once-only work (maintenance, evaluation) now.

        On PostgreSQL a session advisory lock decides among replicas: the holder's session ends if
        it dies, freeing the lock for another. A SQLite file has one server process: always True.
        """
        if self.sqlite:
            yield True
            return
        with self.engine.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()
