"""A drift report for one model and window as a single self-contained HTML file.

The file opens with no network: CSS, SVG charts and a few lines of table-sorting script are
inline, fonts are the reader's own, and a Content-Security-Policy forbids every fetch and any
script but ours (by hash), so a string that escaped escaping still could not run or phone home.
Every string from the context (model, reference and feature names, categories, messages) is
HTML-escaped; element ids are positions, never names.

``context`` keys (all but ``drift`` optional):

- ``model``: ``name``, ``type`` and any filters (``version``, ``environment``…), shown as given;
- ``window``: ``start``, ``end`` in epoch seconds, shown as UTC RFC 3339;
- ``reference``: ``name``, ``source``, ``rows``, ``created_at`` (epoch seconds);
- ``drift``: :meth:`monitorx.stats.drift.DatasetDrift.to_dict`;
- ``data_quality``: ``rows`` and, per feature, ``missing_share``, ``type_errors``,
  ``out_of_range_share``, ``new_categories`` (under ``features``, or at the top level);
- ``quality``: a result of :func:`monitorx.stats.quality.quality_metrics`;
- ``generated_at``: epoch seconds.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

REFERENCE_COLOUR = "#5b7aa6"
CURRENT_COLOUR = "#e8803a"
MAX_CATEGORIES = 15
"""Categories drawn per chart (the largest in either window); the rest are summed in one bar."""

MAX_MATRIX_LABELS = 20

_CSS = """
:root{--ink:#1d2430;--muted:#5f6b7a;--line:#dfe3e8;--soft:#f5f7fa;--bad:#c23b32;--bad-bg:#fdecea;
--good:#2d7d46;--good-bg:#e8f5ec;--warn:#9a6700;--warn-bg:#fff5d6}
*{box-sizing:border-box}
body{margin:0;background:#eef1f5;color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px}
header.top{display:flex;justify-content:space-between;align-items:flex-end;gap:16px;flex-wrap:wrap}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 12px}h3{font-size:15px;margin:0}
.brand{color:var(--muted);font-size:12px;letter-spacing:.08em;text-transform:uppercase}
.meta{color:var(--muted);font-size:13px}.meta b{color:var(--ink);font-weight:600}
section.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:16px 0}
.verdict{display:flex;gap:20px;align-items:center;flex-wrap:wrap;border-left:6px solid var(--good)}
.verdict.bad{border-left-color:var(--bad)}
.verdict .big{font-size:20px;font-weight:700}.verdict.bad .big{color:var(--bad)}.verdict.ok .big{color:var(--good)}
.stats{display:flex;gap:28px;flex-wrap:wrap}.stat .v{font-size:20px;font-weight:650}
.stat .k{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{font-size:12px;color:var(--muted);font-weight:600;background:var(--soft);position:sticky;top:0}
th:first-child,td:first-child,td.text,th.text{text-align:left}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}
table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:hover{background:#fafbfc}
td.name{max-width:260px;overflow:hidden;text-overflow:ellipsis}
a{color:#2f5fa7;text-decoration:none}a:hover{text-decoration:underline}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600}
.badge.bad{background:var(--bad-bg);color:var(--bad)}.badge.ok{background:var(--good-bg);color:var(--good)}
.badge.na{background:var(--soft);color:var(--muted)}
.warn{background:var(--warn-bg);color:var(--warn)}
.features{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:16px}
.feature{border:1px solid var(--line);border-radius:8px;padding:14px 16px;background:#fff}
.feature.drifted{border-top:4px solid var(--bad)}
.feature header{display:flex;justify-content:space-between;align-items:center;gap:8px;margin-bottom:4px}
.feature .rule{color:var(--muted);font-size:12px;margin-bottom:6px}
.notes{margin:6px 0 0;padding-left:18px;font-size:12px;color:var(--warn)}
.legend{font-size:12px;color:var(--muted)}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;
margin:0 4px 0 10px;vertical-align:-1px}
svg{display:block;width:100%;height:auto;overflow:visible}
svg text{font-size:11px;fill:var(--muted)}
.muted{color:var(--muted)}.small{font-size:12px}
.scroll{overflow-x:auto}
footer{color:var(--muted);font-size:12px;text-align:center;margin:24px 0}
"""

# Sorts a table by the clicked column's data-v (numbers numerically, empty cells last).
_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = table.querySelectorAll("th");
  heads.forEach(function (th, col) {
    th.addEventListener("click", function () {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
        if (x === "" || y === "") { return (x === "") - (y === ""); }
        var nx = Number(x), ny = Number(y);
        var c = isNaN(nx) || isNaN(ny) ? x.localeCompare(y) : nx - ny;
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _num(value: object, digits: int = 4) -> str:
    x = _finite(value)
    if x is None:
        return "—"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
        return f"{x:.{max(digits - 2, 1)}e}"
    return f"{x:.{digits}g}"


def _p_value(value: object) -> str:
    x = _finite(value)
    if x is None:
        return "—"
    if x == 0:
        return "≈0"  # below the smallest double: the test is certain
    return f"{x:.2e}" if x < 1e-3 else f"{x:.3f}"


def _pct(value: object, digits: int = 1) -> str:
    x = _finite(value)
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def _int(value: object) -> str:
    x = _finite(value)
    return "—" if x is None else f"{round(x):,}"


def rfc3339(value: object) -> str:
    """Epoch seconds as UTC RFC 3339 (``2024-05-01T12:00:00Z``); other values as text."""
    x = _finite(value)
    if x is None:
        return "—" if value is None else str(value)
    try:
        moment = datetime.fromtimestamp(x, UTC)
    except (OverflowError, OSError, ValueError):
        return str(value)
    millis = f".{moment.microsecond // 1000:03d}" if moment.microsecond >= 1000 else ""
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + millis + "Z"


def _cell(text: str, sort: object = None, cls: str = "") -> str:
    """A table cell: ``text`` is HTML already; ``sort`` is the raw value the script sorts by."""
    key = "" if sort is None else _e(sort)
    attr = f' class="{cls}"' if cls else ""
    return f'<td{attr} data-v="{key}">{text}</td>'


def _stat(value_html: str, label: str) -> str:
    return f'<div class="stat"><div class="v">{value_html}</div><div class="k">{_e(label)}</div></div>'


def _warn(flagged: bool) -> str:
    return "warn" if flagged else ""


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# -- charts -------------------------------------------------------------------------------------


def _shares(counts: Sequence[object]) -> list[float]:
    values = [max(_finite(c) or 0.0, 0.0) for c in counts]
    total = sum(values)
    return [v / total if total else 0.0 for v in values]


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo
    if not span > 0:
        return [lo]
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _legend() -> str:
    return (
        f'<div class="legend"><span class="sw" style="background:{REFERENCE_COLOUR}"></span>reference'
        f'<span class="sw" style="background:{CURRENT_COLOUR}"></span>current</div>'
    )


def _y_axis(top: float, height: float, left: float, width: float, peak: float) -> str:
    parts = []
    digits = 0 if peak > 0.1 else 1
    for fraction in (0.0, 0.5, 1.0):
        y = top + height - fraction * height
        parts.append(
            f'<line x1="{left:.1f}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e9ee"/>'
            f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">{_pct(peak * fraction, digits)}</text>'
        )
    return "".join(parts)


def _numeric_chart(edges: Sequence[float], reference: list[float], current: list[float]) -> str:
    """Both windows' shares as step areas over the bin edges (density when bins differ in width)."""
    width, height, left, right, top, bottom = 520.0, 170.0, 42.0, 10.0, 8.0, 24.0
    pw, ph = width - left - right, height - top - bottom
    lo, hi = float(edges[0]), float(edges[-1])
    widths = [b - a for a, b in itertools.pairwise(edges)]
    mean_width = (hi - lo) / len(widths) if widths and hi > lo else 1.0

    def heights(shares: list[float]) -> list[float]:
        return [s * mean_width / w if w > 0 else 0.0 for s, w in zip(shares, widths, strict=True)]

    ref_h, cur_h = heights(reference), heights(current)
    peak = max([*ref_h, *cur_h, 1e-12]) * 1.08

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * pw if hi > lo else left

    def y(v: float) -> float:
        return top + ph - v / peak * ph

    def path(h: list[float]) -> str:
        points = [(x(lo), y(0.0))]
        for (a, b), v in zip(itertools.pairwise(edges), h, strict=True):
            points += [(x(a), y(v)), (x(b), y(v))]
        points.append((x(hi), y(0.0)))
        return "M" + " L".join(f"{px:.1f},{py:.1f}" for px, py in points)

    ticks = "".join(
        f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{top + ph:.1f}" y2="{top + ph + 4:.1f}" stroke="#9aa4b1"/>'
        f'<text x="{x(t):.1f}" y="{top + ph + 16:.1f}" text-anchor="middle">{_e(_num(t, 3))}</text>'
        for t in _nice_ticks(lo, hi)
    )
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="reference and current distributions">'
        f"{_y_axis(top, ph, left, pw, peak)}"
        f'<path d="{path(ref_h)}" fill="{REFERENCE_COLOUR}" fill-opacity="0.35" stroke="{REFERENCE_COLOUR}"'
        ' stroke-width="1.2"/>'
        f'<path d="{path(cur_h)}" fill="{CURRENT_COLOUR}" fill-opacity="0.12" stroke="{CURRENT_COLOUR}"'
        ' stroke-width="2"/>'
        f'<line x1="{left:.1f}" x2="{left + pw:.1f}" y1="{top + ph:.1f}" y2="{top + ph:.1f}" stroke="#9aa4b1"/>'
        f"{ticks}</svg>"
    )


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _category_chart(labels: Sequence[str], reference: list[float], current: list[float]) -> str:
    """Horizontal paired bars, the largest categories of either window first."""
    order = sorted(range(len(labels)), key=lambda i: -max(reference[i], current[i]))
    shown = order[:MAX_CATEGORIES]
    rows = [(str(labels[i]), reference[i], current[i], reference[i] == 0 and current[i] > 0) for i in shown]
    rest = order[MAX_CATEGORIES:]
    if rest:
        rows.append((f"{len(rest)} more", sum(reference[i] for i in rest), sum(current[i] for i in rest), False))
    width, label_w, value_w, row_h = 520.0, 140.0, 100.0, 22.0
    bar_w = width - label_w - value_w
    peak = max([r for _, r, _, _ in rows] + [c for _, _, c, _ in rows] + [1e-12])
    parts = []
    for n, (label, ref, cur, new) in enumerate(rows):
        y = n * row_h
        name = _truncate(label, 24) + (" (new)" if new else "")
        italic = ' font-style="italic"' if n >= len(shown) else ""
        parts.append(
            f"<g><title>{_e(label)}: reference {_pct(ref)}, current {_pct(cur)}</title>"
            f'<text x="{label_w - 8:.0f}" y="{y + 15:.1f}" text-anchor="end"'
            f"{italic}>{_e(name)}</text>"
            f'<rect x="{label_w:.0f}" y="{y + 3:.1f}" width="{max(ref / peak * bar_w, 0.5):.1f}" height="8"'
            f' rx="1.5" fill="{REFERENCE_COLOUR}"/>'
            f'<rect x="{label_w:.0f}" y="{y + 12:.1f}" width="{max(cur / peak * bar_w, 0.5):.1f}" height="8"'
            f' rx="1.5" fill="{CURRENT_COLOUR}"/>'
            f'<text x="{width - 4:.0f}" y="{y + 15:.1f}" text-anchor="end">{_pct(ref)} → {_pct(cur)}</text></g>'
        )
    height = len(rows) * row_h + 4
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="category shares">'
        f'<line x1="{label_w:.0f}" x2="{label_w:.0f}" y1="0" y2="{height - 4:.0f}" stroke="#9aa4b1"/>'
        f"{''.join(parts)}</svg>"
    )


