"""What recording one inference costs the caller, next to prometheus_client in the same run.

    python bench/sdk_overhead.py [--runs 15] [--iterations 20000] [--tail-seconds 3]

Each figure is ``time.perf_counter_ns`` over many iterations, the median of runs, with the
empty loop's cost subtracted:

- ``monitorx.log`` with latency, error and two tags (the tags dict is built in the loop, as
  a caller would build it);
- a ``@monitorx.monitor`` function taking ~10 features, minus the same bare function;
- ``Histogram.labels(...).observe()`` and ``Counter.labels(...).inc()`` of prometheus_client.

Caller side: the SDK's queue is installed but its sender is not running, so the figure is
the work on the caller's thread alone (the queue is bounded at 10,000 so it runs in its
steady state, each append pushing the oldest record out). The sender's own work per event
(dicts, JSON, gzip, the HTTP call to an in-process transport) is measured separately, and
the same loops are timed again while the sender runs flat out: on one GIL it slows every
thread alike, the prometheus loops included.

Server down: the SDK points at a closed port, and a paced loop (a little model work between
records, as a service would have) times every call on its own; the p99.9 of that per-call
cost (timer overhead included) is the tail a caller sees during an outage.

Ends with one line of JSON.
"""

import argparse
import gc
import json
import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram

import monitorx
from monitorx.sdk import runtime
from monitorx.sdk.config import Config
from monitorx.sdk.pipeline import Pipeline

FEATURES = {
    "amount": 120.5, "country": "DE", "is_new": True, "age": 41, "score": 0.73,
    "items": 3, "channel": "web", "hour": 13, "ratio": 0.25, "segment": "gold",
}  # fmt: skip


def accept_all(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"batch_id": "b", "accepted": 1, "duplicate": False})


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def per_call_ns(body: Callable[[int], None], iterations: int, runs: int) -> float:
    """Median over runs of the ns per iteration of ``body(iterations)``."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        body(iterations)
        samples.append((time.perf_counter_ns() - start) / iterations)
    return statistics.median(samples)


def bare(features: dict[str, object]) -> float:
    return 0.93


monitored = monitorx.monitor(model="fraud", version="3")(bare)


def loop_empty(n: int) -> None:
    for _ in range(n):
        pass


def loop_log(n: int) -> None:
    log = monitorx.log
    for _ in range(n):
        log(model="fraud", latency_ms=12.5, error=False, tags={"region": "eu", "endpoint": "/score"})


def loop_bare(n: int) -> None:
    features = FEATURES
    for _ in range(n):
        bare(features)


def loop_monitored(n: int) -> None:
    features = FEATURES
    for _ in range(n):
        monitored(features)


def prometheus_loops() -> tuple[Callable[[int], None], Callable[[int], None]]:
    registry = CollectorRegistry()
    histogram = Histogram("bench_latency_seconds", "latency", ["model", "version"], registry=registry)
    counter = Counter("bench_requests", "requests", ["model", "version"], registry=registry)

    def observe(n: int) -> None:
        for _ in range(n):
            histogram.labels("fraud", "3").observe(0.0125)

    def inc(n: int) -> None:
        for _ in range(n):
            counter.labels("fraud", "3").inc()

    return observe, inc


def measure(iterations: int, runs: int) -> dict[str, float]:
    observe, inc = prometheus_loops()
    for body in (loop_empty, loop_log, loop_bare, loop_monitored, observe, inc):
        body(iterations // 10)  # warm up
    empty = per_call_ns(loop_empty, iterations, runs)
    figures = {
        "log": per_call_ns(loop_log, iterations, runs) - empty,
        "decorated": per_call_ns(loop_monitored, iterations, runs) - empty,
        "bare": per_call_ns(loop_bare, iterations, runs) - empty,
        "observe": per_call_ns(observe, iterations, runs) - empty,
        "inc": per_call_ns(inc, iterations, runs) - empty,
    }
    figures["decorator_overhead"] = figures["decorated"] - figures["bare"]
    return figures


def model_work() -> float:
    total = 0.0
    for i in range(150):  # ~10-20 us of pure Python: the "inference" between two records
        total += i * 0.5
    return total


def sender_ns_per_event(events: int) -> float:
    """Background cost: the sender's work per event, from queue to acknowledged batch."""
    pipeline = Pipeline(Config(url="http://bench.invalid", max_queue=events), transport=httpx.MockTransport(accept_all))
    runtime.install(pipeline)
    for _ in range(events):
        monitorx.log(model="fraud", latency_ms=12.5, error=False, tags={"region": "eu", "endpoint": "/score"})
    start = time.perf_counter_ns()
    pipeline.flush()
    elapsed = time.perf_counter_ns() - start
    assert pipeline.stats().sent == events, pipeline.stats()
    runtime.shutdown(timeout=0)
    return elapsed / events


