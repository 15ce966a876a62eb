"""First start: a default project and an admin key, handed to the user once."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text

from monitorx.config import Settings
from monitorx.services.keys import KeyStore
from monitorx.services.registry import Registry
from monitorx.services.users import UserStore
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx")
_LOCK = 0x4D4F4E58_0003
ADMIN_KEY_FILE = "admin-key.txt"


@dataclass(frozen=True)
class Bootstrap:
    project_id: int
    admin_token: str | None  # only on the start that created it
    key_file: Path | None
    admin_password: str | None = None  # the first dashboard admin's, only on the start that created it


def bootstrap(
    db: Database, registry: Registry, keys: KeyStore, settings: Settings, users: UserStore | None = None
) -> Bootstrap:
    """Create the default project and its first admin key if the database has no project.

    With ``users``, also the first dashboard admin if there is no user at all (also in a database
    made before there were users).
    """
    with db.write() as conn:
        if not db.sqlite:  # replicas starting together: one creates, the others find it
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
        existing = conn.execute(select(t.projects.c.id).where(t.projects.c.name == settings.default_project)).scalar()
        any_project = conn.execute(select(t.projects.c.id).limit(1)).scalar()
        found = existing if existing is not None else any_project
        pid = int(found) if found is not None else registry.create_project(settings.default_project, conn)
        password = None
        if users is not None:
            password = users.ensure_first_admin(conn, pid, settings.admin_user, settings.admin_password)
            if password is not None and settings.admin_password:
                password = None  # the operator chose it: nothing to show
        if found is not None:
            return Bootstrap(pid, None, None, password)
    token, _ = keys.create(pid, "bootstrap admin", ["admin"], token=settings.admin_key)
    path = _write_key_file(settings.data_dir, token)
    return Bootstrap(pid, token, path, password)


def _write_key_file(data_dir: Path, token: str) -> Path | None:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        path = data_dir / ADMIN_KEY_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        return path
    except OSError as exc:  # e.g. a read-only data dir with PostgreSQL: the log line still has it
        log.warning("could not write the admin key file in %s: %s", data_dir, exc)
        return None