def _value_chart(labels: Sequence[str], reference: list[float], current: list[float]) -> str:
    """Vertical paired bars, one pair per value, in value order."""
    width, height, left, right, top, bottom = 520.0, 170.0, 42.0, 10.0, 8.0, 24.0
    pw, ph = width - left - right, height - top - bottom
    slot = pw / max(len(labels), 1)
    peak = max([*reference, *current, 1e-12]) * 1.08
    every = max(1, math.ceil(len(labels) / 14))
    parts = []
    for i, label in enumerate(labels):
        x0 = left + i * slot
        bar = max(slot * 0.38, 0.8)
        for offset, share, colour in ((0.1, reference[i], REFERENCE_COLOUR), (0.5, current[i], CURRENT_COLOUR)):
            h = share / peak * ph
            parts.append(
                f'<rect x="{x0 + offset * slot:.1f}" y="{top + ph - h:.1f}" width="{bar:.1f}" height="{h:.1f}"'
                f' fill="{colour}"/>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x0 + slot / 2:.1f}" y="{top + ph + 16:.1f}" text-anchor="middle">'
                f"{_e(_truncate(str(label), 10))}</text>"
            )
        parts.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{slot:.1f}" height="{ph:.1f}" fill="transparent">'
            f"<title>{_e(label)}: reference {_pct(reference[i])}, current {_pct(current[i])}</title></rect>"
        )
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="value shares">'
        f"{_y_axis(top, ph, left, pw, peak)}{''.join(parts)}"
        f'<line x1="{left:.1f}" x2="{left + pw:.1f}" y1="{top + ph:.1f}" y2="{top + ph:.1f}" stroke="#9aa4b1"/></svg>'
    )


