"""Drift benchmark: MonitorX against Evidently's DataDriftPreset on the same data.

Both sides get the same tables from ``monitorx.stats.datagen`` (1,000,000 reference rows and
1,000,000 current rows, 14 numeric and 6 categorical features, 7 with known drift), each in
its own subprocess so that its peak RSS is its own. The script prints, per feature, the truth,
MonitorX's verdict and Evidently's, then one line of JSON:

    {"seconds": ..., "seconds_from_summaries": ..., "evidently_seconds": ...,
     "speedup_vs_evidently": ..., "verdict_agreement": ..., "peak_mb": ..., "evidently_peak_mb": ...}

- ``seconds``: MonitorX summarising both tables and judging every feature (median of runs).
- ``seconds_from_summaries``: judging from stored summaries (decoding their bytes included),
  which is what the server does for a time range.
- ``evidently_seconds``: ``Report([DataDriftPreset()]).run(...)`` plus reading its result
  (building the DataFrames and importing Evidently are not counted; the import is shown).
- ``verdict_agreement``: share of features where MonitorX agrees with Evidently or with the
  known truth.
- ``peak_mb``/``evidently_peak_mb``: peak RSS of each subprocess, the data included (the
  table shows the RSS with just the data loaded too).

Evidently is a benchmark dependency only (it needs ``pandas<3``). Install it apart:

    python3 -m venv .bench-venv
    .bench-venv/bin/pip install evidently 'pandas<3' numpy scipy

then run ``python bench/drift.py`` (``--evidently-python`` defaults to
``.bench-venv/bin/python`` when it exists; ``--skip-evidently`` runs MonitorX alone).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EVIDENTLY_PYTHON = ROOT / ".bench-venv" / "bin" / "python"


def _rss_mb() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- workers (each runs in its own subprocess) ---------------------------------------------------


def worker_monitorx(rows: int, seed: int, repeats: int) -> dict[str, Any]:
    from monitorx.stats.datagen import make_drift_dataset
    from monitorx.stats.drift import dataset_drift
    from monitorx.stats.summaries import summarize_table, summary_from_bytes

    data = make_drift_dataset(rows, seed=seed)
    kinds = data.kinds
    data_mb = _rss_mb()

    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        reference = summarize_table(data.reference, kinds)
        current = summarize_table(data.current, kinds)
        report = dataset_drift(reference, current)
        timings.append(time.perf_counter() - start)

    # What the server stores: one blob per feature and window; judging decodes and compares.
    ref_blobs = {name: s.to_bytes() for name, s in reference.items()}
    cur_blobs = {name: s.to_bytes() for name, s in current.items()}
    from_summaries = []
    for _ in range(max(repeats, 5)):
        start = time.perf_counter()
        stored = dataset_drift(
            {n: summary_from_bytes(b) for n, b in ref_blobs.items()},
            {n: summary_from_bytes(b) for n, b in cur_blobs.items()},
        )
        from_summaries.append(time.perf_counter() - start)
    assert all(stored.features[n].drifted == v.drifted for n, v in report.features.items())

    return {
        "seconds": statistics.median(timings),
        "seconds_all": timings,
        "seconds_from_summaries": statistics.median(from_summaries),
        "summary_bytes": sum(map(len, ref_blobs.values())) + sum(map(len, cur_blobs.values())),
        "data_mb": data_mb,
        "peak_mb": _peak_mb(),
        "truth": {n: {"drifted": t.drifted, "change": t.change, "kind": t.kind} for n, t in data.truth.items()},
        "verdicts": {
            n: {
                "drifted": v.drifted,
                "method": v.method,
                "statistic": v.statistic,
                "p_value": v.p_value,
                "effect": f"{v.effect_size_method}={v.effect_size:.4f}",
            }
            for n, v in report.features.items()
        },
    }


def worker_evidently(rows: int, seed: int) -> dict[str, Any]:
    import pandas as pd

    from monitorx.stats.datagen import make_drift_dataset

    data = make_drift_dataset(rows, seed=seed)
    numeric = [n for n, k in data.kinds.items() if k == "numeric"]
    categorical = [n for n, k in data.kinds.items() if k == "categorical"]
    reference_df = pd.DataFrame(data.reference)
    current_df = pd.DataFrame(data.current)
    del data
    data_mb = _rss_mb()

    start = time.perf_counter()
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    import_seconds = time.perf_counter() - start

    start = time.perf_counter()
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current_df, data_definition=definition),
        Dataset.from_pandas(reference_df, data_definition=definition),
    )
    result = snapshot.dict()
    seconds = time.perf_counter() - start

    verdicts: dict[str, dict[str, Any]] = {}
    reported_count = None
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            method, threshold, value = config["method"], config["threshold"], float(metric["value"])
            p_value = "p_value" in method  # "K-S p_value", "chi-square p_value", "Z-test p_value"
            drifted = value < threshold if p_value else value >= threshold
            verdicts[config["column"]] = {"drifted": drifted, "method": method, "value": value}
        elif config["type"].endswith("DriftedColumnsCount"):
            reported_count = metric["value"]["count"]
    if reported_count is not None and int(reported_count) != sum(v["drifted"] for v in verdicts.values()):
        print("warning: parsed Evidently verdicts disagree with its DriftedColumnsCount", file=sys.stderr)

    return {
        "seconds": seconds,
        "import_seconds": import_seconds,
        "data_mb": data_mb,
        "peak_mb": _peak_mb(),
        "verdicts": verdicts,
    }


# -- driver ----------------------------------------------------------------------------------------


def _run_worker(python: str, side: str, args: argparse.Namespace) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    command = [python, __file__, "--worker", side, "--rows", str(args.rows), "--seed", str(args.seed)]
    command += ["--repeats", str(args.repeats)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{side} worker failed ({done.returncode}):\n{done.stderr[-4000:]}")
    if done.stderr.strip():
        print(done.stderr.strip(), file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(x: float | None, spec: str = ".3g") -> str:
    return "-" if x is None else format(x, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in each window (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="MonitorX timing runs (median is reported)")
    parser.add_argument(
        "--evidently-python",
        default=str(DEFAULT_EVIDENTLY_PYTHON) if DEFAULT_EVIDENTLY_PYTHON.exists() else None,
        help="interpreter with evidently and pandas<3 installed (default: .bench-venv/bin/python)",
    )
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--worker", choices=["monitorx", "evidently"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker == "monitorx":
        print(json.dumps(worker_monitorx(args.rows, args.seed, args.repeats)))
        return
    if args.worker == "evidently":
        print(json.dumps(worker_evidently(args.rows, args.seed)))
        return

    print(f"{args.rows:,} reference rows vs {args.rows:,} current rows, 20 features, seed {args.seed}")
    mx = _run_worker(sys.executable, "monitorx", args)
    ev: dict[str, Any] | None = None
    if args.skip_evidently:
        print("Evidently skipped (--skip-evidently)")
    elif not args.evidently_python:
        print(
            "Evidently skipped: no interpreter. Create one with\n"
            "  python3 -m venv .bench-venv && .bench-venv/bin/pip install evidently 'pandas<3' numpy scipy\n"
            "or pass --evidently-python."
        )
    else:
        ev = _run_worker(args.evidently_python, "evidently", args)

    header = (
        f"{'feature':8} {'truth':40} {'MonitorX':9} {'method':10} {'p':>9} {'effect':>22}  "
        f"{'Evidently':9} method (value)"
    )
    print()
    print(header)
    print("-" * len(header))
    agree = tp = fp = fn = ev_tp = ev_fp = ev_fn = 0
    for name, truth in mx["truth"].items():
        mine = mx["verdicts"][name]
        theirs = ev["verdicts"].get(name) if ev else None
        agree += mine["drifted"] == truth["drifted"] or (theirs is not None and mine["drifted"] == theirs["drifted"])
        tp += mine["drifted"] and truth["drifted"]
        fp += mine["drifted"] and not truth["drifted"]
        fn += truth["drifted"] and not mine["drifted"]
        if theirs is not None:
            ev_tp += theirs["drifted"] and truth["drifted"]
            ev_fp += theirs["drifted"] and not truth["drifted"]
            ev_fn += truth["drifted"] and not theirs["drifted"]
        truth_text = f"{'DRIFT' if truth['drifted'] else 'same'} ({truth['change']})"
        their_text = "-" if theirs is None else f"{theirs['method']} ({theirs['value']:.4g})"
        print(
            f"{name:8} {truth_text:40} {'DRIFT' if mine['drifted'] else 'same':9} {mine['method']:10} "
            f"{_fmt(mine['p_value'], '9.2g'):>9} {mine['effect']:>22}  "
            f"{'-' if theirs is None else ('DRIFT' if theirs['drifted'] else 'same'):9} {their_text}"
        )
    n = len(mx["truth"])

    def pr(t: int, f: int, m: int) -> str:
        return f"precision {t / (t + f) if t + f else 1.0:.2f}, recall {t / (t + m) if t + m else 1.0:.2f}"

    print()
    runs = ", ".join(f"{s:.2f}" for s in mx["seconds_all"])
    print(
        f"MonitorX : {pr(tp, fp, fn)}; summarise + judge {mx['seconds']:.2f} s (runs: {runs}), "
        f"from stored summaries {mx['seconds_from_summaries'] * 1000:.1f} ms; "
        f"summaries {mx['summary_bytes'] / 1024:.0f} KiB; "
        f"RSS with data {mx['data_mb']:.0f} MB, peak {mx['peak_mb']:.0f} MB"
    )
    if ev:
        print(
            f"Evidently: {pr(ev_tp, ev_fp, ev_fn)}; report {ev['seconds']:.1f} s "
            f"(+ import {ev['import_seconds']:.1f} s); RSS with data {ev['data_mb']:.0f} MB, "
            f"peak {ev['peak_mb']:.0f} MB"
        )
    print()
    print(
        json.dumps(
            {
                "seconds": round(mx["seconds"], 3),
                "seconds_from_summaries": round(mx["seconds_from_summaries"], 4),
                "evidently_seconds": round(ev["seconds"], 2) if ev else None,
                "speedup_vs_evidently": round(ev["seconds"] / mx["seconds"], 1) if ev else None,
                "verdict_agreement": round(agree / n, 3),
                "peak_mb": round(mx["peak_mb"], 1),
                "evidently_peak_mb": round(ev["peak_mb"], 1) if ev else None,
            }
        )
    )


if __name__ == "__main__":
    main()
