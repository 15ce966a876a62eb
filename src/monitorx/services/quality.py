"""Ground truth that arrives late, and model quality per window of the original prediction time.

Labels are stored by prediction id as they come (a second label for an id replaces the first:
the last one to arrive wins). Quality for a window reads the predictions made in it — kept in
compressed chunks for ``prediction_retention_days`` — and looks their labels up by id, so a label
counts towards the window of its prediction however late it arrives. A label whose prediction is
never found stays unmatched and is reported as such, never an error.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter
from sqlalchemy import Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from monitorx.errors import InvalidInput, PayloadTooLarge
from monitorx.services.ingest import IngestResult, _claim_batch, _epoch, parse
from monitorx.services.registry import Registry
from monitorx.services.schemas import BatchId, Timestamp
from monitorx.stats.quality import classification_metrics, quality_metrics
from monitorx.store import codec
from monitorx.store import tables as t
from monitorx.store.database import Database

_LOOKUP_CHUNK = 500  # ids per IN (…) lookup: well under SQLite's and PostgreSQL's parameter limits
_STRICT = ConfigDict(extra="forbid", strict=True)


class Actual(BaseModel):
    model_config = _STRICT
    prediction_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    actual: Annotated[float, Field(allow_inf_nan=False)] | Annotated[str, StringConstraints(max_length=200)] | bool
    timestamp: Timestamp | None = None


class ActualBatch(BaseModel):
    model_config = _STRICT
    batch_id: BatchId
    actuals: list[Actual]


_ACTUALS = TypeAdapter(ActualBatch)


class QualityService:
    def __init__(self, db: Database, registry: Registry, max_batch: int) -> None:
        self.db = db
        self.registry = registry
        self.max_batch = max_batch

    def ingest_actuals(self, project_id: int, body: bytes, now: float | None = None) -> IngestResult:
        batch: ActualBatch = parse(_ACTUALS, body)
        if len(batch.actuals) > self.max_batch:
            raise PayloadTooLarge(f"a batch may hold at most {self.max_batch} actuals")
        now = time.time() if now is None else now
        latest: dict[str, dict[str, Any]] = {}
        for a in batch.actuals:  # within a batch too, the later label for an id wins
            ts = (
                now if a.timestamp is None else (a.timestamp if isinstance(a.timestamp, float) else _epoch(a.timestamp))
            )
            latest[a.prediction_id] = {
                "project_id": project_id,
                "prediction_id": a.prediction_id,
                "actual": orjson.dumps(a.actual).decode(),
                "ts": ts,
                "received_at": now,
            }
        with self.db.write() as conn:
            seen = _claim_batch(conn, project_id, "actuals", batch.batch_id, len(batch.actuals))
            if seen is not None:
                return IngestResult(batch.batch_id, seen, True)
            if latest:
                dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                stmt = dialect.insert(t.actuals)
                conn.execute(
                    stmt.on_conflict_do_update(
                        index_elements=["project_id", "prediction_id"],
                        set_={
                            "actual": stmt.excluded.actual,
                            "ts": stmt.excluded.ts,
                            "received_at": stmt.excluded.received_at,
                        },
                    ),
                    list(latest.values()),
                )
        return IngestResult(batch.batch_id, len(batch.actuals), False)

    def stats(self, project_id: int, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        a = t.actuals
        with self.db.read() as conn:
            total = conn.execute(select(func.count()).where(a.c.project_id == project_id)).scalar_one()
            matched = conn.execute(
                select(func.count()).where(a.c.project_id == project_id, a.c.model_id.is_not(None))
            ).scalar_one()
            stale = conn.execute(
                select(func.count()).where(
                    a.c.project_id == project_id, a.c.model_id.is_(None), a.c.received_at < now - 3600
                )
            ).scalar_one()
        return {
            "received": int(total),
            "matched": int(matched),
            "unmatched": int(total - matched),
            # Matching happens when quality is evaluated; an hour later still unmatched means the
            # prediction id is unknown (or its prediction expired).
            "unmatched_after_1h": int(stale),
        }

    def labelled(
        self,
        conn: Connection,
        project_id: int,
        model_id: int,
        start: float,
        end: float,
        versions: tuple[str, ...] = (),
        environments: tuple[str, ...] = (),
    ) -> list[tuple[str, float, Any, Any]]:
        """(prediction id, prediction time, prediction, label) for the window's labelled predictions."""
        pc = t.prediction_chunks
        preds: dict[str, tuple[float, Any]] = {}
        for (data,) in conn.execute(
            select(pc.c.data).where(pc.c.model_id == model_id, pc.c.max_ts >= start, pc.c.min_ts < end)
        ):
            for pid, ts, version, env, prediction in codec.unpack(data):
                if (
                    start <= ts < end
                    and (not versions or version in versions)
                    and (not environments or env in environments)
                ):
                    preds[pid] = (ts, prediction)
        out = []
        ids = list(preds)
        for i in range(0, len(ids), _LOOKUP_CHUNK):
            part = ids[i : i + _LOOKUP_CHUNK]
            for pid, actual in conn.execute(
                select(t.actuals.c.prediction_id, t.actuals.c.actual).where(
                    t.actuals.c.project_id == project_id, t.actuals.c.prediction_id.in_(part)
                )
            ):
                ts, prediction = preds[pid]
                out.append((pid, ts, prediction, orjson.loads(actual)))
        return out

    def mark_matched(self, project_id: int, model_id: int, pairs: list[tuple[str, float, Any, Any]]) -> None:
        """Record which model each label belongs to (for the unmatched count)."""
        if not pairs:
            return
        with self.db.write() as conn:
            for i in range(0, len(pairs), _LOOKUP_CHUNK):
                part = pairs[i : i + _LOOKUP_CHUNK]
                conn.execute(
                    update(t.actuals)
                    .where(
                        and_(
                            t.actuals.c.project_id == project_id,
                            t.actuals.c.prediction_id.in_([p[0] for p in part]),
                            t.actuals.c.model_id.is_(None),
                        )
                    )
                    .values(model_id=model_id)
                )

    def quality(
        self,
        project_id: int,
        model_name: str,
        start: float,
        end: float,
        versions: tuple[str, ...] = (),
        environments: tuple[str, ...] = (),
        mark: bool = False,
    ) -> dict[str, Any]:
        if end <= start:
            raise InvalidInput("end must be after start")
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            pairs = self.labelled(conn, project_id, model.id, start, end, versions, environments)
        if mark:
            self.mark_matched(project_id, model.id, pairs)
        result = metrics_of(model.type, [p[2] for p in pairs], [p[3] for p in pairs])
        return {"model": model.name, "start": start, "end": end, **result}

    def series(
        self,
        project_id: int,
        model_name: str,
        start: float,
        end: float,
        step: int,
        versions: tuple[str, ...] = (),
        environments: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        if end <= start or step < 60:
            raise InvalidInput("end must be after start, and step at least 60 seconds")
        n = math.ceil((end - start) / step)
        if n > 1000:
            raise InvalidInput(f"{n} windows requested; at most 1000: use a larger step")
        model = self.registry.get_model(project_id, model_name)
        with self.db.read() as conn:
            pairs = self.labelled(conn, project_id, model.id, start, end, versions, environments)
        cells: list[list[tuple[str, float, Any, Any]]] = [[] for _ in range(n)]
        for p in pairs:
            cells[min(n - 1, int((p[1] - start) // step))].append(p)
        points = []
        for i, cell in enumerate(cells):
            result = metrics_of(model.type, [p[2] for p in cell], [p[3] for p in cell])
            points.append({"start": start + i * step, "end": min(end, start + (i + 1) * step), **result})
        return {"model": model.name, "start": start, "end": end, "step": step, "points": points}


def metrics_of(model_type: str, predictions: list[Any], labels: list[Any]) -> dict[str, Any]:
    """Quality metrics; a prediction that is a dict of class scores is scored as such."""
    if not predictions:
        return {"task": None, "n": 0, "metrics": {}}
    if all(isinstance(p, dict) and p for p in predictions):
        classes = [max(p.items(), key=lambda kv: kv[1])[0] for p in predictions]
        return classification_metrics(labels, classes, scores=predictions)
    return quality_metrics(model_type, labels, predictions)
