"""Drift, data quality and model quality evaluated on a schedule, stored as time series.

Every model with a reference is evaluated once per closed window (default one hour, set per model):
a ``drift`` row (value: the share of drifted features; flagged: dataset drift) and a ``data_quality``
row (value: the largest missing share; flagged: any finding over its limit). Models with labelled
predictions get a ``quality`` row per window (value: accuracy or MAE), recomputed for the last
``QUALITY_LOOKBACK`` windows whenever new labels arrived, since labels come late. Results live in
``monitor_results``, where alert rules and the dashboard read them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select

from monitorx.errors import MonitorXError, NotFound
from monitorx.services.drift import DriftService, policy_from_config
from monitorx.services.quality import QualityService
from monitorx.services.query import SeriesFilter
from monitorx.services.registry import Model, Registry
from monitorx.store import tables as t
from monitorx.store.database import Database

log = logging.getLogger("monitorx.monitoring")
_LOCK = 0x4D4F4E58_0004
DEFAULT_CONFIG: dict[str, Any] = {
    "window_s": 3600,
    "drift": {"mode": "adaptive", "alpha": 0.05, "drift_share": 0.5, "features": {}},
    "data_quality": {
        "max_missing_share": 0.1,
        "max_type_error_share": 0.01,
        "max_out_of_range_share": 0.05,
        "new_categories": True,
    },
}
BACKFILL_WINDOWS = 24  # after a restart, evaluate up to this many missed windows
QUALITY_LOOKBACK = 24


@dataclass
class EvaluationReport:
    drift: int = 0
    quality: int = 0
    errors: int = 0


def data_quality_findings(dq: dict[str, Any], limits: dict[str, Any]) -> list[str]:
    findings = []
    for name, f in dq["features"].items():
        if f["missing_share"] > limits["max_missing_share"]:
            findings.append(f"{name}: {f['missing_share']:.1%} missing")
        if f["type_error_share"] > limits["max_type_error_share"]:
            findings.append(f"{name}: {f['type_error_share']:.1%} of the wrong type")
        if f["out_of_range_share"] is not None and f["out_of_range_share"] > limits["max_out_of_range_share"]:
            findings.append(f"{name}: {f['out_of_range_share']:.1%} outside the reference range")
        if limits.get("new_categories") and f["new_categories"]:
            findings.append(f"{name}: new categories {f['new_categories'][:5]}")
    return findings


class MonitoringService:
    def __init__(self, db: Database, registry: Registry, drift: DriftService, quality: QualityService) -> None:
        self.db = db
        self.registry = registry
        self.drift = drift
        self.quality = quality

    # -- configuration ----------------------------------------------------------------------
    def config(self, project_id: int, model_name: str) -> dict[str, Any]:
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            raw = conn.execute(
                select(t.model_monitoring.c.config).where(t.model_monitoring.c.model_id == model.id)
            ).scalar()
        return _merged(DEFAULT_CONFIG, orjson.loads(raw) if raw else {})

    def set_config(self, project_id: int, model_name: str, config: dict[str, Any]) -> dict[str, Any]:
        model = self.registry.get_model(project_id, model_name)
        merged = _merged(DEFAULT_CONFIG, config)
        policy_from_config(merged)  # refuse a policy that cannot run, naming why
        with self.db.write() as conn:
            conn.execute(delete(t.model_monitoring).where(t.model_monitoring.c.model_id == model.id))
            conn.execute(
                insert(t.model_monitoring).values(
                    model_id=model.id, config=orjson.dumps(merged).decode(), updated_at=time.time()
                )
            )
        return merged

    # -- results ----------------------------------------------------------------------------
    def results(self, project_id: int, model_name: str, kind: str, start: float, end: float) -> list[dict[str, Any]]:
        model = self.registry.get_model(project_id, model_name)
        mr = t.monitor_results
        with self.db.read() as conn:
            rows = conn.execute(
                select(mr)
                .where(mr.c.model_id == model.id, mr.c.kind == kind, mr.c.window_end > start, mr.c.window_start < end)
                .order_by(mr.c.window_start)
            ).all()
        return [
            {
                "kind": r.kind,
                "window_start": r.window_start,
                "window_end": r.window_end,
                "value": r.value,
                "flagged": r.flagged,
                "computed_at": r.computed_at,
                "result": orjson.loads(r.result),
            }
            for r in rows
        ]

    def _store(
        self,
        model_id: int,
        kind: str,
        start: float,
        end: float,
        value: float | None,
        flagged: bool,
        result: dict[str, Any],
    ) -> None:
        mr = t.monitor_results
        with self.db.write() as conn:
            conn.execute(
                delete(mr).where(
                    mr.c.model_id == model_id, mr.c.kind == kind, mr.c.window_start == start, mr.c.window_end == end
                )
            )
            conn.execute(
                insert(mr).values(
                    model_id=model_id,
                    kind=kind,
                    window_start=start,
                    window_end=end,
                    computed_at=time.time(),
                    value=value,
                    flagged=flagged,
                    result=orjson.dumps(result).decode(),
                )
            )

    # -- the schedule -----------------------------------------------------------------------
    def run(self, now: float | None = None) -> EvaluationReport | None:
        """Evaluate what is due; None when another replica holds the evaluation lock."""
        now = time.time() if now is None else now
        with self.db.exclusive(_LOCK) as ours:
            return self._run(now) if ours else None

    def _run(self, now: float) -> EvaluationReport:
        report = EvaluationReport()
        for project_id, _ in self.registry.list_projects():
            for model in self.registry.list_models(project_id):
                try:
                    self._evaluate_model(project_id, model, now, report)
                except MonitorXError as exc:  # one model's bad settings must not stop the others
                    report.errors += 1
                    log.warning("monitoring %s: %s", model.name, exc.message)
        return report

    def _evaluate_model(self, project_id: int, model: Model, now: float, report: EvaluationReport) -> None:
        config = self.config(project_id, model.name)
        window = int(config["window_s"])
        last_end = int(now // window * window)
        windows = [(last_end - (i + 1) * window, last_end - i * window) for i in range(BACKFILL_WINDOWS)]
        mr = t.monitor_results
        with self.db.read() as conn:
            done = {
                (r.window_start, r.window_end)
                for r in conn.execute(
                    select(mr.c.window_start, mr.c.window_end).where(
                        mr.c.model_id == model.id, mr.c.kind == "drift", mr.c.window_end > windows[-1][0]
                    )
                )
            }
            has_reference = conn.execute(
                select(t.reference_sets.c.id).where(
                    t.reference_sets.c.model_id == model.id, t.reference_sets.c.active.is_(True)
                )
            ).first()
        if has_reference:
            policy = policy_from_config(config)
            for start, end in windows:
                if (start, end) in done:
                    continue
                try:
                    r = self.drift.report(project_id, model.name, start, end, SeriesFilter(), policy=policy)
                except NotFound:
                    return
                if r["rows"] == 0:
                    continue
                d = r["drift"]
                self._store(
                    model.id,
                    "drift",
                    start,
                    end,
                    d["drifted_share"],
                    d["drifted"],
                    {**d, "reference": r["reference"]["name"], "rows": r["rows"]},
                )
                findings = data_quality_findings(r["data_quality"], config["data_quality"])
                self._store(
                    model.id,
                    "data_quality",
                    start,
                    end,
                    r["data_quality"]["max_missing_share"],
                    bool(findings),
                    {**r["data_quality"], "findings": findings},
                )
                report.drift += 1
        self._evaluate_quality(project_id, model, windows[:QUALITY_LOOKBACK], report)

    def _evaluate_quality(
        self, project_id: int, model: Model, windows: list[tuple[int, int]], report: EvaluationReport
    ) -> None:
        mr = t.monitor_results
        with self.db.read() as conn:
            newest_label = conn.execute(
                select(func.max(t.actuals.c.received_at)).where(t.actuals.c.project_id == project_id)
            ).scalar()
            last_computed = conn.execute(
                select(func.max(mr.c.computed_at)).where(mr.c.model_id == model.id, mr.c.kind == "quality")
            ).scalar()
            has_predictions = conn.execute(
                select(t.prediction_chunks.c.id).where(t.prediction_chunks.c.model_id == model.id).limit(1)
            ).first()
        if newest_label is None or not has_predictions:
            return
        if last_computed is not None and newest_label <= last_computed:
            return  # no label arrived since the last evaluation
        for start, end in windows:
            q = self.quality.quality(project_id, model.name, start, end, mark=True)
            if q["n"] == 0:
                continue
            metrics = q["metrics"]
            value = metrics.get("accuracy") if q["task"] == "classification" else metrics.get("mae")
            self._store(model.id, "quality", start, end, value, False, q)
            report.quality += 1


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in override.items():
        out[k] = _merged(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) and k != "features" else v
    return out
