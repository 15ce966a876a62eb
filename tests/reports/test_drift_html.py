"""The drift report renders a real verdict into one self-contained, escaped HTML file."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from monitorx.reports import render_drift_report
from monitorx.reports.drift_html import distribution_chart, rfc3339
from monitorx.stats.datagen import make_drift_dataset
from monitorx.stats.drift import dataset_drift_from_arrays
from monitorx.stats.quality import quality_metrics

HOSTILE_FEATURE = '<script>alert("feature")</script>'
HOSTILE_CATEGORY = "<img src=x onerror=alert(1)>"
HOSTILE_MODEL = '"><b onmouseover=alert(2)>model</b>'
EMPTY_FEATURE = "always_missing_now"
VOID = {"meta", "br", "line", "rect", "path", "img", "input", "link", "hr", "col", "wbr", "area", "base", "source"}


class Document(HTMLParser):
    """Checks that every element closes in order, and collects what the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.rows: dict[str, str] = {}  # feature table: data-feature -> row text
        self.cards: dict[str, str] = {}  # article id -> text
        self._row: str | None = None
        self._card: str | None = None
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "tr" and attributes.get("data-feature") is not None:
            self._row = attributes["data-feature"]
            self.rows[self._row or ""] = ""
        if tag == "article":
            self._card = attributes.get("id")
            self.cards[self._card or ""] = ""
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag == "tr":
            self._row = None
        if tag == "article":
            self._card = None
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self.rows[self._row] += data
        if self._card is not None:
            self.cards[self._card] += data
        if self._in_script:
            self.scripts[-1] += data


def parse(html: str) -> Document:
    doc = Document()
    doc.feed(html)
    doc.close()
    assert not doc.errors, doc.errors[:5]
    assert doc.stack == [], f"unclosed: {doc.stack}"
    return doc


def make_context(*, with_quality: bool = True) -> dict[str, Any]:
    data = make_drift_dataset(3000, n_numeric=5, n_categorical=3, seed=7)
    rng = np.random.default_rng(1)
    reference, current = dict(data.reference), dict(data.current)
    kinds = dict(data.kinds)
    reference[HOSTILE_FEATURE] = rng.choice(np.array(["a", HOSTILE_CATEGORY], dtype=object), 3000)
    current[HOSTILE_FEATURE] = rng.choice(np.array(["a", HOSTILE_CATEGORY, "<b>new</b>"], dtype=object), 3000)
    kinds[HOSTILE_FEATURE] = "categorical"
    reference[EMPTY_FEATURE] = rng.normal(0, 1, 3000)
    current[EMPTY_FEATURE] = np.full(3000, np.nan)
    kinds[EMPTY_FEATURE] = "numeric"
    drift = dataset_drift_from_arrays(reference, current, kinds).to_dict()
    features = {
        name: {
            "missing_share": float(np.mean([v is None or v != v for v in current[name]])),
            "type_errors": 0,
            "out_of_range_share": 0.0,
            "new_categories": drift["features"][name]["new_categories"],
        }
        for name in current
    }
    context: dict[str, Any] = {
        "model": {"name": HOSTILE_MODEL, "type": "classification", "version": "v<3>"},
        "window": {"start": 1714608000, "end": 1714694400.5},
        "reference": {"name": "train & <test>", "source": "upload", "rows": 3000, "created_at": 1714000000},
        "drift": drift,
        "data_quality": {"rows": 3000, "features": features},
        "generated_at": 1714694700,
    }
    if with_quality:
        y = rng.integers(0, 2, 500)
        context["quality"] = quality_metrics("classification", y.tolist(), (y * 0.4 + rng.random(500) * 0.6).tolist())
    return context


@pytest.fixture(scope="module")
def context() -> dict[str, Any]:
    return make_context()


@pytest.fixture(scope="module")
def html(context: dict[str, Any]) -> str:
    return render_drift_report(context)


def test_the_report_parses_and_every_element_closes(html: str) -> None:
    doc = parse(html)
    assert html.startswith("<!DOCTYPE html>")
    assert [t for t, _ in doc.tags].count("html") == 1