def distribution_chart(distributions: Mapping[str, Any] | None) -> str:
    """Reference and current shares overlaid, as inline SVG ("" when there is nothing to draw)."""
    if not distributions:
        return ""
    labels = [str(label) for label in distributions.get("labels") or []]
    reference = _shares(distributions.get("reference") or [])
    current = _shares(distributions.get("current") or [])
    if not labels or len(reference) != len(labels) or len(current) != len(labels):
        return ""
    edges = distributions.get("edges")
    kind = distributions.get("kind")
    if kind == "ranges" and edges and len(edges) == len(labels) + 1 and all(_finite(e) is not None for e in edges):
        chart = _numeric_chart([float(e) for e in edges], reference, current)
        note = '<div class="small muted">The first and last bins also hold the tails beyond them.</div>'
        return chart + note
    if kind == "values":
        return _value_chart(labels, reference, current)
    return _category_chart(labels, reference, current)


def _share_gauge(share: float, threshold: float) -> str:
    """A bar of the drifted share with a tick at the dataset threshold."""
    width, height = 260.0, 34.0
    fill = min(max(share, 0.0), 1.0) * width
    mark = min(max(threshold, 0.0), 1.0) * width
    colour = "#c23b32" if share >= threshold else "#2d7d46"
    return (
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" style="width:{width:.0f}px" role="img"'
        f' aria-label="drifted share {_pct(share)} against threshold {_pct(threshold)}">'
        f'<rect x="0" y="4" width="{width:.0f}" height="12" rx="6" fill="#e6e9ee"/>'
        f'<rect x="0" y="4" width="{fill:.1f}" height="12" rx="6" fill="{colour}"/>'
        f'<line x1="{mark:.1f}" x2="{mark:.1f}" y1="0" y2="20" stroke="#1d2430" stroke-width="2"/>'
        f'<text x="{mark:.1f}" y="32" text-anchor="middle">threshold {_pct(threshold, 0)}</text></svg>'
    )


