"""Ingest throughput, HTTP request to committed: MonitorX (SQLite, PostgreSQL) and InfluxDB 1.6, one run.

Each target runs as its own server process on loopback (MonitorX with ``--workers`` = the number of
cores, and once with one worker for comparison); one sender process posts pre-built batches of 1,000
events over keep-alive connections from a few concurrent tasks, and the figure is events acknowledged
(2xx, committed) per second of wall time. MonitorX's count is then read back through its query API to
make sure every acknowledged event was stored, and the CPU time its server processes used is divided
by the events. InfluxDB gets the same events as line protocol (model/version/region/endpoint tags;
latency and error fields, plus the features as fields in the 20-feature run). A profile of MonitorX's
ingest path ends the report.

    python bench/ingest.py                 # everything (InfluxDB if `influxd` is installed)
    python bench/ingest.py --events 200000 --skip-postgres

Needs: the server installed (`pip install -e .[server,host]`); PostgreSQL on 127.0.0.1:5432 for the
PostgreSQL figure; Debian's `influxdb` package for the peer figure.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import multiprocessing as mp
import os
import pstats
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil

ADMIN_KEY = "mx_0badc0de_" + "B" * 43
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_events(n: int, features: int, seed: int = 1) -> list[dict[str, Any]]:
    import random

    rng = random.Random(seed)
    now = time.time()
    out = []
    for i in range(n):
        ev: dict[str, Any] = {
            "model": "bench",
            "version": "3",
            "timestamp": now - 600 + (i % 600_000) / 1000,
            "latency_ms": rng.lognormvariate(3, 0.6),
            "error": rng.random() < 0.02,
            "tags": {"region": rng.choice(("eu", "us")), "endpoint": "/score"},
        }
        if features:
            ev["features"] = {f"f{j}": rng.random() for j in range(features)}
        out.append(ev)
    return out


def monitorx_bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    return [
        orjson.dumps({"batch_id": uuid.uuid4().hex, "events": events[i : i + batch]})
        for i in range(0, len(events), batch)
    ]


def influx_bodies(events: list[dict[str, Any]], batch: int) -> list[bytes]:
    bodies = []
    for i in range(0, len(events), batch):
        lines = []
        for e in events[i : i + batch]:
            fields = [f"latency_ms={e['latency_ms']}", f"error={'true' if e['error'] else 'false'}"]
            fields += [f"{k}={v}" for k, v in e.get("features", {}).items()]
            t = e["tags"]
            tags = f"model={e['model']},version={e['version']},region={t['region']},endpoint={t['endpoint']}"
            lines.append(f"inference,{tags} {','.join(fields)} {int(e['timestamp'] * 1e9)}")
        bodies.append("\n".join(lines).encode())
    return bodies


async def _send(url: str, headers: dict[str, str], bodies: list[bytes], senders: int) -> tuple[float, int]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for b in bodies:
        queue.put_nowait(b)
    failures = 0
    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                body = queue.get_nowait()
                r = await client.post(url, content=body, headers=headers)
                if r.status_code >= 300:
                    failures += 1
                    if failures < 3:
                        print(f"  {r.status_code}: {r.text[:200]}", file=sys.stderr)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(senders)))
        return time.perf_counter() - start, failures


def _sender(
    url: str, headers: dict[str, str], kind: str, n: int, features: int, batch: int, senders: int, out: Any
) -> None:
    events = make_events(n, features)
    bodies = monitorx_bodies(events, batch) if kind == "monitorx" else influx_bodies(events, batch)
    del events
    out.put(asyncio.run(_send(url, headers, bodies, senders)))


def run_sender(url: str, headers: dict[str, str], kind: str, args: argparse.Namespace, features: int) -> float:
    """Build the bodies in a child process (outside the timing), then time sending them."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_sender, args=(url, headers, kind, args.events, features, args.batch, args.senders, q))
    p.start()
    seconds, failures = q.get()
    p.join()
    if failures:
        raise RuntimeError(f"{failures} batches were refused")
    return args.events / seconds


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def bench_monitorx(
    args: argparse.Namespace, database_url: str | None, features: int, work: Path, workers: int = 1
) -> float:
    port = free_port()
    data = work / f"mx-{uuid.uuid4().hex[:6]}"
    env = {
        **os.environ,
        "MONITORX_ADMIN_KEY": ADMIN_KEY,
        "MONITORX_RATE_LIMIT_PER_S": "100000",
        "MONITORX_RATE_LIMIT_BURST": "100000",
    }
    if database_url:
        env["MONITORX_DATABASE_URL"] = database_url
    log = work / f"mx-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "monitorx.cli.commands", "serve", "--port", str(port)),
                *("--data-dir", str(data), "--workers", str(workers)),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/ready", proc, log)
        headers = {"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"}
        before = server_cpu(proc.pid)
        rate = run_sender(base + "/api/v1/events", headers, "monitorx", args, features)
        used = server_cpu(proc.pid) - before
        stored = httpx.get(
            base + "/api/v1/models/bench",
            headers=headers,
            params={"start": time.time() - 7200, "end": time.time() + 7200},
        ).json()["stats"]["count"]
        if stored != args.events:
            raise RuntimeError(f"acknowledged {args.events} events but {stored} are stored")
        print(f"  server CPU: {used / args.events * 1e6:.2f} µs per event, over {workers} worker(s)")
        return rate
    finally:
        proc.terminate()
        proc.wait(30)


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server and its worker processes (idle while bodies are built)."""
    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def bench_influx(args: argparse.Namespace, features: int, work: Path) -> float | None:
    influxd = shutil.which("influxd") or ("/usr/bin/influxd" if Path("/usr/bin/influxd").exists() else None)
    if influxd is None:
        print("  influxd not found: `apt-get install influxdb` (Debian ships 1.6) for the peer figure")
        return None
    port, rpc = free_port(), free_port()
    root = work / f"influx-{port}"
    root.mkdir()
    conf = root / "influxdb.conf"
    conf.write_text(
        f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
        f'[meta]\n  dir = "{root}/meta"\n'
        f'[data]\n  dir = "{root}/data"\n  wal-dir = "{root}/wal"\n  query-log-enabled = false\n'
        f'[http]\n  bind-address = "127.0.0.1:{port}"\n  log-enabled = false\n'
        f"[monitor]\n  store-enabled = false\n"
    )
    log = root / "influxd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([influxd, "-config", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/ping", proc, log)
        httpx.post(base + "/query", params={"q": "CREATE DATABASE bench"}).raise_for_status()
        return run_sender(base + "/write?db=bench&precision=ns", {}, "influx", args, features)
    finally:
        proc.terminate()
        proc.wait(30)


def postgres_url() -> tuple[str, Any] | None:
    try:
        import psycopg

        name = f"monitorx_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        print(f"  PostgreSQL not reachable ({exc}); skipping")
        return None

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql://postgres@127.0.0.1:5432/{name}", drop


def profile(work: Path, features: int) -> str:
    """Where the time goes in-process (no HTTP): the ingest service on 50 batches of 1,000."""
    from monitorx.config import Settings
    from monitorx.services.container import Services

    svc = Services(Settings(data_dir=work / "profile"))
    pid = svc.start().project_id
    bodies = monitorx_bodies(make_events(50_000, features), 1000)
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    for b in bodies:
        svc.ingest.ingest_events(pid, b)
    prof.disable()
    elapsed = time.perf_counter() - start
    svc.close()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(14)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start_at = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
    head = f"  in-process: {50_000 / elapsed:,.0f} events/s ({elapsed / 50_000 * 1e6:.2f} µs/event, under cProfile)"
    return "\n".join([head, *lines[start_at : start_at + 15]])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="MonitorX server processes")
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--skip-influx", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="monitorx-bench-"))
    print(
        f"{args.events:,} events in batches of {args.batch:,}, {args.senders} concurrent senders, "
        f"{os.cpu_count()} cores, MonitorX with --workers {args.workers}\n"
    )
    results: dict[str, float | None] = {}
    try:
        w = args.workers
        print(f"MonitorX, SQLite, plain events (latency, error, two tags), {w} workers")
        results["sqlite_events_per_s"] = bench_monitorx(args, None, 0, work, w)
        print(f"  {results['sqlite_events_per_s']:,.0f} events/s")
        print("MonitorX, SQLite, plain events, 1 worker")
        results["sqlite_events_per_s_1_worker"] = bench_monitorx(args, None, 0, work, 1)
        print(f"  {results['sqlite_events_per_s_1_worker']:,.0f} events/s")
        print(f"MonitorX, SQLite, events with 20 features, {w} workers")
        results["sqlite_events_per_s_20_features"] = bench_monitorx(args, None, 20, work, w)
        print(f"  {results['sqlite_events_per_s_20_features']:,.0f} events/s")
        if not args.skip_postgres and (pg := postgres_url()):
            url, drop = pg
            try:
                print(f"MonitorX, PostgreSQL, plain events, {w} workers")
                results["postgres_events_per_s"] = bench_monitorx(args, url, 0, work, w)
                print(f"  {results['postgres_events_per_s']:,.0f} events/s")
            finally:
                drop()
        if not args.skip_influx:
            print("InfluxDB 1.6 (peer), same events as line protocol")
            results["influxdb_points_per_s"] = bench_influx(args, 0, work)
            if results["influxdb_points_per_s"]:
                print(f"  {results['influxdb_points_per_s']:,.0f} points/s")
            print("InfluxDB 1.6 (peer), with 20 feature fields")
            results["influxdb_points_per_s_20_features"] = bench_influx(args, 20, work)
            if results["influxdb_points_per_s_20_features"]:
                print(f"  {results['influxdb_points_per_s_20_features']:,.0f} points/s")
        if results.get("influxdb_points_per_s"):
            results["ratio_vs_influxdb"] = results["sqlite_events_per_s"] / results["influxdb_points_per_s"]  # type: ignore[operator]
        print("\nWhere MonitorX's time goes (plain events):")
        print(profile(work, 0))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
