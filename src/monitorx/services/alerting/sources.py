"""Turn a rule's condition into samples: one per model (or host, or SLO severity) with its value.

Where the numbers come from:

- ``metric``: the query service's rollups over ``[now - window_s, now)`` (``QueryService.aggregate``).
- ``host``: ``QueryService.host_series`` averaged over the window, per host (hosts whose latest sample
  lists the rule's model, or every host of the project for a rule on all models).
- ``drift``, ``data_quality``, ``quality``: the latest ``monitor_results`` row of the model and kind
  whose ``window_end`` lies in ``[now - window_s, now]``. Paths read from its ``result`` JSON:
  drift ``dataset_drift`` (or ``drifted``, as the scheduled evaluation writes it; else the row's
  ``flagged``) and ``features.<name>.drifted`` (value: ``features.<name>.statistic``); data quality
  ``features.<name>.missing_share`` and ``features.<name>.new_categories`` (a list, counted; with no
  feature, the row's ``value``, the largest missing share, and new categories summed over
  features); quality ``metrics.<metric>``. A missing row or path is "no data".
- ``slo``: see ``slo_windows``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import select

from monitorx.services.alerting import slo_windows
from monitorx.services.alerting.rules import Rule
from monitorx.services.query import QueryService, SeriesFilter
from monitorx.services.registry import Model, Registry
from monitorx.stats import slo
from monitorx.store import tables as t
from monitorx.store.database import Database


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]  # what tells this instance apart (model, host, slo), beyond the rule's
    value: float | None  # None: no data
    holds: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def compare(value: float, op: str, threshold: float) -> bool:
    if op == ">":
        return value > threshold
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    if op == "<=":
        return value <= threshold
    if op == "==":
        return value == threshold
    return value != threshold


def _fmt(v: float | None) -> str:
    return "no data" if v is None else f"{v:.4g}"


class Sources:
    def __init__(self, db: Database, registry: Registry, query: QueryService) -> None:
        self.db = db
        self.registry = registry
        self.query = query

    def models_of(self, rule: Rule, models: list[Model]) -> list[Model]:
        return [m for m in models if rule.model_id is None or m.id == rule.model_id]

    def evaluate(self, rule: Rule, models: list[Model], now: float) -> list[Sample]:
        cond = rule.condition
        kind = cond["type"]
        if kind == "host":
            return self._host(rule, cond, models, now)
        out: list[Sample] = []
        for m in self.models_of(rule, models):
            if kind == "metric":
                out.append(self._metric(rule, cond, m, now))
            elif kind == "slo":
                out.extend(self._slo(rule, cond, m, now))
            else:
                out.append(self._monitor(cond, m, now))
        return out

    def _filter(self, rule: Rule) -> SeriesFilter:
        return SeriesFilter(tuple(rule.versions), tuple(rule.environments), tuple(sorted(rule.tags.items())))

    def _series_ids(self, rule: Rule, model: Model) -> list[int]:
        flt = self._filter(rule)
        with self.db.read() as conn:
            return [s.id for s in self.registry.series_of(conn, model.id) if flt.matches(s)]

    # -- query metrics --------------------------------------------------------------------
    def _metric(self, rule: Rule, cond: dict[str, Any], model: Model, now: float) -> Sample:
        metric, window = cond["metric"], float(cond["window_s"])
        ids = self._series_ids(rule, model)
        with self.db.read() as conn:
            _, values = self.query.aggregate(conn, dict.fromkeys(ids, 0), 1, now - window, now, window, [metric])
        raw = float(values[metric][0][0])
        value = None if math.isnan(raw) else raw
        threshold = float(cond["threshold"])
        if cond.get("threshold_from"):
            threshold = float(model.thresholds.get(cond["threshold_from"], threshold))
        return self._compared({"model": model.name}, metric, value, cond["op"], threshold, cond, window)

    @staticmethod
    def _compared(
        labels: dict[str, str],
        what: str,
        value: float | None,
        op: str,
        threshold: float,
        cond: dict[str, Any],
        window: float,
    ) -> Sample:
        holds = cond.get("no_data") == "alert" if value is None else compare(value, op, threshold)
        where = " ".join(f"{k}={v}" for k, v in labels.items())
        summary = f"{what} is {_fmt(value)} ({op} {threshold:g} over {window:g}s) for {where}"
        return Sample(labels, value, holds, summary, {"threshold": threshold, "op": op})

    # -- hosts ----------------------------------------------------------------------------
    def _host(self, rule: Rule, cond: dict[str, Any], models: list[Model], now: float) -> list[Sample]:
        metric, window = cond["metric"], float(cond["window_s"])
        model = next((m for m in models if m.id == rule.model_id), None)
        if rule.model_id is not None and model is None:
            return []
        out = []
        for h in self.query.hosts(rule.project_id, now):
            if model is not None and not any(m.get("model") == model.name for m in h["models"]):
                continue
            series = self.query.host_series(rule.project_id, h["host"], [metric], now - window, now, int(window))
            value = series["values"][metric][0]
            labels = {"host": h["host"]} if model is None else {"model": model.name, "host": h["host"]}
            out.append(self._compared(labels, metric, value, cond["op"], float(cond["threshold"]), cond, window))
        return out

    # -- drift, data quality, model quality -----------------------------------------------
    def _monitor(self, cond: dict[str, Any], model: Model, now: float) -> Sample:
        kind = cond["type"]
        window = float(cond["window_s"])
        with self.db.read() as conn:
            row = conn.execute(
                select(t.monitor_results)
                .where(
                    t.monitor_results.c.model_id == model.id,
                    t.monitor_results.c.kind == kind,
                    t.monitor_results.c.window_end >= now - window,
                    t.monitor_results.c.window_end <= now,
                )
                .order_by(t.monitor_results.c.window_end.desc(), t.monitor_results.c.id.desc())
                .limit(1)
            ).first()
        labels = {"model": model.name}
        if row is None:
            return self._no_data(labels, cond, f"no {kind} result in the last {window:g}s")
        try:
            result = orjson.loads(row.result)
        except orjson.JSONDecodeError:
            result = {}
        feature = cond.get("feature")
        window_end = {"window_end": row.window_end}
        if kind == "drift":
            if feature is None:
                verdict = result.get("dataset_drift", result.get("drifted", row.flagged))
                drifted = bool(verdict) if isinstance(verdict, bool) else bool(row.flagged)
                share = row.value
                return Sample(
                    labels, share, drifted, f"dataset drift: {drifted} (drifted share {_fmt(share)})", window_end
                )
            feat = _dig(result, "features", feature)
            if not isinstance(feat, dict) or "drifted" not in feat:
                return self._no_data(labels, cond, f"no drift result for feature '{feature}'")
            stat = feat.get("statistic")
            value = float(stat) if isinstance(stat, int | float) and not isinstance(stat, bool) else None
            return Sample(labels, value, bool(feat["drifted"]), f"feature '{feature}' drifted: {bool(feat['drifted'])}")
        if kind == "data_quality":
            check = cond["check"]
            if check == "flagged":
                return Sample(labels, row.value, bool(row.flagged), f"data quality flagged: {bool(row.flagged)}")
            value = _quality_value(result, row.value, check, feature)
            what = f"{check}({feature})" if feature else check
        else:
            raw = _dig(result, "metrics", cond["metric"])
            value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
            what = cond["metric"]
        if value is None:
            return self._no_data(labels, cond, f"{what}: not in the latest {kind} result")
        return self._compared(labels, what, value, cond["op"], float(cond["threshold"]), cond, window)

    @staticmethod
    def _no_data(labels: dict[str, str], cond: dict[str, Any], why: str) -> Sample:
        return Sample(labels, None, cond.get("no_data") == "alert", why)

    # -- SLO burn rates -------------------------------------------------------------------
    def _slo(self, rule: Rule, cond: dict[str, Any], model: Model, now: float) -> list[Sample]:
        ids = self._series_ids(rule, model)
        threshold = cond.get("latency_threshold_ms")
        counts = slo_windows.window_counts(self.db, self.query.minute_days, ids, now, slo.windows_needed(), threshold)
        objective, period_s = float(cond["objective"]), float(cond["period_days"]) * slo.DAY
        pairs = slo.evaluate_pairs(counts, objective, period_s)
        out = []
        for severity in cond["alerts"]:
            mine = [p for p in pairs if p.window.severity == severity]
            burns = [min(p.long_burn, p.short_burn) for p in mine if not math.isnan(p.long_burn + p.short_burn)]
            value = max(burns) if burns else None
            firing = [p for p in mine if p.firing]
            what = f"{cond['sli']} SLO {objective:.4%} over {cond['period_days']}d"
            if firing:
                p = firing[0]
                summary = (
                    f"{what}: burning {min(p.long_burn, p.short_burn):.3g}x its error budget over "
                    f"{_span(p.window.long_s)} and {_span(p.window.short_s)} (> {p.factor:.3g}) for model={model.name}"
                )
            else:
                summary = f"{what}: burn rate {_fmt(value)} for model={model.name}"
            details = {
                "pairs": [
                    {
                        "long": _span(p.window.long_s),
                        "short": _span(p.window.short_s),
                        "factor": p.factor,
                        "long_burn": None if math.isnan(p.long_burn) else p.long_burn,
                        "short_burn": None if math.isnan(p.short_burn) else p.short_burn,
                        "firing": p.firing,
                    }
                    for p in mine
                ]
            }
            out.append(Sample({"model": model.name, "slo": severity}, value, bool(firing), summary, details))
        return out


def _span(seconds: int) -> str:
    if seconds % slo.DAY == 0:
        return f"{seconds // slo.DAY}d"
    if seconds % slo.HOUR == 0:
        return f"{seconds // slo.HOUR}h"
    return f"{seconds // 60}m"


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _count(v: Any) -> int | None:
    if isinstance(v, list | dict):
        return len(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return None


def _quality_value(result: dict[str, Any], headline: float | None, check: str, feature: str | None) -> float | None:
    features = result.get("features") if isinstance(result.get("features"), dict) else {}
    assert isinstance(features, dict)
    if check == "missing_share":
        if feature is None:
            return headline
        v = _dig(features, feature, "missing_share")
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None
    if feature is not None:
        n = _count(_dig(features, feature, "new_categories"))
        return None if n is None else float(n)
    counts = [_count(f.get("new_categories")) for f in features.values() if isinstance(f, dict)]
    known = [c for c in counts if c is not None]
    return float(sum(known)) if known else None
