"""``monitorx users create | list | passwd``: dashboard users, from the machine the server runs on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

users_app = typer.Typer(help="Dashboard users: create, list, set a password.", no_args_is_help=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the SQLite database and the admin key file live")
]
DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql://user@host/db")]
Project = Annotated[str | None, typer.Option("--project", help="Project name [default: the default project]")]


def _services(data_dir: Path | None, database_url: str | None) -> Any:
    from monitorx.cli.commands import _services as services

    return services(data_dir, database_url)


def _password(given: str | None) -> str:
    if given:
        return given
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The user's sign-in name")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin")] = "viewer",
    password: Annotated[
        str | None, typer.Option(help="The password [default: asked for]; omit for an existing user")
    ] = None,
    existing: Annotated[bool, typer.Option("--existing", help="Add an existing user to the project")] = False,
    project: Project = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Create a user in a project (or add an existing one with --existing)."""
    from monitorx.cli.commands import _project_id
    from monitorx.errors import MonitorXError

    svc = _services(data_dir, database_url)
    pid = _project_id(svc, project)
    try:
        svc.users.create(pid, username, None if existing else _password(password), role)
    except MonitorXError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{username} is {role} of {project or svc.settings.default_project}")


@users_app.command("list")
def users_list(project: Project = None, data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """List the project's users and their roles."""
    from monitorx.cli.commands import _project_id

    svc = _services(data_dir, database_url)
    typer.echo(f"{'USERNAME':24} {'ROLE':8} {'CREATED':17} LAST SIGN-IN")
    for u in svc.users.members(_project_id(svc, project)):
        typer.echo(f"{u.username:24} {u.role:8} {_when(u.created_at):17} {_when(u.last_login_at)}")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument(help="Whose password to set")],
    password: Annotated[str | None, typer.Option(help="The new password [default: asked for]")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Set a user's password (signs out their browsers)."""
    from monitorx.errors import MonitorXError

    svc = _services(data_dir, database_url)
    try:
        svc.users.set_password(username, _password(password))
    except MonitorXError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"password of {username} changed")


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")
