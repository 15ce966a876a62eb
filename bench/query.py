"""Percentile query speed: 7 days of one model at 1-hour steps, rollups against exact raw-row scans.

The same events are stored three ways in one run:
  * MonitorX's rollups (what the query API reads): timed over HTTP against a real server process;
  * MonitorX's raw event chunks: exact percentiles by reading every event of the 7 days;
  * a plain SQLite table (ts, latency) indexed on ts: the fastest naive exact approach
    (one range scan, then numpy percentiles per hour).
The speedup is quoted against the faster exact baseline; the error is the largest relative
difference between the API's p50/p95/p99 and the exact order statistics over all 168 hours.

    python bench/query.py --events 3000000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import orjson

from monitorx.store import codec

ADMIN_KEY = "mx_0badc0de_" + "Q" * 43
QS = {"latency_p50": 0.5, "latency_p95": 0.95, "latency_p99": 0.99}
HOUR = 3600
RAW_DAYS = 9


def generate(n: int, end: float, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = end - rng.uniform(0, 7 * 86400, n)
    diurnal = 0.3 * np.sin(ts / 86400 * 2 * math.pi)  # busier hours are slower
    latency = rng.lognormal(3.0 + diurnal, 0.6)
    return ts, latency


def populate(data_dir: Path, ts: np.ndarray, latency: np.ndarray, raw_db: Path) -> None:
    """Fill MonitorX through its ingest service (no HTTP: that is bench/ingest.py's subject)."""
    from monitorx.config import Settings
    from monitorx.services.container import Services

    # Raw events are kept 7 days by default; the oldest hour of the window would expire before the
    # exact scan reads it, so keep them longer here.
    settings = Settings(data_dir=data_dir, admin_key=ADMIN_KEY, raw_retention_days=RAW_DAYS)
    svc = Services(settings)
    pid = svc.start().project_id
    order = np.argsort(ts)  # a service sends in time order, a batch spans about a second
    ts, latency = ts[order], latency[order]
    regions = np.where(np.arange(ts.size) % 3 == 0, "us", "eu")
    for i in range(0, ts.size, 1000):
        events = [
            {
                "model": "bench",
                "version": "3",
                "timestamp": float(t),
                "latency_ms": float(v),
                "tags": {"region": str(r), "endpoint": "/score"},
            }
            for t, v, r in zip(ts[i : i + 1000], latency[i : i + 1000], regions[i : i + 1000], strict=True)
        ]
        svc.ingest.ingest_events(pid, orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events}))
    report = svc.maintenance.run()  # the server does this every minute: one row per series-minute
    print(f"  maintenance merged {report.partials_merged if report else 0:,} partial rollups")
    svc.close()
    with sqlite3.connect(raw_db) as conn:
        conn.execute("CREATE TABLE raw (ts REAL NOT NULL, latency REAL NOT NULL)")
        conn.executemany("INSERT INTO raw VALUES (?, ?)", zip(ts.tolist(), latency.tolist(), strict=True))
        conn.execute("CREATE INDEX raw_ts ON raw (ts)")


def exact_from_table(raw_db: Path, start: float, end: float) -> np.ndarray:
    with sqlite3.connect(raw_db) as conn:
        rows = conn.execute("SELECT ts, latency FROM raw WHERE ts >= ? AND ts < ?", (start, end)).fetchall()
    arr = np.array(rows)
    return per_hour(arr[:, 0], arr[:, 1], start)


def exact_from_chunks(db: Path, start: float, end: float) -> np.ndarray:
    ts_list: list[float] = []
    lat_list: list[float] = []
    with sqlite3.connect(db) as conn:
        for (data,) in conn.execute("SELECT data FROM event_chunks WHERE max_ts >= ? AND min_ts < ?", (start, end)):
            for e in codec.unpack(data):
                if start <= e["timestamp"] < end and e.get("latency_ms") is not None:
                    ts_list.append(e["timestamp"])
                    lat_list.append(e["latency_ms"])
    return per_hour(np.array(ts_list), np.array(lat_list), start)


def per_hour(ts: np.ndarray, latency: np.ndarray, start: float) -> np.ndarray:
    hour = ((ts - start) // HOUR).astype(np.int64)
    order = np.lexsort((latency, hour))
    hour, latency = hour[order], latency[order]
    bounds = np.searchsorted(hour, np.arange(169))
    out = np.full((168, len(QS)), np.nan)
    for h in range(168):
        vals = latency[bounds[h] : bounds[h + 1]]
        if vals.size:
            out[h] = [vals[math.floor(q * (vals.size - 1))] for q in QS.values()]
    return out


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="monitorx-qbench-"))
    end = math.floor(time.time() / HOUR) * HOUR
    start = end - 7 * 86400
    print(f"{args.events:,} events over 7 days ({args.events / 10080:,.0f} a minute)")
    t0 = time.perf_counter()
    ts, latency = generate(args.events, end)
    populate(work / "data", ts, latency, work / "raw.db")
    print(f"  stored in {time.perf_counter() - t0:.0f} s")

    env = {
        **os.environ,
        "MONITORX_ADMIN_KEY": ADMIN_KEY,
        "MONITORX_RATE_LIMIT_PER_S": "100000",
        "MONITORX_RAW_RETENTION_DAYS": str(RAW_DAYS),
    }
    port = 18000 + os.getpid() % 1000
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitorx.cli.commands", "serve", "--port", str(port), "--data-dir", str(work / "data")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        client = httpx.Client(headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        params = {"metrics": ",".join(QS), "start": start, "end": end, "step": HOUR}

        def query() -> dict:  # type: ignore[type-arg]
            r = client.get(base + "/api/v1/models/bench/series", params=params)
            r.raise_for_status()
            return r.json()  # type: ignore[no-any-return]

        query()  # warm the connection and SQLite's page cache, as a dashboard's first load does
        api_s, answer = timed(query, args.repeat)
    finally:
        proc.terminate()
        proc.wait(30)

    table_s, exact = timed(lambda: exact_from_table(work / "raw.db", start, end), 3)
    chunks_s, exact_c = timed(lambda: exact_from_chunks(work / "data" / "monitorx.db", start, end), 1)
    assert np.allclose(exact, exact_c, equal_nan=True)  # type: ignore[arg-type]
    got = np.array([answer["series"][0]["values"][m] for m in QS], dtype=float).T  # type: ignore[index]
    rel = np.abs(got - exact) / exact  # type: ignore[operator]
    baseline = min(table_s, chunks_s)
    print(f"\n{'method':48} {'time':>10}")
    print(f"{'MonitorX API, rollups (HTTP, median of ' + str(args.repeat) + ')':48} {api_s * 1000:8.1f} ms")
    print(f"{'exact: indexed raw-row table + numpy':48} {table_s * 1000:8.1f} ms")
    print(f"{'exact: MonitorX raw event chunks + numpy':48} {chunks_s * 1000:8.1f} ms")
    print(
        f"\nspeedup vs the faster exact scan: {baseline / api_s:,.0f}x;"
        f" max relative error over 168 hours x p50/p95/p99: {np.nanmax(rel):.4%}"
    )
    print(
        json.dumps(
            {
                "speedup": round(baseline / api_s, 1),
                "max_rel_error": round(float(np.nanmax(rel)), 6),
                "query_ms": round(api_s * 1000, 2),
                "exact_ms": round(baseline * 1000, 1),
                "events": args.events,
            }
        )
    )


if __name__ == "__main__":
    main()