# -- sections -----------------------------------------------------------------------------------


def _badge(feature: Mapping[str, Any]) -> tuple[str, int]:
    """The verdict badge and its sort key (drifted 2, no drift 1, not computed 0)."""
    if feature.get("note"):
        return '<span class="badge na">not computed</span>', 0
    if feature.get("drifted"):
        return '<span class="badge bad">drifted</span>', 2
    return '<span class="badge ok">no drift</span>', 1


def _ordered_features(drift: Mapping[str, Any]) -> list[tuple[int, str, Mapping[str, Any]]]:
    """(anchor number, name, verdict), drifted first, then by effect size, largest first."""
    features = list(_dict(drift.get("features")).items())
    numbered = [(i, str(name), _dict(v)) for i, (name, v) in enumerate(features)]
    return sorted(numbered, key=lambda t: (-_badge(t[2])[1], -(_finite(t[2].get("effect_size")) or 0.0), t[1]))


def _header(context: Mapping[str, Any], drift: Mapping[str, Any]) -> str:
    model = _dict(context.get("model"))
    window = _dict(context.get("window"))
    reference = _dict(context.get("reference"))
    name = model.get("name", "model")
    filters = " · ".join(f"{_e(k)} <b>{_e(v)}</b>" for k, v in model.items() if k != "name" and v not in (None, ""))
    ref_bits = [f"<b>{_e(reference.get('name', '—'))}</b>"]
    if reference.get("source"):
        ref_bits.append(_e(reference["source"]))
    if reference.get("rows") is not None:
        ref_bits.append(f"{_int(reference.get('rows'))} rows")
    if reference.get("created_at") is not None:
        ref_bits.append(f"created {_e(rfc3339(reference.get('created_at')))}")
    return (
        '<header class="top"><div><div class="brand">MonitorX · drift report</div>'
        f'<h1>{_e(name)}</h1><div class="meta">{filters}</div></div>'
        f'<div class="meta">Window <b>{_e(rfc3339(window.get("start")))}</b> → '
        f"<b>{_e(rfc3339(window.get('end')))}</b><br>Reference {' · '.join(ref_bits)}<br>"
        f"Mode <b>{_e(drift.get('mode', '—'))}</b></div></header>"
    )


