"""Drift and data quality of any window of live traffic against a model's reference.

The window's feature summaries are merged from the stored minute and hour summaries (the same
read rule as latency rollups, so nothing is read twice), then compared with the reference's
summaries by :func:`monitorx.stats.drift.dataset_drift`. No raw row is read.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update

from monitorx.errors import Conflict, InvalidInput, NotFound
from monitorx.services.features import PREDICTION
from monitorx.services.query import SeriesFilter
from monitorx.services.registry import Model, Registry, insert_ignore
from monitorx.services.rollup import read_rolled
from monitorx.stats.drift import DriftPolicy, FeatureDriftConfig, dataset_drift
from monitorx.stats.summaries import (
    CategoricalSummary,
    FeatureKind,
    FeatureSummary,
    NumericSummary,
    merge_summaries,
    summarize,
    summary_from_bytes,
)
from monitorx.store import tables as t
from monitorx.store.database import Database


@dataclass(frozen=True)
class Window:
    """A window's merged summaries: per feature, its summary and how many values had the wrong type."""

    summaries: dict[str, FeatureSummary]
    type_errors: dict[str, int]


@dataclass(frozen=True)
class ReferenceInfo:
    id: int
    name: str
    source: str
    rows: int
    details: dict[str, Any]
    created_at: float
    active: bool
    features: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "rows": self.rows,
            "details": self.details,
            "created_at": self.created_at,
            "active": self.active,
            "features": self.features,
        }


def policy_from_config(config: dict[str, Any]) -> DriftPolicy:
    """The drift policy of a model's monitoring config (validated by the API's schema)."""
    drift = config.get("drift", {})
    features = {
        name: FeatureDriftConfig(f.get("method"), f.get("threshold"), f.get("min_effect"))
        for name, f in drift.get("features", {}).items()
    }
    try:
        return DriftPolicy(
            mode=drift.get("mode", "adaptive"),
            alpha=drift.get("alpha", 0.05),
            drift_share=drift.get("drift_share", 0.5),
            features=features,
        )
    except (ValueError, KeyError) as exc:
        raise InvalidInput(f"invalid drift settings: {exc}") from None


