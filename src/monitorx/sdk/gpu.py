"""Per-GPU readings through NVML (``pynvml``, from the ``nvidia-ml-py`` package).

Without the package, the driver or a GPU, :class:`GpuReader` reads an empty list and
says nothing: GPU monitoring is an extra (``pip install monitorx[gpu]``). Each reading is
taken on its own, so a GPU or driver that does not support one (power on some boards,
per-process memory under MIG) still gives the others.

Per-process memory sums NVML's compute and graphics process lists for this process's
pid. Inside a container with its own pid namespace NVML may report host pids, and this
process then reads 0.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from monitorx.sdk.logs import logger


def _call(function: Any, *args: Any) -> Any:
    """``function(*args)``, or None when NVML raises (not supported, GPU lost, ...)."""
    try:
        return function(*args)
    except Exception:
        return None


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class GpuReader:
    def __init__(self, nvml: Any = None) -> None:
        self._nvml: Any = None
        self._handles: list[Any] = []
        self._names: list[str | None] = []
        try:
            module = nvml if nvml is not None else importlib.import_module("pynvml")
            module.nvmlInit()
            count = module.nvmlDeviceGetCount()
            self._handles = [module.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self._nvml = module
        except Exception as exc:  # no package, no driver, no GPU: degrade to nothing
            logger.debug("monitorx: no NVIDIA GPU readings (%r)", exc)
            self._handles = []
            return
        for handle in self._handles:
            name = _call(module.nvmlDeviceGetName, handle)
            self._names.append(None if name is None else _text(name)[:200])

    @property
    def available(self) -> bool:
        return bool(self._handles)

    def read(self) -> list[dict[str, object]]:
        nvml = self._nvml
        if nvml is None:
            return []
        pid = os.getpid()
        readings: list[dict[str, object]] = []
        for index, handle in enumerate(self._handles):
            gpu: dict[str, object] = {"index": index}
            if self._names[index] is not None:
                gpu["name"] = self._names[index]
            utilization = _call(nvml.nvmlDeviceGetUtilizationRates, handle)
            if utilization is not None:
                gpu["utilization_percent"] = float(utilization.gpu)
            memory = _call(nvml.nvmlDeviceGetMemoryInfo, handle)
            if memory is not None:
                gpu["memory_used_bytes"] = int(memory.used)
                gpu["memory_total_bytes"] = int(memory.total)
            temperature = _call(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU)
            if temperature is not None:
                gpu["temperature_c"] = float(temperature)
            power_mw = _call(nvml.nvmlDeviceGetPowerUsage, handle)
            if power_mw is not None:
                gpu["power_w"] = power_mw / 1000.0
            process_memory = self._process_memory(handle, pid)
            if process_memory is not None:
                gpu["process_memory_bytes"] = process_memory
            readings.append(gpu)
        return readings

    def _process_memory(self, handle: Any, pid: int) -> int | None:
        total = 0
        listed = False
        for lister in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
            processes = _call(getattr(self._nvml, lister, None), handle)
            if processes is None:
                continue
            listed = True
            for process in processes:
                used = getattr(process, "usedGpuMemory", None)
                if getattr(process, "pid", None) == pid and isinstance(used, int):
                    total += used
        return total if listed else None

    def close(self) -> None:
        if self._nvml is not None:
            _call(self._nvml.nvmlShutdown)
            self._nvml = None
            self._handles = []