def _verdict(drift: Mapping[str, Any], data_quality: Mapping[str, Any]) -> str:
    drifted = bool(drift.get("drifted"))
    share = _finite(drift.get("drifted_share")) or 0.0
    threshold = _finite(drift.get("drift_share"))
    threshold = 0.5 if threshold is None else threshold
    n_drifted, n_features = drift.get("n_drifted", 0), drift.get("n_features", 0)
    headline = "Dataset drift detected" if drifted else "No dataset drift"
    comparison = "≥" if share >= threshold else "<"
    unmatched = drift.get("unmatched") or []
    extra = ""
    if unmatched:
        names = ", ".join(_e(n) for n in unmatched[:10]) + (
            f" and {len(unmatched) - 10} more" if len(unmatched) > 10 else ""
        )
        extra = f'<div class="small muted">In one window only (not compared): {names}</div>'
    rows = data_quality.get("rows")
    rows_stat = "" if rows is None else _stat(_int(rows), "rows in window")
    return (
        f'<section class="card verdict {"bad" if drifted else "ok"}">'
        f'<div><div class="big">{headline}</div><div class="muted">{_e(n_drifted)} of {_e(n_features)} features '
        f"drifted: share {_pct(share)} {comparison} threshold {_pct(threshold, 0)}</div>{extra}</div>"
        f"{_share_gauge(share, threshold)}"
        f'<div class="stats">{_stat(_e(n_drifted), "drifted")}{_stat(_e(n_features), "features")}{rows_stat}</div>'
        "</section>"
    )


def _feature_table(ordered: Sequence[tuple[int, str, Mapping[str, Any]]]) -> str:
    head = "".join(
        f'<th class="{"text" if i < 3 else ""}">{h}</th>'
        for i, h in enumerate(
            [
                "Feature",
                "Kind",
                "Method",
                "Statistic",
                "Threshold",
                "p-value",
                "Effect size",
                "Drift",
                "Ref. n",
                "Cur. n",
            ]
        )
    )
    rows = []
    for number, name, f in ordered:
        badge, order = _badge(f)
        effect = _num(f.get("effect_size"))
        if f.get("effect_size_method"):
            effect += f' <span class="muted small">{_e(f["effect_size_method"])}</span>'
        p_text = _p_value(f.get("p_value"))
        if f.get("p_value_method") and f.get("p_value") is not None:
            p_text += f' <span class="muted small">{_e(f["p_value_method"])}</span>'
        rows.append(
            f'<tr data-feature="{_e(name)}">'
            + _cell(f'<a href="#feature-{number}">{_e(name)}</a>', name, "name")
            + _cell(_e(f.get("kind", "—")), f.get("kind"), "text")
            + _cell(_e(f.get("method", "—")), f.get("method"), "text")
            + _cell(_num(f.get("statistic")), _finite(f.get("statistic")))
            + _cell(_num(f.get("threshold")), _finite(f.get("threshold")))
            + _cell(p_text, _finite(f.get("p_value")))
            + _cell(effect, _finite(f.get("effect_size")))
            + _cell(badge, order)
            + _cell(_int(f.get("reference_size")), _finite(f.get("reference_size")))
            + _cell(_int(f.get("current_size")), _finite(f.get("current_size")))
            + "</tr>"
        )
    return (
        '<section class="card"><h2>Features</h2><div class="scroll"><table class="sortable" id="features">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        '<div class="small muted">Click a column to sort. p-value: the significance test; effect size: the distance '
        "compared with the effect floor.</div></section>"
    )


