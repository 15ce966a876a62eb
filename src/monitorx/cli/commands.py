"""``monitorx serve | demo | db | keys | projects``."""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from monitorx.cli.alerts import app as alerts_app
from monitorx.cli.remote import reference_app, report_app
from monitorx.cli.users import users_app
from monitorx.config import Settings

app = typer.Typer(help="MonitorX: monitoring for machine-learning models in production.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema: upgrade it, see its revision.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
projects_app = typer.Typer(help="Projects (tenants): create, list.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(projects_app, name="projects")
app.add_typer(reference_app, name="reference")
app.add_typer(report_app, name="report")
app.add_typer(users_app, name="users")
app.add_typer(alerts_app, name="alerts")

Host = Annotated[str | None, typer.Option(help="Address to bind [env MONITORX_HOST; default 127.0.0.1]")]
Port = Annotated[int | None, typer.Option(help="Port [env MONITORX_PORT; default 8000]")]
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the SQLite database and the admin key file live")
]
DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql://user@host/db")]
NoAuth = Annotated[bool, typer.Option("--no-auth", help="Serve without API keys (loopback addresses only)")]
Project = Annotated[str | None, typer.Option("--project", help="Project name [default: the default project]")]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _logging() -> None:
    from monitorx.api.worker import configure_logging

    configure_logging()


def _start(settings: Settings) -> Any:
    """Build the services and bring the database up; say where the admin key is."""
    from monitorx.services.container import Services

    svc = Services(settings)
    try:
        boot = svc.start()
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if boot.admin_token:
        typer.echo("Created the default project and its admin API key. It is shown only this once:")
        typer.echo(f"\n    {boot.admin_token}\n")
        if boot.key_file:
            typer.echo(f"It is also in {boot.key_file} (readable only by you); move it somewhere safe.")
    if boot.admin_password:
        typer.echo(f"Created the dashboard user '{settings.admin_user}' (admin). Its password is shown only once:")
        typer.echo(f"\n    {boot.admin_password}\n")
        typer.echo("Change it with `monitorx users passwd`, or choose it with MONITORX_ADMIN_PASSWORD.")
    return svc


def _serve(settings: Settings, svc: Any, on_ready: Any = None) -> None:
    import uvicorn

    from monitorx.api.app import ConfigurationError, create_app
    from monitorx.api.worker import SETTINGS_ENV, tune_gc

    try:
        asgi = create_app(settings, svc)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    # A dashboard tab keeps a live-update stream open; don't let it hold a shutdown for long.
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "access_log": False,
        "timeout_graceful_shutdown": 5,
    }
    if settings.workers > 1:
        if svc.db.sqlite and svc.db.locks.dir is None:
            typer.echo(
                "error: --workers needs PostgreSQL, or a SQLite file the processes can lock "
                "(not an in-memory database; file locks need a POSIX system)",
                err=True,
            )
            raise typer.Exit(2)
        # Each worker builds its own app from these settings; this process only supervises them.
        svc.close()
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        uvicorn.run("monitorx.api.worker:create", factory=True, workers=settings.workers, **options)
        return
    tune_gc()
    server = uvicorn.Server(uvicorn.Config(asgi, **options))
    if on_ready is not None:
        on_ready(server)
    server.run()


@app.command()
def serve(
    host: Host = None,
    port: Port = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    no_auth: NoAuth = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes [env MONITORX_WORKERS; default 1]. Ingest is CPU-bound: one per core takes "
            "the most events per second, on SQLite as on PostgreSQL.",
        ),
    ] = None,
) -> None:
    """Run the API server (and the dashboard) until interrupted."""
    _logging()
    settings = _settings(
        host=host,
        port=port,
        data_dir=data_dir,
        database_url=database_url,
        auth=False if no_auth else None,
        workers=workers,
    )
    svc = _start(settings)
    typer.echo(f"MonitorX on http://{settings.host}:{settings.port}  (API docs: /docs)")
    _serve(settings, svc)


