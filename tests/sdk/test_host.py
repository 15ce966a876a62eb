"""Host and GPU readings: real psutil here; NVML through a stand-in module where no GPU is
present (the real NVML read is checked on a GPU machine, see the final report)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

import monitorx
from monitorx.sdk.channel import Channel
from monitorx.sdk.gpu import GpuReader
from monitorx.sdk.host import HostCollector, HostReader
from monitorx.sdk.pipeline import Pipeline

from .fakes import FakeServer

MakePipeline = Callable[..., Pipeline]


class NotSupported(Exception):
    pass


def fake_nvml(pid: int, *, power_supported: bool = True) -> Any:
    """The handful of pynvml functions the reader calls, answering like an H100 would."""

    def power(handle: int) -> int:
        if not power_supported:
            raise NotSupported("power")
        return 412_500 + handle

    return SimpleNamespace(
        NVML_TEMPERATURE_GPU=0,
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: 2,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: b"NVIDIA H100 80GB HBM3",
        nvmlDeviceGetUtilizationRates=lambda h: SimpleNamespace(gpu=87, memory=40),
        nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=40 * 2**30, total=80 * 2**30, free=40 * 2**30),
        nvmlDeviceGetTemperature=lambda h, sensor: 61,
        nvmlDeviceGetPowerUsage=power,
        nvmlDeviceGetComputeRunningProcesses=lambda h: [
            SimpleNamespace(pid=pid, usedGpuMemory=3 * 2**30),
            SimpleNamespace(pid=pid + 1, usedGpuMemory=5 * 2**30),
        ],
        nvmlDeviceGetGraphicsRunningProcesses=lambda h: [SimpleNamespace(pid=pid, usedGpuMemory=None)],
    )


def test_host_reader_reads_this_machine() -> None:
    sample = HostReader().read()
    assert 0.0 <= float(sample["cpu_percent"]) <= 100.0 * (os.cpu_count() or 1)  # type: ignore[arg-type]
    assert 0 < int(sample["memory_used_bytes"]) <= int(sample["memory_total_bytes"])  # type: ignore[call-overload]
    assert 0 < int(sample["disk_used_bytes"]) <= int(sample["disk_total_bytes"])  # type: ignore[call-overload]


def test_without_psutil_the_host_fields_are_left_out() -> None:
    class Missing:
        def cpu_percent(self, interval: float | None = None) -> float:
            raise ImportError("no psutil")

    reader = HostReader(psutil=Missing())
    assert not reader.available and reader.read() == {}


def test_without_nvml_there_are_no_gpu_readings() -> None:
    class Broken:
        def nvmlInit(self) -> None:
            raise OSError("libnvidia-ml.so.1: cannot open shared object file")

    reader = GpuReader(nvml=Broken())
    assert not reader.available and reader.read() == []


def test_gpu_readings_per_device_with_this_process_memory() -> None:
    readings = GpuReader(nvml=fake_nvml(os.getpid())).read()
    assert readings == [
        {
            "index": i,
            "name": "NVIDIA H100 80GB HBM3",
            "utilization_percent": 87.0,
            "memory_used_bytes": 40 * 2**30,
            "memory_total_bytes": 80 * 2**30,
            "temperature_c": 61.0,
            "power_w": pytest.approx(412.5 + i / 1000),
            "process_memory_bytes": 3 * 2**30,
        }
        for i in range(2)
    ]


def test_a_reading_the_gpu_does_not_support_is_left_out_alone() -> None:
    [first, _] = GpuReader(nvml=fake_nvml(os.getpid(), power_supported=False)).read()
    assert "power_w" not in first and first["temperature_c"] == 61.0


def test_a_sample_names_the_host_and_the_models_served() -> None:
    channel = Channel("resources", "/api/v1/resources", "samples", 10)
    collector = HostCollector(
        channel, 10.0, lambda: [("fraud", "3")], host="gpu-node-1", gpu_reader=GpuReader(nvml=fake_nvml(1))
    )
    before = time.time()
    collector.collect_once()
    [(sample,)] = channel.drain()
    assert sample["host"] == "gpu-node-1" and before <= sample["timestamp"] <= time.time()
    assert sample["models"] == [{"model": "fraud", "version": "3"}]
    assert len(sample["gpus"]) == 2 and "cpu_percent" in sample


def test_init_with_collect_host_sends_samples(fake_server: FakeServer) -> None:
    @monitorx.monitor(model="fraud", version="3")
    def predict(features: dict[str, float]) -> float:
        return 0.5

    monitorx.init(url="http://monitorx.test", transport=fake_server.transport, collect_host=True, host_interval_s=0.05)
    predict({"a": 1.0})
    deadline = time.monotonic() + 20
    while not fake_server.items("samples") and time.monotonic() < deadline:
        monitorx.flush(1)
        time.sleep(0.05)
    sample = fake_server.items("samples")[0]
    assert {"model": "fraud", "version": "3"} in sample["models"]
    assert any(r.url.path == "/api/v1/resources" for r in fake_server.requests)


def test_the_probe_prints_a_sample() -> None:
    import json
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "monitorx.sdk.host_probe"], capture_output=True, text=True, check=True
    )
    body, _, summary = result.stdout.rpartition("}")
    assert json.loads(body + "}")["host"] and "one sample took" in summary
    assert "Warning" not in result.stderr
