"""Alert rules: stored per project, scoped to a model or to all of them; defaults for every model."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from monitorx.errors import Conflict, InvalidInput, NotFound
from monitorx.services.alerting.specs import RESERVED_LABELS, RuleIn, RulePatch
from monitorx.services.registry import insert_ignore
from monitorx.store import tables as t
from monitorx.store.database import Database

DEFAULT_LATENCY_P95_MS = 500.0


@dataclass(frozen=True)
class Rule:
    id: int
    project_id: int
    name: str
    model: str | None
    model_id: int | None
    origin: str
    versions: list[str]
    environments: list[str]
    tags: dict[str, str]
    condition: dict[str, Any]
    for_s: float
    keep_firing_for_s: float
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]
    enabled: bool
    last_error: str | None
    created_at: float
    updated_at: float


def _invalid(loc: list[str | int], why: str) -> InvalidInput:
    return InvalidInput(f"{'.'.join(map(str, loc))}: {why}", [{"loc": loc, "msg": why, "type": "value_error"}])


def default_rules(model_name: str) -> list[RuleIn]:
    """What every model gets: error rate, p95 latency, dataset drift, host CPU and memory."""
    short = model_name[:150]  # names are at most 200 characters
    specs: list[dict[str, Any]] = [
        {
            "name": f"{short}: error rate > 5%",
            "condition": {"type": "metric", "metric": "error_rate", "op": ">", "threshold": 0.05, "window_s": 300},
            "for_s": 300,
            "severity": "critical",
        },
        {
            "name": f"{short}: p95 latency over its threshold",
            "condition": {
                "type": "metric",
                "metric": "latency_p95",
                "op": ">",
                "threshold": DEFAULT_LATENCY_P95_MS,
                "threshold_from": "latency_p95_ms",
                "window_s": 300,
            },
            "for_s": 300,
            "severity": "warning",
        },
        {"name": f"{short}: dataset drift", "condition": {"type": "drift"}, "severity": "warning"},
        {
            "name": f"{short}: host CPU > 80%",
            "condition": {"type": "host", "metric": "cpu_percent", "op": ">", "threshold": 80.0, "window_s": 300},
            "for_s": 300,
            "severity": "warning",
        },
        {
            "name": f"{short}: host memory > 90%",
            "condition": {"type": "host", "metric": "memory_percent", "op": ">", "threshold": 90.0, "window_s": 300},
            "for_s": 300,
            "severity": "warning",
        },
    ]
    return [RuleIn.model_validate({**s, "model": model_name}, strict=False) for s in specs]


class RuleStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reads ----------------------------------------------------------------------------
    def _select(self) -> Any:
        return select(t.alert_rules, t.models.c.name.label("model_name")).outerjoin(
            t.models, t.models.c.id == t.alert_rules.c.model_id
        )

    @staticmethod
    def _rule(r: Any) -> Rule:
        filters = orjson.loads(r.filters)
        return Rule(
            id=r.id,
            project_id=r.project_id,
            name=r.name,
            model=r.model_name,
            model_id=r.model_id,
            origin=r.origin,
            versions=filters.get("versions", []),
            environments=filters.get("environments", []),
            tags=filters.get("tags", {}),
            condition=orjson.loads(r.condition),
            for_s=r.for_s,
            keep_firing_for_s=r.keep_firing_for_s,
            severity=r.severity,
            labels=orjson.loads(r.labels),
            annotations=orjson.loads(r.annotations),
            enabled=bool(r.enabled),
            last_error=r.last_error,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )

    def find(self, project_id: int, model: str | None = None) -> list[Rule]:
        stmt = self._select().where(t.alert_rules.c.project_id == project_id)
        if model is not None:
            stmt = stmt.where(t.models.c.name == model)
        with self.db.read() as conn:
            return [self._rule(r) for r in conn.execute(stmt.order_by(t.alert_rules.c.id))]

    def get(self, project_id: int, rule_id: int) -> Rule:
        with self.db.read() as conn:
            r = conn.execute(
                self._select().where(t.alert_rules.c.project_id == project_id, t.alert_rules.c.id == rule_id)
            ).first()
        if r is None:
            raise NotFound(f"no alert rule with id {rule_id} in this project")
        return self._rule(r)

    def enabled(self) -> list[Rule]:
        """Every enabled rule of every project, for the evaluator."""
        with self.db.read() as conn:
            rows = conn.execute(self._select().where(t.alert_rules.c.enabled.is_(True)).order_by(t.alert_rules.c.id))
            return [self._rule(r) for r in rows]

    def disabled_with_alerts(self) -> list[Rule]:
        """Disabled rules that still have pending or firing alerts (they are wound down as gone)."""
        active = select(t.alert_instances.c.rule_id).where(t.alert_instances.c.state.in_(("pending", "firing")))
        with self.db.read() as conn:
            rows = conn.execute(
                self._select().where(t.alert_rules.c.enabled.is_(False), t.alert_rules.c.id.in_(active))
            )
            return [self._rule(r) for r in rows]

    # -- writes ---------------------------------------------------------------------------
    def _model_id(self, conn: Connection, project_id: int, name: str | None) -> int | None:
        if name is None:
            return None
        mid = conn.execute(
            select(t.models.c.id).where(t.models.c.project_id == project_id, t.models.c.name == name)
        ).scalar()
        if mid is None:
            raise _invalid(["model"], f"no model named '{name}' in this project")
        return int(mid)

    @staticmethod
    def _check(spec: RuleIn) -> None:
        for name in spec.labels:
            if name in RESERVED_LABELS:
                raise _invalid(["labels", name], f"'{name}' is set by MonitorX; reserved: {sorted(RESERVED_LABELS)}")
        if "severity" in spec.labels:
            raise _invalid(["labels", "severity"], "set the rule's severity field instead")

    @staticmethod
    def _row(spec: RuleIn) -> dict[str, Any]:
        return {
            "name": spec.name,
            "filters": orjson.dumps(
                {"versions": spec.versions, "environments": spec.environments, "tags": spec.tags}
            ).decode(),
            "condition": spec.condition.model_dump_json(),
            "for_s": float(spec.for_s),
            "keep_firing_for_s": float(spec.keep_firing_for_s),
            "severity": spec.severity,
            "labels": orjson.dumps(spec.labels).decode(),
            "annotations": orjson.dumps(spec.annotations).decode(),
            "enabled": spec.enabled,
        }

    def create(self, project_id: int, spec: RuleIn, origin: str = "user") -> Rule:
        self._check(spec)
        now = time.time()
        try:
            with self.db.write() as conn:
                self._name_free(conn, project_id, spec.name)
                rule_id = conn.execute(
                    insert(t.alert_rules)
                    .values(
                        project_id=project_id,
                        model_id=self._model_id(conn, project_id, spec.model),
                        origin=origin,
                        created_at=now,
                        updated_at=now,
                        **self._row(spec),
                    )
                    .returning(t.alert_rules.c.id)
                ).scalar_one()
        except IntegrityError:  # a concurrent create took the name
            raise Conflict(f"an alert rule named '{spec.name}' exists already") from None
        return self.get(project_id, int(rule_id))

    @staticmethod
    def _name_free(conn: Connection, project_id: int, name: str, but: int | None = None) -> None:
        stmt = select(t.alert_rules.c.id).where(t.alert_rules.c.project_id == project_id, t.alert_rules.c.name == name)
        found = conn.execute(stmt).scalar()
        if found is not None and found != but:
            raise Conflict(f"an alert rule named '{name}' exists already")

    def update(self, project_id: int, rule_id: int, patch: RulePatch) -> Rule:
        current = self.get(project_id, rule_id)
        merged: dict[str, Any] = {
            "name": current.name,
            "model": current.model,
            "versions": current.versions,
            "environments": current.environments,
            "tags": current.tags,
            "condition": current.condition,
            "for_s": int(current.for_s),
            "keep_firing_for_s": int(current.keep_firing_for_s),
            "severity": current.severity,
            "labels": current.labels,
            "annotations": current.annotations,
            "enabled": current.enabled,
        }
        for key in patch.model_fields_set - {"condition"}:
            value = getattr(patch, key)
            if value is None and key != "model":
                raise _invalid([key], "may not be null")
            merged[key] = value
        if "condition" in patch.model_fields_set:
            if patch.condition is None:
                raise _invalid(["condition"], "may not be null")
            merged["condition"] = patch.condition.model_dump()
        spec = RuleIn.model_validate(merged, strict=False)
        self._check(spec)
        try:
            with self.db.write() as conn:
                self._name_free(conn, project_id, spec.name, but=rule_id)
                conn.execute(
                    update(t.alert_rules)
                    .where(t.alert_rules.c.id == rule_id)
                    .values(
                        model_id=self._model_id(conn, project_id, spec.model),
                        updated_at=time.time(),
                        last_error=None,
                        **self._row(spec),
                    )
                )
        except IntegrityError:
            raise Conflict(f"an alert rule named '{spec.name}' exists already") from None
        return self.get(project_id, rule_id)

    def delete(self, project_id: int, rule_id: int) -> None:
        with self.db.write() as conn:
            gone = conn.execute(
                delete(t.alert_rules).where(t.alert_rules.c.project_id == project_id, t.alert_rules.c.id == rule_id)
            ).rowcount
        if not gone:
            raise NotFound(f"no alert rule with id {rule_id} in this project")

    def set_error(self, rule_id: int, error: str | None) -> None:
        with self.db.write() as conn:
            conn.execute(update(t.alert_rules).where(t.alert_rules.c.id == rule_id).values(last_error=error))

    def ensure_defaults(self, now: float) -> int:
        """Create the default rules of every model that never had them; returns how many models got them."""
        with self.db.read() as conn:
            todo = conn.execute(
                select(t.models.c.id, t.models.c.project_id, t.models.c.name).where(
                    t.models.c.id.not_in(select(t.alert_model_defaults.c.model_id))
                )
            ).all()
        for model_id, project_id, name in todo:
            with self.db.write() as conn:
                # Claim the model first: of two evaluators racing, one creates the rules.
                claimed = conn.execute(
                    select(t.alert_model_defaults.c.model_id).where(t.alert_model_defaults.c.model_id == model_id)
                ).first()
                if claimed is not None:
                    continue
                insert_ignore(conn, t.alert_model_defaults, [{"model_id": model_id, "created_at": now}])
                rows = [
                    {
                        "project_id": project_id,
                        "model_id": model_id,
                        "origin": "default",
                        "created_at": now,
                        "updated_at": now,
                        **self._row(spec),
                    }
                    for spec in default_rules(name)
                ]
                insert_ignore(conn, t.alert_rules, rows)  # a user rule with the same name wins
        return len(todo)