def test_nothing_is_fetched_from_anywhere(html: str) -> None:
    doc = parse(html)
    assert "http://" not in html and "https://" not in html
    assert "url(" not in html and "@import" not in html
    for tag, attributes in doc.tags:
        assert tag not in ("img", "link", "iframe", "object", "embed", "image", "use"), tag
        assert "src" not in attributes, tag
        href = attributes.get("href")
        assert href is None or href.startswith("#"), href
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
    policy = next(a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert policy is not None and "default-src 'none'" in policy


def test_the_only_script_is_ours_and_the_policy_allows_it_by_hash(html: str) -> None:
    doc = parse(html)
    assert len(doc.scripts) == 1
    digest = base64.b64encode(hashlib.sha256(doc.scripts[0].encode()).digest()).decode()
    policy = next(a["content"] for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert f"script-src 'sha256-{digest}'" in (policy or "")
    assert "unsafe-inline" not in (policy or "").split("script-src")[1]


def test_every_feature_has_a_row_and_a_card_with_its_verdict(context: dict[str, Any], html: str) -> None:
    doc = parse(html)
    features = context["drift"]["features"]
    assert set(doc.rows) == set(features)
    cards = list(doc.cards.values())
    for name, verdict in features.items():
        expected = "not computed" if verdict["note"] else "drifted" if verdict["drifted"] else "no drift"
        row = doc.rows[name]
        assert expected in row, (name, row)
        for other in {"not computed", "drifted", "no drift"} - {expected}:
            assert other not in row.replace(expected, ""), (name, row)
        assert any(text.startswith(name) and expected in text for text in cards), name
    assert features[EMPTY_FEATURE]["note"] and "no non-missing values" in html


def test_drifted_features_come_first(context: dict[str, Any], html: str) -> None:
    doc = parse(html)
    order = [context["drift"]["features"][name]["drifted"] for name in doc.rows]
    assert order == sorted(order, reverse=True)


def test_the_verdict_and_window_are_shown(context: dict[str, Any], html: str) -> None:
    drift = context["drift"]
    assert ("Dataset drift detected" in html) == drift["drifted"]
    assert ("No dataset drift" in html) == (not drift["drifted"])
    assert f"{drift['n_drifted']} of {drift['n_features']} features" in html
    assert "2024-05-02T00:00:00Z" in html and "2024-05-03T00:00:00.500Z" in html


def test_hostile_strings_are_escaped(html: str) -> None:
    doc = parse(html)
    assert HOSTILE_FEATURE not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;feature&quot;)&lt;/script&gt;" in html
    assert HOSTILE_CATEGORY not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE_MODEL not in html and "<b onmouseover" not in html
    assert "<b>new</b>" not in html and "&lt;b&gt;new&lt;/b&gt;" in html
    assert HOSTILE_FEATURE in doc.rows  # the parser reads the name back as text
    assert "img" not in {tag for tag, _ in doc.tags}


def test_charts_are_inline_svg_per_computed_feature(context: dict[str, Any], html: str) -> None:
    doc = parse(html)
    computed = sum(1 for v in context["drift"]["features"].values() if v["distributions"])
    assert sum(1 for tag, _ in doc.tags if tag == "svg") == computed + 1  # + the drifted-share gauge


def test_model_quality_is_shown_when_given(context: dict[str, Any], html: str) -> None:
    assert "Model quality" in html and "Confusion matrix" in html and "ROC AUC" in html
    without = render_drift_report(make_context(with_quality=False))
    parse(without)
    assert "Model quality" not in without


def test_a_minimal_context_renders() -> None:
    parse(render_drift_report({"drift": {}}))
    parse(render_drift_report({}))


def test_data_quality_features_may_sit_at_the_top_level() -> None:
    html = render_drift_report({"drift": {}, "data_quality": {"rows": 10, "x<y": {"missing_share": 0.5}}})
    parse(html)
    assert "x&lt;y" in html and "50.00%" in html and "1 finding over 1 features" in html


def test_charts_normalise_counts_to_shares() -> None:
    svg = distribution_chart({"kind": "categories", "labels": ["a", "b"], "reference": [3, 1], "current": [10, 10]})
    assert "75.0% → 50.0%" in svg and "25.0% → 50.0%" in svg
    numeric = distribution_chart(
        {"kind": "ranges", "labels": ["0..1", "1..2"], "edges": [0, 1, 2], "reference": [1, 3], "current": [2, 2]}
    )
    assert numeric.count("<path") == 2
    assert (
        distribution_chart(None) == "" and distribution_chart({"labels": ["a"], "reference": [], "current": []}) == ""
    )


def test_many_categories_are_summed_past_the_largest() -> None:
    labels = [f"c{i}" for i in range(40)]
    svg = distribution_chart({"kind": "categories", "labels": labels, "reference": [1] * 40, "current": [1] * 40})
    assert "25 more" in svg and "c39" not in svg


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "1970-01-01T00:00:00Z"), (1714608000.25, "2024-05-02T00:00:00.250Z"), (None, "—"), ("later", "later")],
)
def test_rfc3339(value: object, text: str) -> None:
    assert rfc3339(value) == text


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium here")
def test_chromium_draws_it(html: str, tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(html, encoding="utf-8")
    command = [CHROMIUM or "", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    command += ["--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 1600) and len(data) > 20_000  # a blank page compresses to a few KB


def test_the_file_stays_small(html: str) -> None:
    assert len(html.encode()) < 200_000
    assert not re.search(r"base64,", html)  # no embedded fonts or images