class DriftService:
    def __init__(self, db: Database, registry: Registry, minute_days: float) -> None:
        self.db = db
        self.registry = registry
        self.minute_days = minute_days

    # -- windows ----------------------------------------------------------------------------
    def window(self, conn: Connection, model_id: int, start: float, end: float, flt: SeriesFilter) -> Window:
        """Merged summaries of the window, over the model's series (version, environment, tags) in the filter."""
        tb = t.feature_summaries
        series = [s.id for s in self.registry.series_of(conn, model_id) if flt.matches(s)]
        cols = [tb.c.feature, tb.c.type_errors, tb.c.summary]
        rows = read_rolled(conn, tb, series, cols, start, end, end - start, 1, self.minute_days)
        blobs: dict[str, list[bytes]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        for feature, type_errors, blob in rows:
            blobs[feature].append(blob)
            errors[feature] += type_errors
        return Window({f: merge_summaries(summary_from_bytes(b) for b in bs) for f, bs in blobs.items()}, dict(errors))

    # -- references -------------------------------------------------------------------------
    def _kinds(self, conn: Connection, model_id: int) -> dict[str, FeatureKind]:
        return {
            r.feature: r.kind
            for r in conn.execute(select(t.feature_kinds).where(t.feature_kinds.c.model_id == model_id))
        }

    def create_reference_from_columns(
        self, project_id: int, model_name: str, name: str, columns: dict[str, list[Any]], details: dict[str, Any]
    ) -> ReferenceInfo:
        """Summarise an uploaded table once and keep it as the model's (active) reference.

        Training data often comes before the first prediction, so an unknown model is registered,
        as a first event would register it.
        """
        try:
            model = self.registry.get_model(project_id, model_name)
        except NotFound:
            model = self.registry.create_model(project_id, model_name, "other", "", {})
        if not columns:
            raise InvalidInput("the reference has no columns")
        rows = max(len(v) for v in columns.values())
        if rows == 0:
            raise InvalidInput("the reference has no rows")
        with self.db.read() as conn:
            known = self._kinds(conn, model.id)
        summaries: dict[str, FeatureSummary] = {}
        for feature, values in columns.items():
            kind = known.get(feature)
            cleaned = coerce(values, kind)
            summaries[feature] = summarize(cleaned, kind)
        return self._store_reference(model, name, "upload", rows, details, summaries, fix_kinds=True)

    def create_reference_from_window(
        self, project_id: int, model_name: str, name: str, start: float, end: float, flt: SeriesFilter
    ) -> ReferenceInfo:
        """A window of the model's own traffic (e.g. the first week of version 3) as its reference."""
        if end <= start:
            raise InvalidInput("end must be after start")
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            window = self.window(conn, model.id, start, end, flt)
        if not window.summaries:
            raise InvalidInput("the window holds no features: nothing was recorded for this model then")
        rows = max(s.total for s in window.summaries.values())
        details = {"start": start, "end": end, **filter_dict(flt)}
        return self._store_reference(model, name, "window", rows, details, window.summaries)

    def _store_reference(
        self,
        model: Model,
        name: str,
        source: str,
        rows: int,
        details: dict[str, Any],
        summaries: dict[str, FeatureSummary],
        fix_kinds: bool = False,
    ) -> ReferenceInfo:
        rs = t.reference_sets
        with self.db.write() as conn:
            if fix_kinds:  # the training data is the schema: live values of another kind are type errors
                insert_ignore(
                    conn,
                    t.feature_kinds,
                    [
                        {"model_id": model.id, "feature": f, "kind": s.kind, "first_seen": time.time()}
                        for f, s in summaries.items()
                    ],
                )
            if conn.execute(select(rs.c.id).where(rs.c.model_id == model.id, rs.c.name == name)).first():
                raise Conflict(f"model '{model.name}' has a reference named '{name}' already")
            # The newest reference becomes the active one: drift is measured against it.
            conn.execute(update(rs).where(rs.c.model_id == model.id).values(active=False))
            rid = conn.execute(
                insert(rs)
                .values(
                    model_id=model.id,
                    name=name,
                    source=source,
                    rows=rows,
                    details=orjson.dumps(details).decode(),
                    created_at=time.time(),
                    active=True,
                )
                .returning(rs.c.id)
            ).scalar_one()
            conn.execute(
                insert(t.reference_features),
                [
                    {"reference_id": rid, "feature": f, "kind": s.kind, "summary": s.to_bytes()}
                    for f, s in summaries.items()
                ],
            )
        return self.get_reference(model.project_id, model.name, name)

    def list_references(self, project_id: int, model_name: str) -> list[ReferenceInfo]:
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.reference_sets).where(t.reference_sets.c.model_id == model.id).order_by(t.reference_sets.c.id)
            ).all()
            return [self._info(conn, r) for r in rows]

    def get_reference(self, project_id: int, model_name: str, name: str | None = None) -> ReferenceInfo:
        """A reference by name, or the active one."""
        model = self.registry.get_model(project_id, model_name)
        rs = t.reference_sets
        with self.db.read() as conn:
            cond = rs.c.name == name if name is not None else rs.c.active.is_(True)
            r = conn.execute(select(rs).where(rs.c.model_id == model.id, cond)).first()
            if r is None:
                if name is not None:
                    raise NotFound(f"model '{model_name}' has no reference named '{name}'")
                raise NotFound(
                    f"model '{model_name}' has no reference yet: upload one (POST "
                    f"/api/v1/models/{model_name}/references) or use a window of its traffic"
                )
            return self._info(conn, r)

    def _info(self, conn: Connection, r: Any) -> ReferenceInfo:
        kinds = {
            f.feature: f.kind
            for f in conn.execute(
                select(t.reference_features.c.feature, t.reference_features.c.kind).where(
                    t.reference_features.c.reference_id == r.id
                )
            )
        }
        return ReferenceInfo(r.id, r.name, r.source, r.rows, orjson.loads(r.details), r.created_at, r.active, kinds)

    def activate_reference(self, project_id: int, model_name: str, name: str) -> ReferenceInfo:
        ref = self.get_reference(project_id, model_name, name)
        model = self.registry.get_model(project_id, model_name)
        rs = t.reference_sets
        with self.db.write() as conn:
            conn.execute(update(rs).where(rs.c.model_id == model.id).values(active=False))
            conn.execute(update(rs).where(rs.c.id == ref.id).values(active=True))
        return self.get_reference(project_id, model_name, name)

    def delete_reference(self, project_id: int, model_name: str, name: str) -> None:
        ref = self.get_reference(project_id, model_name, name)
        with self.db.write() as conn:
            conn.execute(delete(t.reference_features).where(t.reference_features.c.reference_id == ref.id))
            conn.execute(delete(t.reference_sets).where(t.reference_sets.c.id == ref.id))

    def reference_summaries(self, ref: ReferenceInfo) -> dict[str, FeatureSummary]:
        with self.db.read() as conn:
            return {
                r.feature: summary_from_bytes(r.summary)
                for r in conn.execute(select(t.reference_features).where(t.reference_features.c.reference_id == ref.id))
            }

    # -- reports ----------------------------------------------------------------------------
    def report(
        self,
        project_id: int,
        model_name: str,
        start: float,
        end: float,
        flt: SeriesFilter,
        reference: str | None = None,
        policy: DriftPolicy | None = None,
    ) -> dict[str, Any]:
        """Drift per feature and for the dataset, and the window's data quality, in one report."""
        if end <= start:
            raise InvalidInput(
                "end must be after start", [{"loc": ["query", "end"], "msg": "end ≤ start", "type": "value_error"}]
            )
        model = self.registry.get_model(project_id, model_name)
        ref = self.get_reference(project_id, model_name, reference)
        ref_summaries = self.reference_summaries(ref)
        with self.db.read() as conn:
            window = self.window(conn, model.id, start, end, flt)
        shared = {f: s for f, s in window.summaries.items() if f in ref_summaries and s.kind == ref_summaries[f].kind}
        verdict = dataset_drift({f: ref_summaries[f] for f in shared}, shared, policy or DriftPolicy())
        drift = verdict.to_dict()
        features = {f: v for f, v in drift["features"].items() if not f.startswith(PREDICTION)}
        predictions = {f: v for f, v in drift["features"].items() if f.startswith(PREDICTION)}
        # The dataset verdict is over the input features; the prediction's drift is reported apart.
        n_drifted = sum(v["drifted"] for v in features.values())
        share = n_drifted / len(features) if features else 0.0
        drift.update(
            features=features,
            n_features=len(features),
            n_drifted=n_drifted,
            drifted_share=share,
            drifted=bool(features) and share >= drift["drift_share"],
            prediction=predictions,
        )
        rows = max((s.total for s in window.summaries.values()), default=0)
        return {
            "model": model.name,
            "window": {"start": start, "end": end, **filter_dict(flt)},
            "rows": rows,
            "reference": ref.to_dict(),
            "drift": drift,
            "data_quality": data_quality(window, ref_summaries, drift["features"] | predictions),
        }


