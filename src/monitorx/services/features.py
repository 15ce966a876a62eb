"""Feature and prediction summaries kept at ingest, so drift over any window needs no raw rows.

Per series (model, version, environment, tag set) and minute, every feature (and the prediction, as the feature
``__prediction__`` or ``__prediction__.<key>`` for a dict of scores) gets a mergeable summary from
:mod:`monitorx.stats.summaries`. A feature's kind (numeric or categorical) is fixed the first time
it is seen, so summaries of different windows merge; a value of the other kind is a type error,
counted and left out. An event without a feature counts as a missing value of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from monitorx.services.registry import insert_ignore
from monitorx.stats.summaries import FeatureKind, summarize
from monitorx.store import tables as t

PREDICTION = "__prediction__"
MINUTE = 60
GroupKey = tuple[int, int]  # the series' position among the batch's distinct series keys, minute


_NO_FEATURES: dict[str, Any] = {}


@dataclass
class FeatureColumns:
    """The feature values of one batch, by series and minute.

    Events are only gathered here (two appends each); columns are built per group afterwards, one
    list comprehension per feature, which also fills None where an event lacks the feature.
    """

    groups: dict[GroupKey, tuple[list[dict[str, Any]], list[Any]]] = field(default_factory=dict)
    _columns: list[tuple[GroupKey, str, list[Any]]] | None = None

    def add(self, ev: dict[str, Any], series_pos: int) -> None:
        feats = ev.get("features")
        pred = ev.get("prediction")
        if not feats and pred is None:
            return
        key = (series_pos, int(ev["timestamp"] // MINUTE) * MINUTE)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = ([], [])
        group[0].append(feats or _NO_FEATURES)
        group[1].append(pred)

    def columns(self) -> list[tuple[GroupKey, str, list[Any]]]:
        """Every (group, feature, values) of the batch, built once."""
        if self._columns is None:
            self._columns = list(self._build())
        return self._columns

    def _build(self) -> Iterable[tuple[GroupKey, str, list[Any]]]:
        # A feature the series sends in this batch is missing from each of its events that lacks it,
        # also in a minute where no event has it (that minute gets a summary of missing values).
        names: dict[int, set[str]] = {}
        for (pos, _), (feats, _) in self.groups.items():
            names.setdefault(pos, set()).update(*feats)
        for key, (feats, preds) in self.groups.items():
            for name in names[key[0]]:
                yield key, name, [f.get(name) for f in feats]
            if any(isinstance(p, dict) for p in preds):
                for name in set().union(*(p for p in preds if isinstance(p, dict))):
                    yield key, f"{PREDICTION}.{name}", [p.get(name) if isinstance(p, dict) else None for p in preds]
            elif any(p is not None for p in preds):
                yield key, PREDICTION, preds


def split_by_kind(values: list[Any], kind: FeatureKind) -> tuple[list[Any], int]:
    """Values of the feature's kind (and None), and how many were of another type."""
    kept: list[Any]
    if kind == "numeric":
        kept = [v for v in values if v is None or type(v) is float]
    else:
        kept = [v for v in values if v is None or type(v) is str or type(v) is bool]
    return kept, len(values) - len(kept)


def majority_kind(values: list[Any]) -> FeatureKind | None:
    """Numeric when most present values are numbers: one stray "n/a" must not decide a schema."""
    numbers = sum(1 for v in values if type(v) is float)
    others = sum(1 for v in values if v is not None and type(v) is not float)
    if numbers == others == 0:
        return None
    return "numeric" if numbers >= others else "categorical"


@dataclass
class KindResolution:
    kinds: dict[tuple[int, str], FeatureKind]
    new: dict[tuple[int, str], FeatureKind]


class FeatureKinds:
    """(model id, feature) -> kind, cached once committed (as the registry caches ids)."""

    def __init__(self) -> None:
        self._known: dict[tuple[int, str], FeatureKind] = {}
        self._lock = threading.Lock()

    def resolve(self, conn: Connection, wanted: dict[tuple[int, str], list[Any]]) -> KindResolution:
        """Kinds for the wanted features; new ones are inferred from these values and stored.

        A feature whose values are all missing and whose kind is not known yet is left out.
        """
        kinds: dict[tuple[int, str], FeatureKind] = {}
        missing = []
        for key in wanted:
            kind = self._known.get(key)
            if kind is None:
                missing.append(key)
            else:
                kinds[key] = kind
        new: dict[tuple[int, str], FeatureKind] = {}
        if missing:
            model_ids = sorted({m for m, _ in missing})
            stored = {
                (r.model_id, r.feature): r.kind
                for r in conn.execute(select(t.feature_kinds).where(t.feature_kinds.c.model_id.in_(model_ids)))
            }
            proposed = []
            for key in missing:
                if key in stored:
                    kinds[key] = stored[key]
                    continue
                kind = majority_kind(wanted[key])
                if kind is not None:
                    proposed.append({"model_id": key[0], "feature": key[1], "kind": kind, "first_seen": time.time()})
            if proposed:
                # Replicas may race to fix a kind: the first one stored wins, everyone reads it back.
                insert_ignore(conn, t.feature_kinds, proposed)
                keys = {(p["model_id"], p["feature"]) for p in proposed}
                for r in conn.execute(
                    select(t.feature_kinds).where(t.feature_kinds.c.model_id.in_(sorted({m for m, _ in keys})))
                ):
                    if (r.model_id, r.feature) in keys:
                        kinds[(r.model_id, r.feature)] = new[(r.model_id, r.feature)] = r.kind
            for key in missing:
                if key in stored:
                    new[key] = stored[key]
        return KindResolution(kinds, new)

    def remember(self, res: KindResolution) -> None:
        with self._lock:
            self._known.update(res.new)

    def forget(self) -> None:
        with self._lock:
            self._known.clear()


def summary_rows(
    columns: FeatureColumns,
    model_of: list[int],
    series_of: list[int],
    kinds: dict[tuple[int, str], FeatureKind],
) -> list[dict[str, Any]]:
    """Rows for ``feature_summaries``; ``model_of``/``series_of`` give ids by series position."""
    rows = []
    for (pos, minute), name, values in columns.columns():
        mid = model_of[pos]
        kind = kinds.get((mid, name))
        if kind is None:
            continue
        kept, type_errors = split_by_kind(values, kind)
        rows.append(
            {
                "model_id": mid,
                "series_id": series_of[pos],
                "feature": name,
                "resolution": MINUTE,
                "bucket_start": minute,
                "in_hour": False,
                "type_errors": type_errors,
                "summary": summarize(kept, kind).to_bytes(),
            }
        )
    return rows


def wanted_kinds(columns: FeatureColumns, model_of: list[int]) -> dict[tuple[int, str], list[Any]]:
    wanted: dict[tuple[int, str], list[Any]] = {}
    for (pos, _), name, values in columns.columns():
        wanted.setdefault((model_of[pos], name), []).extend(values[:50])  # a sample suffices to infer
    return wanted