def tail_while_down(seconds: float) -> dict[str, Any]:
    monitorx.init(url=closed_port_url(), flush_interval_s=0.05, backoff_base_s=0.05, breaker_reset_s=1.0)
    log = monitorx.log
    timer = time.perf_counter_ns
    costs = []
    end = timer() + int(seconds * 1e9)
    while timer() < end:
        for _ in range(1000):
            model_work()
            start = timer()
            log(model="fraud", latency_ms=12.5, error=False, tags={"region": "eu", "endpoint": "/score"})
            costs.append(timer() - start)
    timer_only = []
    for _ in range(len(costs) // 10):
        start = timer()
        timer_only.append(timer() - start)
    stats = monitorx.delivery_stats()
    monitorx.shutdown(timeout=0)
    costs.sort()
    return {
        "p50": costs[len(costs) // 2],
        "p99": costs[int(len(costs) * 0.99)],
        "p999": costs[int(len(costs) * 0.999)],
        "max": costs[-1],
        "calls": len(costs),
        "timer_p50": statistics.median(timer_only),
        "sent": stats.sent,
        "retried": stats.retried,
        "breaker": stats.breaker,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--iterations", type=int, default=20_000)
    parser.add_argument("--tail-seconds", type=float, default=3.0)
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
          f"{args.runs} runs x {args.iterations} calls, median of runs, empty loop subtracted")  # fmt: skip

    # Caller side: an installed queue in its steady state, no sender thread.
    runtime.install(Pipeline(Config(url="http://bench.invalid", max_queue=10_000)))
    gc.collect()
    caller = measure(args.iterations, args.runs)
    runtime.shutdown(timeout=0)

    background = sender_ns_per_event(100_000)

    monitorx.init(url="http://bench.invalid", transport=httpx.MockTransport(accept_all))
    contended = measure(args.iterations, args.runs)
    monitorx.flush(30)
    sender = monitorx.delivery_stats()
    monitorx.shutdown(timeout=5)

    tail = tail_while_down(args.tail_seconds)

    rows = [
        ("monitorx.log (latency, error, 2 tags)", "log"),
        ("@monitorx.monitor overhead (10 features)", "decorator_overhead"),
        ("  decorated call", "decorated"),
        ("  the same function, bare", "bare"),
        ("prometheus Histogram.labels().observe()", "observe"),
        ("prometheus Counter.labels().inc()", "inc"),
    ]
    print(f"\n{'ns per call':<44}{'caller side':>14}{'sender flat out':>18}")
    for name, key in rows:
        print(f"{name:<44}{caller[key]:>14.0f}{contended[key]:>18.0f}")
    print(f"\nsender thread, per event (dicts, JSON, gzip, POST): {background:.0f} ns")
    print(
        f"sender flat out: {sender.sent} events sent in {sender.batches_sent} batches; the loops outran it, "
        f"queue_full drops {sender.dropped['queue_full']}"
    )
    print(
        f"\nserver down (closed port), {tail['calls']:.0f} timed calls of monitorx.log "
        f"over {args.tail_seconds} s, ns, timer included "
        f"(the timer alone: {tail['timer_p50']:.0f} ns):\n"
        f"  p50 {tail['p50']:.0f}   p99 {tail['p99']:.0f}   p99.9 {tail['p999']:.0f}   max {tail['max']:.0f}"
        f"   (sent {tail['sent']}, retried {tail['retried']}, breaker {tail['breaker']})"
    )
    ratio = caller["log"] / caller["observe"]
    verdict = "meets" if ratio <= 1.0 else "misses"
    print(f"\nplain record / Histogram.observe = {ratio:.2f} ({verdict} the target <= 1.0)")
    print(
        json.dumps(
            {
                "ns_per_record": round(caller["log"], 1),
                "ns_prometheus_observe": round(caller["observe"], 1),
                "ratio_vs_prometheus_observe": round(ratio, 3),
                "p999_ns_server_down": round(tail["p999"], 1),
            }
        )
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