@app.command()
def demo(
    host: Host = None,
    port: Port = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
    history_minutes: Annotated[int, typer.Option(help="Minutes of past traffic to create at start")] = 120,
    rate: Annotated[float, typer.Option(help="Events per second per model, live")] = 20.0,
) -> None:
    """Run the server with simulated traffic: several models, an LLM, a deploy, incidents, drift."""
    import threading

    from monitorx.demo import DemoTraffic, create_references, register_models

    _logging()
    # One process: the demo's traffic thread starts when this process's server is up.
    settings = _settings(host=host, port=port, data_dir=data_dir, database_url=database_url, workers=1)
    if settings.is_loopback:  # a newcomer's first look is the live overview, not a sign-in form
        settings.demo_user = settings.demo_user or "demo"
    svc = _start(settings)
    assert svc.boot is not None
    register_models(svc.registry, svc.boot.project_id)
    create_references(svc.drift, svc.registry, svc.boot.project_id)
    if settings.demo_user:
        svc.users.ensure_user(svc.boot.project_id, settings.demo_user, "admin")
    token, info = svc.keys.create(svc.boot.project_id, "demo traffic", ["ingest"])
    url = f"http://{settings.host}:{settings.port}"
    key_file = settings.data_dir / "admin-key.txt"
    typer.echo(f"MonitorX demo on {url}  (API docs: {url}/docs)")
    if settings.demo_user:
        typer.echo(f"Dashboard: {url}  (browsers on this machine are signed in as '{settings.demo_user}', an admin)")
    if not svc.boot.admin_token and key_file.exists():
        typer.echo(f"Admin API key: in {key_file}")
    traffic = DemoTraffic(url, token, history_minutes=history_minutes, rate_per_model=rate)

    def start_traffic(server: Any) -> None:
        threading.Thread(target=traffic.run, args=(lambda: server.started,), daemon=True, name="demo").start()

    try:
        _serve(settings, svc, on_ready=start_traffic)
    finally:
        traffic.stop()
        svc.keys.revoke(svc.boot.project_id, info.key_id)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Apply every pending migration."""
    from monitorx.store import migrate
    from monitorx.store.database import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database.from_url(settings.resolved_database_url)
    try:
        before = migrate.current(db.engine)
        migrate.upgrade(db.engine)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"database upgraded: {before or 'empty'} -> {migrate.current(db.engine)}")


@db_app.command("current")
def db_current(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Show the database's revision and whether it is current."""
    from monitorx.store import migrate
    from monitorx.store.database import Database

    settings = _settings(data_dir=data_dir, database_url=database_url)
    if not settings.database_url and not (settings.data_dir / "monitorx.db").exists():
        typer.echo(f"empty (no database in {settings.data_dir} yet; `monitorx db upgrade` creates it)")
        return
    try:
        rev = migrate.current(Database.from_url(settings.resolved_database_url).engine)
    except Exception as exc:  # an unreachable server or a bad URL: say so, not a traceback
        typer.echo(f"error: cannot read the database: {exc}", err=True)
        raise typer.Exit(1) from None
    state = "current" if rev == migrate.head() else f"behind; `monitorx db upgrade` brings it to {migrate.head()}"
    typer.echo(f"{rev or 'empty'} ({state})")


def _project_id(svc: Any, project: str | None) -> int:
    from monitorx.errors import NotFound

    try:
        return int(svc.registry.project_id(project or svc.settings.default_project))
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None


def _services(data_dir: Path | None, database_url: str | None) -> Any:
    from monitorx.services.container import Services
    from monitorx.store import migrate

    svc = Services(_settings(data_dir=data_dir, database_url=database_url))
    try:
        migrate.check(svc.db.engine)
    except Exception as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    return svc


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 'fraud service in prod'")],
    scope: Annotated[list[str], typer.Option(help="ingest, read or admin; repeatable")] = ["ingest"],  # noqa: B006
    expires_days: Annotated[float | None, typer.Option(help="Expire after this many days")] = None,
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Create an API key and print it (the only time it is shown)."""
    from monitorx.errors import MonitorXError

    svc = _services(data_dir, database_url)
    pid = _project_id(svc, project)
    expires = time.time() + expires_days * 86400 if expires_days else None
    try:
        token, info = svc.keys.create(pid, name, scope, expires)
    except MonitorXError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
    typer.echo(f"key id {info.key_id}, scopes {','.join(info.scopes)}: store it now, it is not shown again", err=True)


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


@keys_app.command("list")
def keys_list(project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List the project's keys (never their secrets)."""
    svc = _services(data_dir, database_url)
    pid = _project_id(svc, project)
    typer.echo(f"{'KEY ID':10} {'SCOPES':18} {'CREATED':17} {'LAST USED':17} {'STATE':8} NAME")
    for k in svc.keys.list(pid):
        state = "revoked" if k.revoked_at else ("expired" if k.expires_at and k.expires_at < time.time() else "active")
        typer.echo(
            f"{k.key_id:10} {','.join(k.scopes):18} {_when(k.created_at):17} {_when(k.last_used_at):17} "
            f"{state:8} {k.name}"
        )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the 8 hex characters after 'mx_')")],
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Revoke a key: it stops working within seconds."""
    from monitorx.errors import NotFound

    svc = _services(data_dir, database_url)
    try:
        svc.keys.revoke(_project_id(svc, project), key_id)
    except NotFound as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {key_id}")


@projects_app.command("create")
def projects_create(
    name: Annotated[str, typer.Argument(help="The new project's name")],
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Create a project and print its first admin key."""
    from monitorx.errors import MonitorXError

    svc = _services(data_dir, database_url)
    try:
        pid = svc.registry.create_project(name)
        token, _ = svc.keys.create(pid, f"{name} admin", ["admin"])
    except MonitorXError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)


@projects_app.command("list")
def projects_list(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List the projects."""
    svc = _services(data_dir, database_url)
    for _, name in svc.registry.list_projects():
        typer.echo(name)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
