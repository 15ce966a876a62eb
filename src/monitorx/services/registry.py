"""Projects, models, versions, environments and series: registered explicitly or by first use."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from monitorx.errors import Conflict, InvalidInput, NotFound
from monitorx.store import tables as t
from monitorx.store.database import Database

MODEL_TYPES = ("classification", "regression", "llm", "cv", "ranking", "other")
THRESHOLD_KEYS = ("latency_p95_ms", "latency_p99_ms", "error_rate", "throughput_min", "cost_usd_per_hour")


@dataclass(frozen=True)
class Model:
    id: int
    project_id: int
    name: str
    type: str
    description: str
    thresholds: dict[str, float]
    created_at: float
    versions: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesKey:
    model_id: int
    version: str
    environment: str
    tags: str  # canonical JSON


@dataclass(frozen=True)
class Series:
    id: int
    version: str
    environment: str
    tags: dict[str, str]


@dataclass
class Resolution:
    """Ids for one batch's series keys, and what was new (cached only after commit)."""

    series_ids: list[int]
    model_ids: dict[str, int]
    project_id: int
    new_series: dict[SeriesKey, int]
    new_versions: set[tuple[int, str]]
    new_envs: set[tuple[int, str]]


def canonical_tags(tags: dict[str, str]) -> str:
    return orjson.dumps(tags, option=orjson.OPT_SORT_KEYS).decode()


