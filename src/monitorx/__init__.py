"""MonitorX: monitoring for machine-learning models in production.

The top-level API is the SDK (``monitorx.sdk``)::

    import monitorx
    monitorx.init(url="http://127.0.0.1:8000", api_key="mx_...", environment="prod")

    @monitorx.monitor(model="fraud", version="3")
    def predict(features: dict) -> float: ...

Importing ``monitorx`` imports the SDK only: never the server or its dependencies.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from monitorx.sdk import (
    DropReason,
    MonitoredModel,
    MonitorXClient,
    Stats,
    Trace,
    flush,
    init,
    last_prediction_id,
    log,
    log_actual,
    monitor,
    shutdown,
    trace,
    wrap,
)
from monitorx.sdk import stats as _sdk_stats

__version__ = "0.1.0"

__all__ = [
    "DropReason",
    "MonitorXClient",
    "MonitoredModel",
    "Stats",
    "Trace",
    "__version__",
    "flush",
    "init",
    "last_prediction_id",
    "log",
    "log_actual",
    "monitor",
    "shutdown",
    "stats",
    "trace",
    "wrap",
]


class _StatsEntry:
    """``monitorx.stats``: the SDK's ``stats()`` call, and the ``monitorx.stats`` subpackage.

    The name is taken twice: ``monitorx.stats()`` returns the SDK's delivery counters, and
    ``monitorx/stats/`` holds the pure statistics shared with the server. Importing that
    subpackage makes the import system set the attribute ``monitorx.stats`` to it, which
    would silently replace the function. This object is callable like the function and
    hands attribute access to the subpackage (imported on first use, so ``import monitorx``
    does not pull in numpy).
    """

    def __call__(self) -> Stats:
        return _sdk_stats()

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("monitorx.stats"), name)

    def __repr__(self) -> str:
        return "<monitorx.stats: call for SDK delivery counters; attributes from the monitorx.stats package>"


_STATS = _StatsEntry()


class _Package(types.ModuleType):
    # A data descriptor on the module's class wins over the module's __dict__, for reads and
    # for the import system's ``setattr(monitorx, "stats", <subpackage>)`` alike.
    @property
    def stats(self) -> _StatsEntry:
        return _STATS

    @stats.setter
    def stats(self, module: object) -> None:  # the subpackage stays reachable via sys.modules
        pass


sys.modules[__name__].__class__ = _Package
stats = _STATS