def filter_dict(flt: SeriesFilter) -> dict[str, Any]:
    return {
        "versions": list(flt.versions),
        "environments": list(flt.environments),
        "tags": {k: v for k, v in flt.tags},
    }


def data_quality(
    window: Window, reference: dict[str, FeatureSummary], verdicts: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Missing share, type errors, values outside the reference range and unseen categories."""
    features: dict[str, Any] = {}
    for name, s in window.summaries.items():
        errors = window.type_errors.get(name, 0)
        total = s.total + errors
        ref = reference.get(name)
        finding: dict[str, Any] = {
            "kind": s.kind,
            "rows": total,
            "missing": s.missing,
            "missing_share": s.missing / total if total else 0.0,
            "type_errors": errors,
            "type_error_share": errors / total if total else 0.0,
            "reference_kind": None if ref is None else ref.kind,
            "out_of_range_share": None,
            "new_categories": [],
            "new_category_share": 0.0,
        }
        if ref is not None and ref.kind != s.kind:
            finding["kind_mismatch"] = True
        if isinstance(s, NumericSummary) and isinstance(ref, NumericSummary) and s.count and ref.count:
            below = float(s.cdf(math.nextafter(ref.minimum, -math.inf)))
            above = 1.0 - float(s.cdf(ref.maximum))
            finding["out_of_range_share"] = max(0.0, below) + max(0.0, above)
            finding["reference_range"] = [ref.minimum, ref.maximum]
        if isinstance(s, CategoricalSummary) and name in verdicts:
            finding["new_categories"] = verdicts[name]["new_categories"]
            finding["new_category_share"] = verdicts[name]["new_category_share"]
        features[name] = finding
    return {
        "features": features,
        "missing_in_window": sorted(set(reference) - set(window.summaries)),
        "not_in_reference": sorted(set(window.summaries) - set(reference)),
        "max_missing_share": max((f["missing_share"] for f in features.values()), default=0.0),
    }


def coerce(values: list[Any], kind: FeatureKind | None) -> list[Any]:
    """Uploaded values (CSV gives strings) in the feature's kind; blanks are missing."""
    out: list[Any] = [None if v is None or v == "" else v for v in values]
    numeric = kind == "numeric" or (kind is None and _all_numeric(out))
    if not numeric:
        return [None if v is None else (("true" if v else "false") if isinstance(v, bool) else str(v)) for v in out]
    result: list[Any] = []
    for v in out:
        if v is None or isinstance(v, bool):
            result.append(None)
            continue
        try:
            result.append(float(v))
        except (TypeError, ValueError):
            result.append(None)
    return result


def _all_numeric(values: list[Any]) -> bool:
    seen = False
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return False
        if isinstance(v, int | float):
            seen = True
            continue
        try:
            float(v)
        except (TypeError, ValueError):
            return False
        seen = True
    return seen
