"""The ``monitorx`` command."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from monitorx.cli.commands import app
    except ImportError as exc:  # the base install is the SDK alone
        sys.exit(f"the monitorx server is not installed ({exc.name} is missing): pip install 'monitorx[server]'")
    app()
