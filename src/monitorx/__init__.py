"""MonitorX: monitoring for machine-learning models in production.

The top-level API is the SDK (``monitorx.sdk``)::

    import monitorx
    monitorx.init(url="http://127.0.0.1:8000", api_key="mx_...", environment="prod")

    @monitorx.monitor(model="fraud", version="3")
    def predict(features: dict) -> float: ...

Importing ``monitorx`` imports the SDK only: never the server or its dependencies.
"""

from __future__ import annotations

from monitorx.sdk import (
    DropReason,
    MonitoredModel,
    MonitorXClient,
    ReferenceUploadError,
    Stats,
    Trace,
    delivery_stats,
    flush,
    init,
    last_prediction_id,
    log,
    log_actual,
    monitor,
    shutdown,
    trace,
    upload_reference,
    wrap,
)

__version__ = "0.1.0"

__all__ = [
    "DropReason",
    "MonitorXClient",
    "MonitoredModel",
    "ReferenceUploadError",
    "Stats",
    "Trace",
    "__version__",
    "delivery_stats",
    "flush",
    "init",
    "last_prediction_id",
    "log",
    "log_actual",
    "monitor",
    "shutdown",
    "trace",
    "upload_reference",
    "wrap",
]
