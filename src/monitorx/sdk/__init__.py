"""The MonitorX Python SDK: record inferences from a model service, cheaply and safely.

>>> import monitorx
>>> monitorx.init(url="http://127.0.0.1:8000", api_key="mx_...", environment="prod")
>>> @monitorx.monitor(model="fraud", version="3")
... def predict(features: dict) -> float: ...

Recording is a tuple appended to a bounded in-memory queue; a daemon thread batches,
compresses and sends (``pipeline.py``). This package imports nothing from the server.
"""

from monitorx.sdk.client import MonitorXClient
from monitorx.sdk.counters import DropReason, Stats
from monitorx.sdk.decorator import monitor
from monitorx.sdk.recording import last_prediction_id, log, log_actual
from monitorx.sdk.references import ReferenceUploadError, upload_reference
from monitorx.sdk.runtime import delivery_stats, flush, init, shutdown
from monitorx.sdk.tracing import Trace, trace
from monitorx.sdk.wrapping import MonitoredModel, wrap

__all__ = [
    "DropReason",
    "MonitorXClient",
    "MonitoredModel",
    "ReferenceUploadError",
    "Stats",
    "Trace",
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
