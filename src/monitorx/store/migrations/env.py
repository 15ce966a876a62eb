"""Alembic environment: runs on the connection MonitorX hands it (see monitorx.store.migrate)."""

from __future__ import annotations

from alembic import context

from monitorx.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables where needed.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
