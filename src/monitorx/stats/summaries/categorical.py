"""Mergeable summary of a categorical feature (strings, bools, integer codes) over one window.

A :class:`CategoricalSummary` keeps the exact count of each category up to ``max_categories``
distinct ones (1,000 by default); values past the cap are counted in ``other``; ``missing``
counts ``None`` and NaN. Category names are strings: bools become ``"true"``/``"false"`` (their
JSON spelling), anything else ``str(value)``.

Merging adds counts. While the union of categories stays under the cap, merging is exact:
``merge(summary(a), summary(b)) == summary(a + b)``. Past it, the merged summary keeps the
``max_categories`` most frequent categories of the merged counts (ties by name) and moves the
rest to ``other``; totals stay exact, but a category that was cut from one window and kept in
another is undercounted by what went to ``other`` there. Windows of a feature with more than
1,000 live categories should be compared with that in mind (``other`` is reported as its own
bin, so its growth shows as drift).

Usage::

    ref = CategoricalSummary.from_values(np.array(["DE", "FR", None, "DE"], dtype=object))
    ref.counts        # {"DE": 2, "FR": 1}
    ref.missing       # 1
"""

from __future__ import annotations

import json
import math
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt

DEFAULT_MAX_CATEGORIES = 1000

_MAGIC = b"MXC\x01"


def category_name(value: object) -> str:
    """The string a raw value is counted under."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    # NaN is the only value not equal to itself (covers float, numpy floats, float("nan")).
    return isinstance(value, float | np.floating) and math.isnan(value)


def _cap(counts: dict[str, int], other: int, max_categories: int) -> tuple[dict[str, int], int]:
    if len(counts) <= max_categories:
        return counts, other
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    kept = dict(ranked[:max_categories])
    return kept, other + sum(n for _, n in ranked[max_categories:])


@dataclass(frozen=True)
class CategoricalSummary:
    """Category counts of one column with a cap (see module docstring)."""

    counts: Mapping[str, int] = field(default_factory=dict)
    other: int = 0
    missing: int = 0
    max_categories: int = DEFAULT_MAX_CATEGORIES

    kind: ClassVar[Literal["categorical"]] = "categorical"

    def __post_init__(self) -> None:
        if self.max_categories < 1:
            raise ValueError("max_categories must be at least 1")
        if len(self.counts) > self.max_categories:
            raise ValueError(f"{len(self.counts)} categories exceed max_categories={self.max_categories}")
        if self.other < 0 or self.missing < 0 or any(n <= 0 for n in self.counts.values()):
            raise ValueError("category counts must be positive and other/missing non-negative")

    @classmethod
    def from_values(cls, values: npt.ArrayLike, max_categories: int = DEFAULT_MAX_CATEGORIES) -> CategoricalSummary:
        """Count a column in one pass (a C-level ``Counter`` over the values)."""
        column = np.asarray(values)
        if column.ndim != 1:
            column = column.ravel()
        if column.dtype == np.bool_:
            trues = int(np.count_nonzero(column))
            raw: dict[str, int] = {"true": trues, "false": int(column.size) - trues}
            counts = {k: n for k, n in raw.items() if n}
            kept, other = _cap(counts, 0, max_categories)
            return cls(kept, other, 0, max_categories)
        tally = Counter(column.tolist())
        counts = {}
        missing = 0
        for value, n in tally.items():
            if _is_missing(value):
                missing += n
            else:
                name = category_name(value)
                counts[name] = counts.get(name, 0) + n
        kept, other = _cap(counts, 0, max_categories)
        return cls(kept, other, missing, max_categories)

    @property
    def count(self) -> int:
        """Non-missing values, ``other`` included."""
        return sum(self.counts.values()) + self.other

    @property
    def total(self) -> int:
        """Rows seen, missing included."""
        return self.count + self.missing

    def merge(self, other: CategoricalSummary) -> CategoricalSummary:
        return merge_categorical([self, other])

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "categorical",
            "max_categories": self.max_categories,
            "missing": self.missing,
            "other": self.other,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoricalSummary:
        if data.get("type") != "categorical":
            raise ValueError(f"not a categorical summary: type={data.get('type')!r}")
        counts = {str(k): int(v) for k, v in dict(data["counts"]).items()}
        return cls(counts, int(data["other"]), int(data["missing"]), int(data["max_categories"]))

    def to_bytes(self) -> bytes:
        """A 4-byte tag, then zlib of the compact JSON form."""
        text = json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
        return _MAGIC + zlib.compress(text.encode("utf-8"), 6)

    @classmethod
    def from_bytes(cls, blob: bytes) -> CategoricalSummary:
        if blob[:4] != _MAGIC:
            raise ValueError("not a MonitorX categorical summary (bad tag)")
        return cls.from_dict(json.loads(zlib.decompress(blob[4:]).decode("utf-8")))


def merge_categorical(summaries: Iterable[CategoricalSummary]) -> CategoricalSummary:
    """Add counts, then apply the smallest ``max_categories`` among the parts."""
    parts = list(summaries)
    if not parts:
        raise ValueError("nothing to merge")
    cap = min(p.max_categories for p in parts)
    counts: Counter[str] = Counter()
    for p in parts:
        counts.update(p.counts)
    kept, other = _cap(dict(counts), sum(p.other for p in parts), cap)
    return CategoricalSummary(kept, other, sum(p.missing for p in parts), cap)
