"""`import monitorx` stays light: no server, no web framework, no numpy."""

from __future__ import annotations

import json
import subprocess
import sys

import monitorx
import monitorx.sdk

FORBIDDEN = (
    "fastapi", "starlette", "sqlalchemy", "numpy", "pydantic", "pydantic_core", "uvicorn", "alembic",
    "psycopg", "scipy", "orjson", "monitorx.api", "monitorx.services", "monitorx.store", "monitorx.web",
    "monitorx.cli", "monitorx.stats", "monitorx.config",
)  # fmt: skip


def test_import_monitorx_pulls_in_no_server_dependency() -> None:
    code = (
        "import sys, json, monitorx, monitorx.sdk.integrations.asgi, monitorx.sdk.client;"
        "monitorx.delivery_stats();"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    offenders = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert offenders == []


def test_public_api_is_sorted_and_complete() -> None:
    for module in (monitorx, monitorx.sdk):
        assert module.__all__ == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
    assert monitorx.__version__ == "0.1.0"
    assert {"init", "monitor", "trace", "log", "log_actual", "flush", "delivery_stats", "wrap"} <= set(monitorx.__all__)
