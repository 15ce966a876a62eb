"""A project's figures in the Prometheus text format, for an existing Prometheus and Grafana.

Gauges over the last five minutes per model, version and environment (throughput, error ratio,
latency quantiles, LLM tokens and cost), the latest scheduled drift and quality results, and the
latest sample of every host. They are derived figures — what a dashboard shows — so Prometheus
scrapes one small page however many events MonitorX holds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import func, select

from monitorx import __version__
from monitorx.services.query import QueryService
from monitorx.services.registry import Registry
from monitorx.store import tables as t
from monitorx.store.database import Database

WINDOW_S = 300
_MODEL_GAUGES = (
    ("throughput", "monitorx_model_requests_per_second", "Predictions per second over the last 5 minutes."),
    ("error_rate", "monitorx_model_error_ratio", "Share of predictions that failed, last 5 minutes."),
    ("count", "monitorx_model_requests_5m", "Predictions in the last 5 minutes."),
    ("input_tokens", "monitorx_model_input_tokens_5m", "LLM input tokens in the last 5 minutes."),
    ("output_tokens", "monitorx_model_output_tokens_5m", "LLM output tokens in the last 5 minutes."),
    ("cost_usd", "monitorx_model_cost_usd_5m", "LLM cost in US dollars in the last 5 minutes."),
)
_QUANTILES = (("latency_p50", "0.5"), ("latency_p95", "0.95"), ("latency_p99", "0.99"))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}" if labels else ""


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


class Family:
    def __init__(self, name: str, help_text: str, kind: str = "gauge") -> None:
        self.name = name
        self.help = help_text
        self.kind = kind
        self.samples: list[tuple[dict[str, str], float]] = []

    def add(self, labels: dict[str, str], value: float | None) -> None:
        if value is not None:
            self.samples.append((labels, value))

    def render(self) -> Iterable[str]:
        if not self.samples:
            return
        yield f"# HELP {self.name} {self.help}"
        yield f"# TYPE {self.name} {self.kind}"
        for labels, value in self.samples:
            yield f"{self.name}{_labels(labels)} {_number(value)}"


class Exposition:
    def __init__(self, db: Database, registry: Registry, query: QueryService) -> None:
        self.db = db
        self.registry = registry
        self.query = query

    def render(self, project_id: int, now: float | None = None) -> str:
        now = time.time() if now is None else now
        families = [Family("monitorx_build_info", "MonitorX's version.")]
        families[0].add({"version": __version__}, 1.0)
        families += self._models(project_id, now)
        families += self._results(project_id)
        families += self._hosts(project_id)
        return "\n".join(line for f in families for line in f.render()) + "\n"

    def _models(self, project_id: int, now: float) -> list[Family]:
        gauges = {m: Family(name, help_text) for m, name, help_text in _MODEL_GAUGES}
        latency = Family("monitorx_model_latency_ms", "Latency quantiles over the last 5 minutes (±1%).")
        last = Family("monitorx_model_last_event_timestamp_seconds", "When the model last recorded a prediction.")
        models = self.registry.list_models(project_id)
        metrics = [m for m, _, _ in _MODEL_GAUGES] + [q for q, _ in _QUANTILES]
        with self.db.read() as conn:
            groups: dict[tuple[str, str, str], int] = {}
            cells: dict[int, int] = {}
            for model in models:
                for s in self.registry.series_of(conn, model.id):
                    key = (model.name, s.version, s.environment)
                    cells[s.id] = groups.setdefault(key, len(groups))
            values: dict[str, Any] = {}
            if groups:
                _, values = self.query.aggregate(conn, cells, len(groups), now - WINDOW_S, now, WINDOW_S, metrics)
            last_seen = self.query.last_event(conn, [m.id for m in models])
        for (name, version, env), g in groups.items():
            labels = {"model": name, "version": version, "environment": env}
            for m, family in gauges.items():
                v = float(values[m][g][0])
                family.add(labels, None if math.isnan(v) else v)
            for q, quantile in _QUANTILES:
                v = float(values[q][g][0])
                latency.add({**labels, "quantile": quantile}, None if math.isnan(v) else v)
        for model in models:
            if model.id in last_seen:
                last.add({"model": model.name}, last_seen[model.id])
        return [*gauges.values(), latency, last]

    def _results(self, project_id: int) -> list[Family]:
        drift = Family("monitorx_model_drifted_feature_share", "Share of drifted features, latest evaluated window.")
        dataset = Family("monitorx_model_dataset_drift", "1 when the latest evaluated window drifted as a dataset.")
        missing = Family("monitorx_model_max_missing_share", "Largest missing share of a feature, latest window.")
        quality = Family("monitorx_model_quality", "Latest model quality from late labels, by metric.")
        mr = t.monitor_results
        latest = (
            select(mr.c.model_id, mr.c.kind, func.max(mr.c.window_end).label("end"))
            .join(t.models, t.models.c.id == mr.c.model_id)
            .where(t.models.c.project_id == project_id)
            .group_by(mr.c.model_id, mr.c.kind)
            .subquery()
        )
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.models.c.name, mr.c.kind, mr.c.value, mr.c.flagged, mr.c.result)
                .join(
                    latest,
                    (latest.c.model_id == mr.c.model_id)
                    & (latest.c.kind == mr.c.kind)
                    & (latest.c.end == mr.c.window_end),
                )
                .join(t.models, t.models.c.id == mr.c.model_id)
            ).all()
        for name, kind, value, flagged, result in rows:
            labels = {"model": name}
            if kind == "drift":
                drift.add(labels, value)
                dataset.add(labels, 1.0 if flagged else 0.0)
            elif kind == "data_quality":
                missing.add(labels, value)
            elif kind == "quality":
                for metric, v in orjson.loads(result).get("metrics", {}).items():
                    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                        quality.add({**labels, "metric": metric}, float(v))
        return [drift, dataset, missing, quality]

    def _hosts(self, project_id: int) -> list[Family]:
        cpu = Family("monitorx_host_cpu_percent", "CPU use of the host, latest sample.")
        mem = Family("monitorx_host_memory_used_bytes", "Memory used on the host, latest sample.")
        mem_total = Family("monitorx_host_memory_total_bytes", "Memory of the host.")
        gpu_util = Family("monitorx_host_gpu_utilization_percent", "GPU utilisation, latest sample.")
        gpu_mem = Family("monitorx_host_gpu_memory_used_bytes", "GPU memory used, latest sample.")
        for h in self.query.hosts(project_id):
            labels = {"host": h["host"]}
            cpu.add(labels, h["cpu_percent"])
            mem.add(labels, h["memory_used_bytes"])
            mem_total.add(labels, h["memory_total_bytes"])
            for g in h["gpus"]:
                gl = {**labels, "gpu": str(g["index"])}
                gpu_util.add(gl, g.get("utilization_percent"))
                gpu_mem.add(gl, g.get("memory_used_bytes"))
        return [cpu, mem, mem_total, gpu_util, gpu_mem]
