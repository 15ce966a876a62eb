"""Which replica evaluates and notifies: the holder of a PostgreSQL advisory lock.

The lock is session-level and held on a dedicated connection for as long as the replica leads. If
the leader dies, PostgreSQL ends its session and frees the lock; another replica takes it at its
next try. A leader that loses its connection (database restart, network) stops leading at once and
competes again. On SQLite the processes serving one file (``--workers``) compete the same way for
a file lock, which the kernel frees when its holder dies.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import text

from monitorx.store.database import Database

log = logging.getLogger("monitorx.alerting")
LOCK_KEY = 0x4D4F4E58_0010


class Leadership:
    def __init__(self, db: Database, key: int = LOCK_KEY) -> None:
        self.db = db
        self.key = key
        self._conn: Any = None
        self._file_lock = False
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._file_lock or self._conn is not None

    def acquire(self) -> bool:
        """True if this replica leads now (keeps the lock, or has just taken it)."""
        if self.db.sqlite:
            with self._lock:
                if not self._file_lock and self.db.locks.acquire(f"{self.key:x}", blocking=False):
                    self._file_lock = True
                    log.info("this process now evaluates alerts and sends notifications")
                return self._file_lock
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT 1"))
                    self._conn.commit()
                    return True
                except Exception:
                    log.warning("lost the alerting lock's connection; competing for leadership again")
                    self._close()
            conn = self.db.engine.connect()
            try:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
                conn.commit()
            except Exception:
                conn.invalidate()
                conn.close()
                raise
            if not got:
                conn.close()
                return False
            self._conn = conn
            log.info("this replica now evaluates alerts and sends notifications")
            return True

    def release(self) -> None:
        with self._lock:
            if self._file_lock:
                self.db.locks.release(f"{self.key:x}")
                self._file_lock = False
            if self._conn is None:
                return
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except Exception:
                log.debug("could not unlock; the session's end frees the lock", exc_info=True)
            self._close()

    def _close(self) -> None:
        try:
            # Invalidate rather than return it to the pool: a pooled connection would keep the lock.
            self._conn.invalidate()
            self._conn.close()
        except Exception:
            log.debug("closing the lock connection failed", exc_info=True)
        self._conn = None