def insert_ignore(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either engine (replicas may race to create a row)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def validate_thresholds(thresholds: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(thresholds) - set(THRESHOLD_KEYS))
    if unknown:
        raise InvalidInput(
            f"unknown thresholds {unknown}; known: {list(THRESHOLD_KEYS)}",
            [{"loc": ["thresholds", k], "msg": "unknown threshold", "type": "value_error"} for k in unknown],
        )
    return thresholds


class Registry:
    """Names to ids, with an in-process cache of what is known to be committed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._models: dict[tuple[int, str], int] = {}
        self._series: dict[SeriesKey, int] = {}
        self._known_versions: set[tuple[int, str]] = set()
        self._known_envs: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    # -- projects -------------------------------------------------------------------------
    def project_id(self, name: str) -> int:
        with self.db.read() as conn:
            pid = conn.execute(select(t.projects.c.id).where(t.projects.c.name == name)).scalar()
        if pid is None:
            raise NotFound(f"no project named '{name}'")
        return int(pid)

    def create_project(self, name: str, conn: Connection | None = None) -> int:
        def _do(c: Connection) -> int:
            if c.execute(select(t.projects.c.id).where(t.projects.c.name == name)).scalar() is not None:
                raise Conflict(f"a project named '{name}' exists already")
            stmt = insert(t.projects).values(name=name, created_at=time.time()).returning(t.projects.c.id)
            return int(c.execute(stmt).scalar_one())

        if conn is not None:
            return _do(conn)
        with self.db.write() as c:
            return _do(c)

    def list_projects(self) -> list[tuple[int, str]]:
        with self.db.read() as conn:
            return [(r.id, r.name) for r in conn.execute(select(t.projects).order_by(t.projects.c.id))]

    # -- models ---------------------------------------------------------------------------
    def create_model(
        self, project_id: int, name: str, type: str, description: str, thresholds: dict[str, float]
    ) -> Model:
        if type not in MODEL_TYPES:
            raise InvalidInput(f"type must be one of {list(MODEL_TYPES)}")
        validate_thresholds(thresholds)
        with self.db.write() as conn:
            exists = conn.execute(
                select(t.models.c.id).where(t.models.c.project_id == project_id, t.models.c.name == name)
            ).scalar()
            if exists is not None:
                raise Conflict(f"a model named '{name}' exists already")
            conn.execute(
                insert(t.models).values(
                    project_id=project_id,
                    name=name,
                    type=type,
                    description=description,
                    thresholds=orjson.dumps(thresholds).decode(),
                    created_at=time.time(),
                )
            )
        return self.get_model(project_id, name)

    def update_model(
        self,
        project_id: int,
        name: str,
        type: str | None = None,
        description: str | None = None,
        thresholds: dict[str, float] | None = None,
    ) -> Model:
        model = self.get_model(project_id, name)
        values: dict[str, Any] = {}
        if type is not None:
            if type not in MODEL_TYPES:
                raise InvalidInput(f"type must be one of {list(MODEL_TYPES)}")
            values["type"] = type
        if description is not None:
            values["description"] = description
        if thresholds is not None:
            values["thresholds"] = orjson.dumps(validate_thresholds(thresholds)).decode()
        if values:
            with self.db.write() as conn:
                conn.execute(update(t.models).where(t.models.c.id == model.id).values(**values))
        return self.get_model(project_id, name)

    def get_model(self, project_id: int, name: str) -> Model:
        with self.db.read() as conn:
            r = conn.execute(
                select(t.models).where(t.models.c.project_id == project_id, t.models.c.name == name)
            ).first()
            if r is None:
                raise NotFound(f"no model named '{name}' in this project")
            return self._model(conn, r)

    def list_models(self, project_id: int) -> list[Model]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.models).where(t.models.c.project_id == project_id).order_by(t.models.c.name)
            ).all()
            return [self._model(conn, r) for r in rows]

    def _model(self, conn: Connection, r: Any) -> Model:
        versions = conn.execute(
            select(t.model_versions.c.version)
            .where(t.model_versions.c.model_id == r.id)
            .order_by(t.model_versions.c.created_at, t.model_versions.c.id)
        ).scalars()
        envs = conn.execute(select(t.series.c.environment).where(t.series.c.model_id == r.id).distinct()).scalars()
        return Model(
            r.id,
            r.project_id,
            r.name,
            r.type,
            r.description,
            orjson.loads(r.thresholds),
            r.created_at,
            list(versions),
            sorted(envs),
        )

    def add_version(self, project_id: int, model_name: str, version: str, description: str = "") -> None:
        model = self.get_model(project_id, model_name)
        if version in model.versions:
            raise Conflict(f"model '{model_name}' has a version '{version}' already")
        with self.db.write() as conn:
            insert_ignore(
                conn,
                t.model_versions,
                [
                    {
                        "model_id": model.id,
                        "version": version,
                        "description": description,
                        "created_at": time.time(),
                    }
                ],
            )

    def add_environment(self, project_id: int, name: str) -> None:
        with self.db.write() as conn:
            insert_ignore(conn, t.environments, [{"project_id": project_id, "name": name, "created_at": time.time()}])

    def list_environments(self, project_id: int) -> list[str]:
        with self.db.read() as conn:
            return list(
                conn.execute(
                    select(t.environments.c.name)
                    .where(t.environments.c.project_id == project_id)
                    .order_by(t.environments.c.name)
                ).scalars()
            )

    def series_of(self, conn: Connection, model_id: int) -> list[Series]:
        rows = conn.execute(select(t.series).where(t.series.c.model_id == model_id)).all()
        return [Series(r.id, r.version, r.environment, orjson.loads(r.tags)) for r in rows]

    # -- implicit registration on ingest --------------------------------------------------
    def resolve_for_ingest(
        self, conn: Connection, project_id: int, keys: list[tuple[str, str, str, str]]
    ) -> Resolution:
        """Series ids for (model, version, environment, tags-json) keys, creating what is new.

        Runs inside the ingest transaction; new ids reach the cache only through ``remember``
        after the commit, so a rolled-back batch never leaves a phantom id behind.
        """
        now = time.time()
        model_ids: dict[str, int] = {}
        missing_models = []
        for name in {k[0] for k in keys}:
            mid = self._models.get((project_id, name))
            if mid is None:
                missing_models.append(name)
            else:
                model_ids[name] = mid
        if missing_models:
            insert_ignore(
                conn,
                t.models,
                [
                    {
                        "project_id": project_id,
                        "name": n,
                        "type": "other",
                        "description": "",
                        "thresholds": "{}",
                        "created_at": now,
                    }
                    for n in missing_models
                ],
            )
            for r in conn.execute(
                select(t.models.c.id, t.models.c.name).where(
                    t.models.c.project_id == project_id, t.models.c.name.in_(missing_models)
                )
            ):
                model_ids[r.name] = r.id

        new_versions = {(model_ids[k[0]], k[1]) for k in keys} - self._known_versions
        if new_versions:
            insert_ignore(
                conn,
                t.model_versions,
                [{"model_id": m, "version": v, "description": "", "created_at": now} for m, v in new_versions],
            )
        new_envs = {(project_id, k[2]) for k in keys} - self._known_envs
        if new_envs:
            insert_ignore(conn, t.environments, [{"project_id": p, "name": e, "created_at": now} for p, e in new_envs])

        skeys = [SeriesKey(model_ids[k[0]], k[1], k[2], k[3]) for k in keys]
        missing = [s for s in set(skeys) if s not in self._series]
        found: dict[SeriesKey, int] = {}
        if missing:
            insert_ignore(
                conn,
                t.series,
                [
                    {
                        "model_id": s.model_id,
                        "version": s.version,
                        "environment": s.environment,
                        "tags": s.tags,
                        "created_at": now,
                    }
                    for s in missing
                ],
            )
            for s in missing:
                found[s] = conn.execute(
                    select(t.series.c.id).where(
                        t.series.c.model_id == s.model_id,
                        t.series.c.version == s.version,
                        t.series.c.environment == s.environment,
                        t.series.c.tags == s.tags,
                    )
                ).scalar_one()
        ids = [self._series.get(s) or found[s] for s in skeys]
        return Resolution(ids, model_ids, project_id, found, new_versions, new_envs)

    def remember(self, res: Resolution) -> None:
        """Cache what ``resolve_for_ingest`` found or created, once its transaction committed."""
        with self._lock:
            for name, mid in res.model_ids.items():
                self._models[(res.project_id, name)] = mid
            self._series.update(res.new_series)
            self._known_versions |= res.new_versions
            self._known_envs |= res.new_envs

    def forget(self) -> None:
        """Drop the cache (e.g. after tests delete rows behind our back)."""
        with self._lock:
            self._models.clear()
            self._series.clear()
            self._known_versions.clear()
            self._known_envs.clear()