def _feature_card(number: int, name: str, f: Mapping[str, Any]) -> str:
    badge, order = _badge(f)
    notes: list[str] = []
    if f.get("note"):
        notes.append(str(f["note"]))
    notes += [str(w) for w in f.get("warnings") or []]
    new = [str(c) for c in f.get("new_categories") or []]
    if new:
        shown = ", ".join(new[:8]) + (f" and {len(new) - 8} more" if len(new) > 8 else "")
        notes.append(f"new in the current window ({_pct(f.get('new_category_share'))} of it): {shown}")
    missing = [
        f"{label} {_int(f.get(key))}"
        for label, key in (("reference", "reference_missing"), ("current", "current_missing"))
        if _finite(f.get(key))
    ]
    facts = (
        f"{_e(f.get('kind', '—'))} · {_e(f.get('method', '—'))} {_num(f.get('statistic'))} · "
        f"p {_p_value(f.get('p_value'))} · {_e(f.get('effect_size_method') or 'effect')} {_num(f.get('effect_size'))}"
        f" · n {_int(f.get('reference_size'))} → {_int(f.get('current_size'))}"
        + (f" · missing {', '.join(missing)}" if missing else "")
    )
    chart = distribution_chart(_dict(f.get("distributions")) or None)
    return (
        f'<article class="feature{" drifted" if order == 2 else ""}" id="feature-{number}">'
        f"<header><h3>{_e(name)}</h3>{badge}</header>"
        f'<div class="rule">{facts}<br>rule: {_e(f.get("rule", "—"))}</div>'
        f"{_legend() if chart else ''}{chart or '<p class=muted>No distribution to draw.</p>'}"
        + (f'<ul class="notes">{"".join(f"<li>{_e(n)}</li>" for n in notes)}</ul>' if notes else "")
        + "</article>"
    )


