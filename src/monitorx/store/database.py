"""The database handle services use: an engine plus the rule for writing to it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from monitorx.store.engine import is_sqlite, make_engine

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one server process per SQLite file
    fcntl = None  # type: ignore[assignment]

# Lock names: the SQLite writer, start-up (migrations, bootstrap). Once-only work passes its own number.
WRITE = "write"
START = "start"


class FileLocks:
    """Locks shared by the processes serving one SQLite file: ``flock`` on small files beside it.

    Each name is a file in ``<database>-locks/``, opened once per handle. ``flock`` belongs to the
    open file, so two handles (or threads) in one process exclude each other as two processes do, and
    the kernel frees a dead process's locks. A waiter is woken the moment the holder lets go, unlike
    SQLite's busy handler, which sleeps and polls.
    """

    def __init__(self, database: str | None) -> None:
        self.dir = None if fcntl is None or not database or database == ":memory:" else Path(database + "-locks")
        self._files: dict[str, int] = {}
        self._threads: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _slot(self, name: str) -> tuple[threading.Lock, int | None]:
        with self._guard:
            lock = self._threads.setdefault(name, threading.Lock())
            fd = self._files.get(name)
            if fd is None and self.dir is not None:
                self.dir.mkdir(mode=0o700, exist_ok=True)
                fd = self._files[name] = os.open(self.dir / name, os.O_RDWR | os.O_CREAT, 0o600)
            return lock, fd

    def acquire(self, name: str, blocking: bool = True) -> bool:
        lock, fd = self._slot(name)
        if not lock.acquire(blocking):
            return False
        if fd is None:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.release()
            return False
        except BaseException:
            lock.release()
            raise
        return True

    def release(self, name: str) -> None:
        lock, fd = self._slot(name)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
        lock.release()

    @contextmanager
    def hold(self, name: str) -> Iterator[None]:
        self.acquire(name)
        try:
            yield
        finally:
            self.release(name)

    def close(self) -> None:
        with self._guard:
            for fd in self._files.values():
                os.close(fd)  # frees any lock still held through it
            self._files.clear()


class Database:
    """One engine and its write discipline.

    SQLite has a single writer. Instead of letting writers fight over the database lock (and back
    off with ``busy_timeout``), they queue on a file lock: threads of this process and the other
    server processes (``monitorx serve --workers N``) alike. PostgreSQL takes concurrent writers, so
    there no lock is used.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)
        self.locks = FileLocks(engine.url.database if self.sqlite else None)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction for writing: committed on exit, rolled back on error."""
        if self.sqlite:
            with self.locks.hold(WRITE), self.engine.begin() as conn:
                # Take SQLite's write lock now: a transaction that reads first and writes later could
                # otherwise find its snapshot outdated by a writer outside MonitorX, and fail.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        else:
            with self.engine.begin() as conn:
                yield conn

    def starting(self) -> AbstractContextManager[None]:
        """Serialise start-up (migrations, the first project) among processes sharing a SQLite file.

        (PostgreSQL has no lock files: this is then a lock of this process alone, and migrations and
        bootstrap take advisory locks of their own.)
        """
        return self.locks.hold(START)

    @contextmanager
    def exclusive(self, key: int) -> Iterator[bool]:
        """Whether this process may do once-only work (maintenance, evaluation) now.

        On PostgreSQL a session advisory lock decides among replicas: the holder's session ends if
        it dies, freeing the lock for another. On SQLite a file lock decides among the processes
        serving the file.
        """
        if self.sqlite:
            name = f"{key:x}"
            got = self.locks.acquire(name, blocking=False)
            try:
                yield got
            finally:
                if got:
                    self.locks.release(name)
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
        self.locks.close()
