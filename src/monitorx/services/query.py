"""Queries: time series and summaries merged from rollups, raw events, host resources."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Connection, func, select

from monitorx.errors import InvalidInput, NotFound
from monitorx.services.registry import Model, Registry, Series
from monitorx.services.rollup import read_ranges as read_ranges  # re-exported: where callers look for it
from monitorx.services.rollup import read_rolled
from monitorx.stats import histogram
from monitorx.store import codec
from monitorx.store import tables as t
from monitorx.store.database import Database

LATENCY_QUANTILES = {"latency_p50": 0.5, "latency_p90": 0.9, "latency_p95": 0.95, "latency_p99": 0.99}
TTFT_QUANTILES = {"ttft_p50": 0.5, "ttft_p95": 0.95, "ttft_p99": 0.99}
SUM_METRICS = ("count", "error_count", "input_tokens", "output_tokens", "cost_usd", "llm_count")
RATE_METRICS = ("throughput", "error_rate", "latency_mean", "latency_min", "latency_max")
METRICS = (*SUM_METRICS, *RATE_METRICS, *LATENCY_QUANTILES, *TTFT_QUANTILES)
MAX_POINTS = 11_000  # as Prometheus: enough for a week at one-minute steps
GROUP_BY = ("version", "environment")
_SUM_COLUMNS = (
    "count",
    "error_count",
    "latency_count",
    "latency_sum",
    "llm_count",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "ttft_count",
)


@dataclass(frozen=True)
class SeriesFilter:
    versions: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()

    def matches(self, s: Series) -> bool:
        return (
            (not self.versions or s.version in self.versions)
            and (not self.environments or s.environment in self.environments)
            and all(s.tags.get(k) == v for k, v in self.tags)
        )


def parse_tag_filters(raw: list[str]) -> tuple[tuple[str, str], ...]:
    out = []
    for i, item in enumerate(raw):
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise InvalidInput(
                f"tag filter '{item}' must look like key:value",
                [{"loc": ["query", "tag", i], "msg": "expected key:value", "type": "value_error"}],
            )
        out.append((key, value))
    return tuple(out)


def group_label(group_by: str | None, s: Series) -> dict[str, str]:
    if group_by is None:
        return {}
    if group_by == "version":
        return {"version": s.version}
    if group_by == "environment":
        return {"environment": s.environment}
    key = group_by.removeprefix("tag:")
    return {key: s.tags.get(key, "")}


def check_group_by(group_by: str | None) -> None:
    if group_by is None or group_by in GROUP_BY:
        return
    if group_by.startswith("tag:") and len(group_by) > 4:
        return
    raise InvalidInput(
        f"group_by must be one of {list(GROUP_BY)} or tag:<key>, not '{group_by}'",
        [{"loc": ["query", "group_by"], "msg": "unknown grouping", "type": "value_error"}],
    )


def check_metrics(metrics: list[str], known: tuple[str, ...] = METRICS) -> list[str]:
    unknown = [m for m in metrics if m not in known]
    if unknown or not metrics:
        raise InvalidInput(
            f"unknown metrics {unknown}; known: {list(known)}" if unknown else "name at least one metric",
            [{"loc": ["query", "metrics"], "msg": "unknown metric", "type": "value_error"}],
        )
    return metrics


def _nan_to_none(values: npt.NDArray[np.float64]) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


class QueryService:
    def __init__(self, db: Database, registry: Registry, minute_days: float = 30.0) -> None:
        self.db = db
        self.registry = registry
        self.minute_days = minute_days

    def aggregate(
        self,
        conn: Connection,
        series_cells: dict[int, int],
        n_groups: int,
        start: float,
        end: float,
        step: float,
        metrics: list[str],
    ) -> tuple[int, dict[str, npt.NDArray[np.float64]]]:
        """Merge rollups of the given series into ``n_groups * n_steps`` cells.

        ``series_cells`` maps a series id to its group. Returns (n_steps, metric -> array of shape
        (n_groups, n_steps)). Buckets are attributed to the step holding their start.
        """
        n_steps = max(1, math.ceil((end - start) / step))
        n_cells = n_groups * n_steps
        need_lat = any(m in LATENCY_QUANTILES or m in ("latency_min", "latency_max") for m in metrics)
        need_ttft = any(m in TTFT_QUANTILES for m in metrics)
        cols = [t.rollups.c.series_id, t.rollups.c.bucket_start, *(t.rollups.c[c] for c in _SUM_COLUMNS)]
        if need_lat:
            cols += [t.rollups.c.latency_min, t.rollups.c.latency_max, t.rollups.c.latency_hist]
        if need_ttft:
            cols += [t.rollups.c.ttft_min, t.rollups.c.ttft_max, t.rollups.c.ttft_hist]
        rows = read_rolled(conn, t.rollups, series_cells, cols, start, end, step, n_steps, self.minute_days)

        out: dict[str, npt.NDArray[np.float64]] = {}
        if rows:
            columns = list(zip(*rows, strict=True))
            sid = np.fromiter((series_cells[s] for s in columns[0]), np.int64, len(rows))
            step_idx = ((np.asarray(columns[1], dtype=np.float64) - start) // step).astype(np.int64)
            cell = sid * n_steps + np.clip(step_idx, 0, n_steps - 1)
        else:
            columns = [() for _ in cols]
            cell = np.zeros(0, np.int64)
        sums = {
            name: np.bincount(cell, weights=np.asarray(columns[2 + i], dtype=np.float64), minlength=n_cells)
            for i, name in enumerate(_SUM_COLUMNS)
        }
        count, errors, lat_count = sums["count"], sums["error_count"], sums["latency_count"]
        with np.errstate(invalid="ignore", divide="ignore"):
            derived = {
                "throughput": count / step,
                "error_rate": np.where(count > 0, errors / count, np.nan),
                "latency_mean": np.where(lat_count > 0, sums["latency_sum"] / lat_count, np.nan),
            }
        base = 2 + len(_SUM_COLUMNS)
        if need_lat:
            lo, hi = self._min_max(cell, columns[base], columns[base + 1], n_cells)
            derived["latency_min"], derived["latency_max"] = lo, hi
            wanted = [m for m in LATENCY_QUANTILES if m in metrics]
            if wanted:
                g, b, c = histogram.decode_many(columns[base + 2], cell)
                q = histogram.grouped_quantiles(g, b, c, n_cells, [LATENCY_QUANTILES[m] for m in wanted], lo, hi)
                derived.update({m: q[:, j] for j, m in enumerate(wanted)})
            base += 3
        if need_ttft:
            lo, hi = self._min_max(cell, columns[base], columns[base + 1], n_cells)
            wanted = [m for m in TTFT_QUANTILES if m in metrics]
            g, b, c = histogram.decode_many(columns[base + 2], cell)
            q = histogram.grouped_quantiles(g, b, c, n_cells, [TTFT_QUANTILES[m] for m in wanted], lo, hi)
            derived.update({m: q[:, j] for j, m in enumerate(wanted)})
        for m in metrics:
            arr = sums[m] if m in sums else derived[m]
            out[m] = np.asarray(arr, dtype=np.float64).reshape(n_groups, n_steps)
        return n_steps, out

    @staticmethod
    def _min_max(
        cell: npt.NDArray[np.int64], mins: tuple[Any, ...], maxs: tuple[Any, ...], n: int
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        lo = np.full(n, np.nan)
        hi = np.full(n, np.nan)
        if len(mins):
            np.fmin.at(lo, cell, np.array(mins, dtype=np.float64))
            np.fmax.at(hi, cell, np.array(maxs, dtype=np.float64))
        return lo, hi

    # -- public queries -------------------------------------------------------------------
    def series(
        self,
        project_id: int,
        model_name: str,
        metrics: list[str],
        start: float,
        end: float,
        step: int,
        flt: SeriesFilter,
        group_by: str | None,
    ) -> dict[str, Any]:
        check_metrics(metrics)
        check_group_by(group_by)
        if step < 60 or step % 60:
            raise InvalidInput(
                "step must be a whole number of minutes, in seconds (60, 300, 3600, …)",
                [{"loc": ["query", "step"], "msg": "not a multiple of 60", "type": "value_error"}],
            )
        if end <= start:
            raise InvalidInput(
                "end must be after start",
                [{"loc": ["query", "end"], "msg": "end ≤ start", "type": "value_error"}],
            )
        aligned = math.floor(start / step) * step
        n_steps = math.ceil((end - aligned) / step)
        if n_steps > MAX_POINTS:
            raise InvalidInput(
                f"{n_steps} points requested; at most {MAX_POINTS}: use a larger step or a shorter range",
                [{"loc": ["query", "step"], "msg": "too many points", "type": "value_error"}],
            )
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            groups, cells = self._groups(conn, model, flt, group_by)
            n_steps, values = self.aggregate(conn, cells, max(1, len(groups)), aligned, end, step, metrics)
        timestamps = [aligned + i * step for i in range(n_steps)]
        return {
            "model": model.name,
            "start": aligned,
            "end": end,
            "step": step,
            "group_by": group_by,
            "timestamps": timestamps,
            "series": [
                {"labels": labels, "values": {m: _nan_to_none(values[m][g]) for m in metrics}}
                for g, labels in enumerate(groups)
            ],
        }

    def _groups(
        self, conn: Connection, model: Model, flt: SeriesFilter, group_by: str | None
    ) -> tuple[list[dict[str, str]], dict[int, int]]:
        labels: dict[tuple[tuple[str, str], ...], int] = {}
        cells: dict[int, int] = {}
        for s in self.registry.series_of(conn, model.id):
            if not flt.matches(s):
                continue
            label = tuple(sorted(group_label(group_by, s).items()))
            cells[s.id] = labels.setdefault(label, len(labels))
        ordered = sorted(labels.items(), key=lambda kv: kv[0])
        remap = {old: new for new, (_, old) in enumerate(ordered)}
        return [dict(k) for k, _ in ordered], {sid: remap[g] for sid, g in cells.items()}

    def summary(self, project_id: int, model_name: str, start: float, end: float, flt: SeriesFilter) -> dict[str, Any]:
        if end <= start:
            raise InvalidInput(
                "end must be after start",
                [{"loc": ["query", "end"], "msg": "end ≤ start", "type": "value_error"}],
            )
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            _, cells = self._groups(conn, model, flt, None)
            _, values = self.aggregate(conn, cells, 1, start, end, end - start, list(METRICS))
            last = self.last_event(conn, [model.id]).get(model.id)
        stats = {m: _nan_to_none(values[m][0])[0] for m in METRICS}
        return {
            "model": _model_dict(model),
            "start": start,
            "end": end,
            "last_event_at": last,
            "stats": stats,
        }

    def last_event(self, conn: Connection, model_ids: list[int]) -> dict[int, float]:
        if not model_ids:
            return {}
        rows = conn.execute(
            select(t.event_chunks.c.model_id, func.max(t.event_chunks.c.max_ts))
            .where(t.event_chunks.c.model_id.in_(model_ids))
            .group_by(t.event_chunks.c.model_id)
        ).all()
        found = {r[0]: float(r[1]) for r in rows}
        missing = [m for m in model_ids if m not in found]
        if missing:  # raw events expired: the newest rollup bucket still says roughly when
            for mid, ts in conn.execute(
                select(t.series.c.model_id, func.max(t.rollups.c.bucket_start + t.rollups.c.resolution))
                .join(t.rollups, t.rollups.c.series_id == t.series.c.id)
                .where(t.series.c.model_id.in_(missing))
                .group_by(t.series.c.model_id)
            ):
                found[mid] = float(ts)
        return found

    def list_models(self, project_id: int, window_s: float = 3600.0, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        models = self.registry.list_models(project_id)
        if not models:
            return []
        health = [
            "count",
            "throughput",
            "error_rate",
            "latency_p50",
            "latency_p95",
            "latency_p99",
            "cost_usd",
        ]
        with self.db.read() as conn:
            cells: dict[int, int] = {}
            for g, m in enumerate(models):
                for s in self.registry.series_of(conn, m.id):
                    cells[s.id] = g
            _, values = self.aggregate(conn, cells, len(models), now - window_s, now, window_s, health)
            last = self.last_event(conn, [m.id for m in models])
        return [
            {
                **_model_dict(m),
                "last_event_at": last.get(m.id),
                "health": {"window_s": window_s, **{h: _nan_to_none(values[h][g])[0] for h in health}},
            }
            for g, m in enumerate(models)
        ]

    def events(
        self, project_id: int, model_name: str, start: float, end: float, limit: int, flt: SeriesFilter
    ) -> list[dict[str, Any]]:
        """Raw events, newest first, read from the compressed chunks that overlap the range."""
        model = self.registry.get_model(project_id, model_name)
        out: list[dict[str, Any]] = []
        with self.db.read() as conn:
            result = conn.execute(
                select(t.event_chunks.c.max_ts, t.event_chunks.c.data)
                .where(
                    t.event_chunks.c.model_id == model.id,
                    t.event_chunks.c.max_ts >= start,
                    t.event_chunks.c.min_ts <= end,
                )
                .order_by(t.event_chunks.c.max_ts.desc())
            )
            for chunk_max, data in result:
                # Chunks come newest-last-event first: once `limit` events are kept and this chunk
                # holds nothing newer than the oldest of them, no later chunk can either.
                if len(out) >= limit and chunk_max < out[limit - 1]["timestamp"]:
                    break
                for ev in codec.unpack(data):
                    if start <= ev["timestamp"] <= end and flt.matches(
                        Series(0, ev["version"], ev["environment"], ev.get("tags") or {})
                    ):
                        out.append(ev)
                out.sort(key=lambda e: e["timestamp"], reverse=True)
                del out[limit:]
        out.sort(key=lambda e: e["timestamp"], reverse=True)
        return out[:limit]

    # -- hosts ----------------------------------------------------------------------------
    def hosts(self, project_id: int, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        with self.db.read() as conn:
            latest = (
                select(t.resource_samples.c.host, func.max(t.resource_samples.c.ts).label("ts"))
                .where(t.resource_samples.c.project_id == project_id)
                .group_by(t.resource_samples.c.host)
                .subquery()
            )
            rows = conn.execute(
                select(t.resource_samples)
                .join(
                    latest,
                    (t.resource_samples.c.host == latest.c.host) & (t.resource_samples.c.ts == latest.c.ts),
                )
                .where(t.resource_samples.c.project_id == project_id)
                .order_by(t.resource_samples.c.host)
            ).all()
        return [_sample_dict(r) for r in rows]

    def host_series(
        self, project_id: int, host: str, metrics: list[str], start: float, end: float, step: int
    ) -> dict[str, Any]:
        check_metrics(metrics, HOST_METRICS)
        if step < 1 or end <= start:
            raise InvalidInput("step must be ≥ 1 and end after start")
        n_steps = math.ceil((end - start) / step)
        if n_steps > MAX_POINTS:
            raise InvalidInput(f"{n_steps} points requested; at most {MAX_POINTS}")
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.resource_samples).where(
                    t.resource_samples.c.project_id == project_id,
                    t.resource_samples.c.host == host,
                    t.resource_samples.c.ts >= start,
                    t.resource_samples.c.ts < end,
                )
            ).all()
            if not rows:
                known = conn.execute(
                    select(t.resource_samples.c.id)
                    .where(t.resource_samples.c.project_id == project_id, t.resource_samples.c.host == host)
                    .limit(1)
                ).first()
                if known is None:
                    raise NotFound(f"no host named '{host}' has reported to this project")
        idx = np.array([int((r.ts - start) // step) for r in rows], dtype=np.int64)
        values: dict[str, list[float | None]] = {}
        for m in metrics:
            vals = np.array([_host_metric(r, m) for r in rows], dtype=np.float64)
            ok = ~np.isnan(vals)
            sums = np.bincount(idx[ok], weights=vals[ok], minlength=n_steps)
            cnt = np.bincount(idx[ok], minlength=n_steps)
            with np.errstate(invalid="ignore", divide="ignore"):
                values[m] = _nan_to_none(np.where(cnt > 0, sums / cnt, np.nan))
        return {
            "host": host,
            "start": start,
            "end": end,
            "step": step,
            "timestamps": [start + i * step for i in range(n_steps)],
            "values": values,
        }


HOST_METRICS = (
    "cpu_percent",
    "memory_used_bytes",
    "memory_percent",
    "disk_used_bytes",
    "disk_percent",
    "gpu_utilization_percent",
    "gpu_memory_used_bytes",
    "gpu_memory_percent",
    "gpu_temperature_c",
    "gpu_power_w",
)


def _host_metric(r: Any, metric: str) -> float | None:
    if metric == "memory_percent":
        return 100.0 * r.memory_used_bytes / r.memory_total_bytes if r.memory_total_bytes else None
    if metric == "disk_percent":
        return 100.0 * r.disk_used_bytes / r.disk_total_bytes if r.disk_total_bytes else None
    if metric.startswith("gpu_"):
        gpus = orjson.loads(r.gpus)
        if not gpus:
            return None
        if metric == "gpu_memory_percent":
            used = sum(g.get("memory_used_bytes") or 0 for g in gpus)
            total = sum(g.get("memory_total_bytes") or 0 for g in gpus)
            return 100.0 * used / total if total else None
        field = {
            "gpu_utilization_percent": "utilization_percent",
            "gpu_memory_used_bytes": "memory_used_bytes",
            "gpu_temperature_c": "temperature_c",
            "gpu_power_w": "power_w",
        }[metric]
        vals = [g[field] for g in gpus if g.get(field) is not None]
        if not vals:
            return None
        # Memory and power add up across a host's GPUs; utilisation and temperature average.
        return float(sum(vals)) if field in ("memory_used_bytes", "power_w") else float(sum(vals) / len(vals))
    value = getattr(r, metric)
    return None if value is None else float(value)


def _sample_dict(r: Any) -> dict[str, Any]:
    return {
        "host": r.host,
        "timestamp": r.ts,
        "cpu_percent": r.cpu_percent,
        "memory_used_bytes": r.memory_used_bytes,
        "memory_total_bytes": r.memory_total_bytes,
        "disk_used_bytes": r.disk_used_bytes,
        "disk_total_bytes": r.disk_total_bytes,
        "gpus": orjson.loads(r.gpus),
        "models": orjson.loads(r.models),
    }


def _model_dict(m: Model) -> dict[str, Any]:
    return {
        "name": m.name,
        "type": m.type,
        "description": m.description,
        "thresholds": m.thresholds,
        "versions": m.versions,
        "environments": m.environments,
        "created_at": m.created_at,
    }


# -- breakdowns for the dashboard: error types and latency distributions ---------------------------


def _rollup_rows(
    qs: QueryService, conn: Connection, cells: dict[int, int], start: float, end: float, columns: list[str]
) -> list[Any]:
    """Rollup rows of the series in ``cells`` covering [start, end) once each, as ``aggregate`` reads them."""
    cols = [t.rollups.c.series_id, *(t.rollups.c[c] for c in columns)]
    return read_rolled(conn, t.rollups, cells, cols, start, end, end - start, 1, qs.minute_days)


def _check_range(start: float, end: float) -> None:
    if end <= start:
        raise InvalidInput(
            "end must be after start",
            [{"loc": ["query", "end"], "msg": "end ≤ start", "type": "value_error"}],
        )


def error_types(
    qs: QueryService, project_id: int, model_name: str, start: float, end: float, flt: SeriesFilter
) -> dict[str, Any]:
    """Errors by type over [start, end), most frequent first, merged from the rollups' counts.

    The range is read at minute resolution where minutes exist (hours further back), like every
    query: a range that starts mid-minute includes that whole minute.
    """
    _check_range(start, end)
    model = qs.registry.get_model(project_id, model_name)
    totals: dict[str, int] = {}
    with qs.db.read() as conn:
        _, cells = qs._groups(conn, model, flt, None)
        for _sid, raw in _rollup_rows(qs, conn, cells, start, end, ["error_types"]):
            for k, v in orjson.loads(raw).items():
                totals[k] = totals.get(k, 0) + int(v)
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "model": model.name,
        "start": start,
        "end": end,
        "total": sum(totals.values()),
        "types": [{"type": k, "count": v} for k, v in ordered],
    }


def latency_histogram(
    qs: QueryService,
    project_id: int,
    model_name: str,
    start: float,
    end: float,
    flt: SeriesFilter,
    group_by: str | None,
    max_buckets: int = 100,
) -> dict[str, Any]:
    """The latency distribution over [start, end): counts between bucket edges, per group.

    Edges are the stored histogram's (log-scaled, ratio ``GAMMA``), so counts are exact, not
    estimated: bucket ``[lower, upper]`` counts the latencies with ``lower < v <= upper``. When more
    than ``max_buckets`` are non-empty, neighbours are merged (by a whole factor) to fit.
    """
    _check_range(start, end)
    check_group_by(group_by)
    model = qs.registry.get_model(project_id, model_name)
    with qs.db.read() as conn:
        groups, cells = qs._groups(conn, model, flt, group_by)
        rows = _rollup_rows(qs, conn, cells, start, end, ["latency_hist"])
    n_groups = max(1, len(groups))
    dense = np.zeros((n_groups, histogram.N_BUCKETS), dtype=np.int64)
    if rows:
        g, b, c = histogram.decode_many([r[1] for r in rows], [cells[r[0]] for r in rows])
        np.add.at(dense, (g, b), c)
    nonzero = np.flatnonzero(dense.sum(axis=0))
    edges: list[float] = []
    counts = np.zeros((n_groups, 0), dtype=np.int64)
    if nonzero.size:
        first, last = int(nonzero[0]), int(nonzero[-1])
        factor = max(1, math.ceil((last - first + 1) / max(1, max_buckets)))
        n = math.ceil((last - first + 1) / factor)
        seg = dense[:, first : last + 1]
        seg = np.pad(seg, ((0, 0), (0, n * factor - seg.shape[1])))
        counts = seg.reshape(n_groups, n, factor).sum(axis=2)
        # Native bucket i holds (GAMMA**(i - 1 + OFFSET), GAMMA**(i + OFFSET)]; bucket 0 holds zero.
        idx = first + np.arange(n + 1) * factor
        lower = np.power(histogram.GAMMA, (idx - 1 + histogram._OFFSET).astype(np.float64))
        lower[idx == 0] = 0.0
        edges = [float(x) for x in lower]
    return {
        "model": model.name,
        "start": start,
        "end": end,
        "group_by": group_by,
        "edges": edges,
        "series": [{"labels": labels, "counts": [int(x) for x in counts[i]]} for i, labels in enumerate(groups)]
        if groups
        else [],
    }


def group_stats(
    qs: QueryService,
    project_id: int,
    model_name: str,
    start: float,
    end: float,
    flt: SeriesFilter,
    group_by: str,
    metrics: list[str],
) -> dict[str, Any]:
    """``metrics`` over the whole of [start, end) for each group (version, environment or tag value)."""
    _check_range(start, end)
    check_group_by(group_by)
    check_metrics(metrics)
    model = qs.registry.get_model(project_id, model_name)
    with qs.db.read() as conn:
        groups, cells = qs._groups(conn, model, flt, group_by)
        _, values = qs.aggregate(conn, cells, max(1, len(groups)), start, end, end - start, metrics)
    return {
        "model": model.name,
        "start": start,
        "end": end,
        "group_by": group_by,
        "groups": [
            {"labels": labels, "stats": {m: _nan_to_none(values[m][g])[0] for m in metrics}}
            for g, labels in enumerate(groups)
        ],
    }