def _quality_features(data_quality: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    nested = data_quality.get("features")
    if isinstance(nested, Mapping):
        return {str(k): _dict(v) for k, v in nested.items()}
    return {str(k): v for k, v in data_quality.items() if isinstance(v, Mapping)}


def _data_quality(data_quality: Mapping[str, Any]) -> str:
    features = _quality_features(data_quality)
    if not features:
        return ""
    rows = []
    findings = 0
    for name, q in features.items():
        new = [str(c) for c in q.get("new_categories") or []]
        flags = [
            (_finite(q.get("missing_share")) or 0) > 0,
            (_finite(q.get("type_errors")) or 0) > 0,
            (_finite(q.get("out_of_range_share")) or 0) > 0,
            bool(new),
        ]
        findings += sum(flags)
        new_text = _e(", ".join(new[:5]) + (f" +{len(new) - 5}" if len(new) > 5 else "")) if new else "—"
        rows.append(
            "<tr>"
            + _cell(_e(name), name, "name")
            + _cell(_pct(q.get("missing_share"), 2), _finite(q.get("missing_share")), _warn(flags[0]))
            + _cell(_int(q.get("type_errors")), _finite(q.get("type_errors")), _warn(flags[1]))
            + _cell(_pct(q.get("out_of_range_share"), 2), _finite(q.get("out_of_range_share")), _warn(flags[2]))
            + _cell(new_text, len(new), "text warn" if flags[3] else "text")
            + "</tr>"
        )
    head = "".join(
        f'<th class="{c}">{h}</th>'
        for h, c in (
            ("Feature", "text"),
            ("Missing", ""),
            ("Type errors", ""),
            ("Out of range", ""),
            ("New categories", "text"),
        )
    )
    summary = f"{findings} finding{'s' if findings != 1 else ''} over {len(features)} features"
    if data_quality.get("rows") is not None:
        summary += f" · {_int(data_quality.get('rows'))} rows"
    return (
        f'<section class="card"><h2>Data quality</h2><p class="muted small">{summary}</p>'
        f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
        "</table></div></section>"
    )


_METRIC_NAMES = {
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "log_loss": "Log loss",
    "mae": "MAE",
    "rmse": "RMSE",
    "mape": "MAPE",
    "r2": "R²",
    "mean_error": "Mean error",
}


def _confusion(matrix: Mapping[str, Any]) -> str:
    labels = list(matrix.get("labels") or [])
    cells = list(matrix.get("matrix") or [])
    if not labels or len(labels) > MAX_MATRIX_LABELS or len(cells) != len(labels):
        return ""
    peak = max([max(row) for row in cells if row] + [1])
    head = "".join(f"<th>{_e(label)}</th>" for label in labels)
    body = []
    for label, row in zip(labels, cells, strict=True):
        tds = "".join(
            f'<td style="background:rgba(91,122,166,{0.08 + 0.6 * v / peak:.2f})">{_int(v)}</td>' for v in row
        )
        body.append(f"<tr><th>{_e(label)}</th>{tds}</tr>")
    return (
        '<div><h3>Confusion matrix</h3><p class="small muted">rows: actual · columns: predicted</p>'
        f'<table style="width:auto"><thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )


def _model_quality(quality: Mapping[str, Any]) -> str:
    if not quality:
        return ""
    metrics = _dict(quality.get("metrics"))
    cards = "".join(_stat(_num(metrics[key], 3), label) for key, label in _METRIC_NAMES.items() if key in metrics)
    described = [f"task <b>{_e(quality.get('task', '—'))}</b>", f"{_int(quality.get('n'))} labelled rows"]
    if quality.get("positive") is not None:
        described.append(f"positive class <b>{_e(quality['positive'])}</b>")
    if quality.get("average"):
        described.append(f"averaging {_e(quality['average'])}")
    if quality.get("mape_skipped"):
        described.append(f"{_int(quality['mape_skipped'])} zero targets left out of MAPE")
    per_class = [_dict(c) for c in quality.get("per_class") or []][:MAX_MATRIX_LABELS]
    per_class_table = ""
    if per_class:
        rows = "".join(
            "<tr>"
            + "".join(
                [f'<td class="text">{_e(c.get("label"))}</td>']
                + [f"<td>{_num(c.get(k), 3)}</td>" for k in ("precision", "recall", "f1", "roc_auc")]
                + [f"<td>{_int(c.get('support'))}</td>"]
            )
            + "</tr>"
            for c in per_class
        )
        per_class_table = (
            '<div><h3>Per class</h3><table style="width:auto"><thead><tr><th class="text">Class</th>'
            "<th>Precision</th><th>Recall</th><th>F1</th><th>ROC AUC</th><th>Support</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    warnings = quality.get("warnings") or []
    notes = f'<ul class="notes">{"".join(f"<li>{_e(w)}</li>" for w in warnings)}</ul>' if warnings else ""
    return (
        '<section class="card"><h2>Model quality</h2>'
        f'<p class="meta">{" · ".join(described)}</p><div class="stats">{cards}</div>{notes}'
        '<div class="stats" style="margin-top:14px;align-items:flex-start">'
        f"{_confusion(_dict(quality.get('confusion_matrix')))}{per_class_table}</div></section>"
    )


def _join(parts: Iterable[str]) -> str:
    return "\n".join(p for p in parts if p)


def render_drift_report(context: dict[str, Any]) -> str:
    """The whole report as one HTML document (see the module docstring for ``context``)."""
    drift = _dict(context.get("drift"))
    data_quality = _dict(context.get("data_quality"))
    model = _dict(context.get("model"))
    window = _dict(context.get("window"))
    ordered = _ordered_features(drift)
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'; base-uri 'none'; form-action 'none'"
    )
    title = f"Drift · {model.get('name', 'model')} · {rfc3339(window.get('start'))} → {rfc3339(window.get('end'))}"
    cards = "".join(_feature_card(number, name, f) for number, name, f in ordered)
    distributions = f'<section class="card"><h2>Distributions</h2><div class="features">{cards}</div></section>'
    body = _join(
        [
            _header(context, drift),
            _verdict(drift, data_quality),
            _feature_table(ordered) if ordered else "",
            distributions if cards else "",
            _data_quality(data_quality),
            _model_quality(_dict(context.get("quality"))),
        ]
    )
    generated = context.get("generated_at")
    footer = "Generated by MonitorX" + (f" at {_e(rfc3339(generated))}" if generated is not None else "")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><main>\n{body}\n<footer>{footer}</footer></main>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
