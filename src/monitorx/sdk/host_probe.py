"""``python -m monitorx.sdk.host_probe``: print what the host collector reads on this machine.

Shows one sample as it would be sent to ``/api/v1/resources`` and how long taking it took:
a quick check that psutil and NVML (``monitorx[host]``, ``monitorx[gpu]``) are seen.
"""

from __future__ import annotations

import json
import time

from monitorx.sdk.channel import Channel
from monitorx.sdk.host import HostCollector


def main() -> None:
    collector = HostCollector(Channel("resources", "/api/v1/resources", "samples", 1), 10.0, list)
    collector.sample()  # the first one initialises NVML and primes psutil's CPU counter
    started = time.perf_counter()
    sample = collector.sample()
    elapsed_us = (time.perf_counter() - started) * 1e6
    print(json.dumps(sample, indent=1))
    gpus = "yes" if collector.gpu_reader.available else "none"
    host = "yes" if collector.host_reader.available else "none (no psutil)"
    print(f"one sample took {elapsed_us:.0f} us; GPU readings: {gpus}; host readings: {host}")


if __name__ == "__main__":
    main()
