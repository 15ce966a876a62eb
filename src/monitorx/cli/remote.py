"""Commands that talk to a running server over its HTTP API: references and reports."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

reference_app = typer.Typer(
    help="Reference datasets (e.g. training data) that drift is measured against.", no_args_is_help=True
)
report_app = typer.Typer(help="Reports, written to files.", no_args_is_help=True)

Url = Annotated[str, typer.Option("--url", envvar="MONITORX_URL", help="The server [env MONITORX_URL]")]
ApiKey = Annotated[
    str | None, typer.Option("--api-key", envvar="MONITORX_API_KEY", help="An API key [env MONITORX_API_KEY]")
]
Model = Annotated[str, typer.Option("--model", "-m", help="The model's name")]
CONTENT_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".ndjson": "application/x-ndjson",
    ".jsonl": "application/x-ndjson",
    ".parquet": "application/vnd.apache.parquet",
}
_CHUNK = 1 << 20


def _headers(api_key: str | None) -> dict[str, str]:
    if not api_key:
        typer.echo("error: an API key is needed: --api-key or MONITORX_API_KEY", err=True)
        raise typer.Exit(2)
    return {"Authorization": f"Bearer {api_key}"}


def _fail(r: httpx.Response) -> None:
    try:
        message = r.json().get("message", r.text)
    except ValueError:
        message = r.text
    typer.echo(f"error: the server answered {r.status_code}: {message}", err=True)
    raise typer.Exit(1)


@reference_app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, JSON, NDJSON or Parquet")],
    model: Model,
    name: Annotated[str | None, typer.Option(help="Name of the reference [default: the file's name]")] = None,
    url: Url = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Upload a dataset as a model's reference; drift is measured against it from now on."""
    content_type = CONTENT_TYPES.get(file.suffix.lower())
    if content_type is None:
        typer.echo(f"error: cannot tell the format of '{file.name}': use one of {', '.join(CONTENT_TYPES)}", err=True)
        raise typer.Exit(2)
    size = file.stat().st_size
    with Progress(
        "[progress.description]{task.description}", BarColumn(), DownloadColumn(), TransferSpeedColumn()
    ) as progress:
        task = progress.add_task(f"uploading {file.name}", total=size)

        def chunks() -> Iterator[bytes]:
            with open(file, "rb") as f:
                while block := f.read(_CHUNK):
                    progress.update(task, advance=len(block))
                    yield block
            progress.update(task, description="summarising on the server")

        r = httpx.post(
            f"{url.rstrip('/')}/api/v1/models/{model}/references",
            params={"name": name or file.stem},
            content=chunks(),
            headers={**_headers(api_key), "Content-Type": content_type, "Content-Length": str(size)},
            timeout=httpx.Timeout(30, read=600),
        )
    if r.status_code != 201:
        _fail(r)
    ref = r.json()
    typer.echo(
        f"reference '{ref['name']}' of {model}: {ref['rows']:,} rows, {len(ref['features'])} features "
        f"({', '.join(f'{k}: {v}' for k, v in list(ref['features'].items())[:8])}"
        f"{', …' if len(ref['features']) > 8 else ''}); it is now the active reference"
    )


@reference_app.command("list")
def list_references(model: Model, url: Url = "http://127.0.0.1:8000", api_key: ApiKey = None) -> None:
    """List a model's references."""
    r = httpx.get(f"{url.rstrip('/')}/api/v1/models/{model}/references", headers=_headers(api_key), timeout=30)
    if r.status_code != 200:
        _fail(r)
    for ref in r.json()["references"]:
        mark = "*" if ref["active"] else " "
        typer.echo(
            f"{mark} {ref['name']:30} {ref['source']:7} {ref['rows']:>12,} rows  {len(ref['features'])} features"
        )


@report_app.command("drift")
def drift_report(
    model: Model,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write")] = Path("drift-report.html"),
    start: Annotated[str | None, typer.Option(help="RFC 3339 or epoch seconds [default: an hour ago]")] = None,
    end: Annotated[str | None, typer.Option(help="RFC 3339 or epoch seconds [default: now]")] = None,
    version: Annotated[list[str], typer.Option(help="Only these versions (repeatable)")] = [],  # noqa: B006
    reference: Annotated[str | None, typer.Option(help="A reference by name [default: the active one]")] = None,
    url: Url = "http://127.0.0.1:8000",
    api_key: ApiKey = None,
) -> None:
    """Write a self-contained HTML drift report (it opens without a network)."""
    params: dict[str, str | list[str]] = {"end": end or str(time.time())}
    if start:
        params["start"] = start
    if version:
        params["version"] = version
    if reference:
        params["reference"] = reference
    r = httpx.get(
        f"{url.rstrip('/')}/api/v1/models/{model}/drift/report", params=params, headers=_headers(api_key), timeout=120
    )
    if r.status_code != 200:
        _fail(r)
    output.write_text(r.text, encoding="utf-8")
    typer.echo(f"wrote {output} ({os.path.getsize(output) / 1024:.0f} KiB)")
