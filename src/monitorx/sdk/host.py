"""Host samples for ``POST /api/v1/resources``: CPU, memory, disk (psutil) and GPUs (NVML).

:class:`HostCollector` samples on its own daemon thread every ``interval_s`` seconds and
queues the finished sample on the pipeline's resources channel; the caller's threads never
see it. Each sample is tagged with the host name and the models this process serves (those
seen by ``@monitor``, ``trace()``, ``wrap()`` and the events sent). Without psutil
(``pip install monitorx[host]``) the CPU, memory and disk fields are left out.
"""

from __future__ import annotations

import contextlib
import importlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from monitorx.sdk.channel import Channel
from monitorx.sdk.gpu import GpuReader
from monitorx.sdk.logs import logger

MAX_MODELS = 100  # the server's bound per sample


class HostReader:
    def __init__(self, psutil: Any = None, disk_path: str = "/") -> None:
        self._disk_path = disk_path
        try:
            self._psutil: Any = psutil if psutil is not None else importlib.import_module("psutil")
            self._psutil.cpu_percent(interval=None)  # the first reading is meaningless: prime it
        except Exception as exc:
            logger.debug("monitorx: no host readings (%r)", exc)
            self._psutil = None

    @property
    def available(self) -> bool:
        return self._psutil is not None

    def read(self) -> dict[str, object]:
        ps = self._psutil
        if ps is None:
            return {}
        # Each reading on its own: one that fails (a disk path gone, say) leaves the others.
        sample: dict[str, object] = {}
        with contextlib.suppress(Exception):
            sample["cpu_percent"] = float(ps.cpu_percent(interval=None))
        with contextlib.suppress(Exception):
            memory = ps.virtual_memory()
            sample["memory_used_bytes"] = int(memory.total - memory.available)
            sample["memory_total_bytes"] = int(memory.total)
        with contextlib.suppress(Exception):
            disk = ps.disk_usage(self._disk_path)
            sample["disk_used_bytes"] = int(disk.used)
            sample["disk_total_bytes"] = int(disk.total)
        return sample


class HostCollector:
    def __init__(
        self,
        channel: Channel,
        interval_s: float,
        models: Callable[[], list[tuple[str, str]]],
        *,
        host: str | None = None,
        host_reader: HostReader | None = None,
        gpu_reader: GpuReader | None = None,
    ) -> None:
        self.channel = channel
        self.interval_s = interval_s
        self._models = models
        self.host = (host or socket.gethostname() or "unknown")[:255]
        # Made on first use, on the collector's thread: nvmlInit alone took 20 ms on an H100
        # machine, which init() should not cost the service's start-up thread.
        self._host_reader = host_reader
        self._gpu_reader = gpu_reader
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def host_reader(self) -> HostReader:
        if self._host_reader is None:
            self._host_reader = HostReader()
        return self._host_reader

    @property
    def gpu_reader(self) -> GpuReader:
        if self._gpu_reader is None:
            self._gpu_reader = GpuReader()
        return self._gpu_reader

    def sample(self) -> dict[str, object]:
        sample: dict[str, object] = {"host": self.host, "timestamp": time.time()}
        sample.update(self.host_reader.read())
        gpus = self.gpu_reader.read()
        if gpus:
            sample["gpus"] = gpus
        served = self._models()[:MAX_MODELS]
        if served:
            sample["models"] = [{"model": model, "version": version} for model, version in served]
        return sample

    def collect_once(self) -> None:
        try:
            self.channel.put((self.sample(),))
        except Exception as exc:  # pragma: no cover - a reader bug must not end collection
            logger.debug("monitorx: host sample failed (%r)", exc)

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="monitorx-host", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.host_reader.read()  # primes psutil's CPU counter, so the first sample has a real figure
        while not self._stop.wait(self.interval_s):
            self.collect_once()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._thread = None
        if self._gpu_reader is not None:
            self._gpu_reader.close()

    def after_fork_in_child(self) -> None:
        was_running = self._thread is not None
        self._thread = None
        if was_running:
            self.start()
