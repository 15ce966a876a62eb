"""The dashboard in a real headless Chromium against a real ``monitorx demo`` server.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright for Python; both are installed
by ``scripts/test``. Without them the tests skip locally and fail in CI.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import IN_CI, free_port

CHROMIUM = os.environ.get("MONITORX_CHROMIUM", "/usr/bin/chromium")
ADMIN_PASSWORD = "browser-test-admin"
VIEWER_PASSWORD = "browser-test-viewer"
DEMO_MODELS = {"fraud-detector", "price-estimator", "support-chat", "image-tagger"}
TIMEOUT_MS = 30_000  # the machine is shared: generous, but nothing here waits on wall time to pass

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - scripts/test installs it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.slow
if sync_playwright is not None:
    expect.set_options(timeout=TIMEOUT_MS)


def _missing() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (pip install playwright)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


class DemoServer:
    """``monitorx demo`` in a subprocess: simulated models, default alert rules, live traffic."""

    def __init__(self, data_dir: Path) -> None:
        from monitorx.services.keys import new_token

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = new_token()[0]
        self.data_dir = data_dir
        self.log = data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "MONITORX_ADMIN_KEY": self.key,
            "MONITORX_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MONITORX_STREAM_INTERVAL_S": "1",
            "MONITORX_ALERT_INTERVAL_S": "1",
            "MONITORX_ALERT_ALLOW_HOSTS": "127.0.0.1",
        }
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitorx.cli.commands", "demo", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(data_dir), "--history-minutes", "30", "--rate", "4"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )  # fmt: skip

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers={"Authorization": f"Bearer {self.key}"}, timeout=30, **kw)

    def wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"demo exited: {self.log.read_text()[-3000:]}")
            try:
                models = self.api("GET", "/api/v1/models").json()["models"]
                if {m["name"] for m in models} >= DEMO_MODELS and all(m["health"]["count"] for m in models):
                    return
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"demo not ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    why = _missing()
    if why:
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    server = DemoServer(tmp_path_factory.mktemp("demo"))
    try:
        server.wait_ready()
        r = server.api("POST", "/api/v1/users", json={"username": "vic", "password": VIEWER_PASSWORD, "role": "viewer"})
        assert r.status_code == 201, r.text
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(demo: DemoServer) -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    ctx.on("weberror", lambda e: errors.append(str(e.error)))
    yield ctx
    ctx.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _sign_in(context: BrowserContext, demo: DemoServer, username: str, password: str) -> Page:
    # Opting out of the demo's automatic sign-in is what signing out does; the form shows.
    context.add_cookies([{"name": "mx_signed_out", "value": "1", "url": demo.url}])
    page = context.new_page()
    page.goto(demo.url + "/")
    expect(page).to_have_url(f"{demo.url}/login?next=%2F")
    page.fill("#username", username)
    page.fill("#password", "wrong password")
    page.click("form button[type=submit]")
    expect(page.locator("form [role=alert]")).to_have_text("Wrong username or password.")
    page.fill("#password", password)
    page.click("form button[type=submit]")
    expect(page).to_have_url(demo.url + "/")
    return page


def test_sign_in_and_see_the_demo_models(context: BrowserContext, demo: DemoServer) -> None:
    page = _sign_in(context, demo, "admin", ADMIN_PASSWORD)
    expect(page.locator(".card[data-model]")).to_have_count(len(DEMO_MODELS))
    names = set(page.locator(".card[data-model]").evaluate_all("els => els.map(e => e.dataset.model)"))
    assert names == DEMO_MODELS
    expect(page.locator("#user")).to_have_text("admin · admin")
    expect(page.locator(".host[data-host]")).to_have_count(2)  # the demo's two hosts, as gauges
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["mx_session"]["httpOnly"] and cookies["mx_session"]["sameSite"] == "Lax"


def test_the_demo_lets_a_newcomer_straight_in(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/")
    expect(page.locator(".card[data-model]")).to_have_count(len(DEMO_MODELS))
    expect(page.locator("#user")).to_have_text("demo · admin")


def test_open_a_model_change_the_range_and_export_csv(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/")
    page.click('.card[data-model="price-estimator"]')
    expect(page).to_have_url(demo.url + "/models/price-estimator")
    expect(page.locator("#chart-latency .main-svg").first).to_be_visible()
    expect(page.locator("#app")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    loaded = int(page.locator("#app").get_attribute("data-loaded") or 0)
    page.select_option("#range", "3h")
    expect(page).to_have_url(demo.url + "/models/price-estimator?range=3h")
    expect(page.locator("#range-label")).to_have_text("last 3 hours")
    expect(page.locator("#app")).to_have_attribute("data-loaded", str(loaded + 1))
    with page.expect_download() as info:
        page.click("#throughput [data-export=csv]")
    download = info.value
    assert download.suggested_filename == "throughput.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0] == ["timestamp", "time", "throughput"]
    stamps = [float(r[0]) for r in rows[1:]]
    step = int(stamps[1] - stamps[0])
    assert step == 60 and len(stamps) >= 180  # three hours at one-minute steps
    api = demo.api(
        "GET",
        "/api/v1/models/price-estimator/series",
        params={"metrics": "throughput", "start": stamps[0], "end": stamps[-1] + step, "step": step},
    ).json()
    assert api["timestamps"] == stamps
    expected = api["series"][0]["values"]["throughput"]
    # The newest minutes still receive live traffic between the two reads: compare the closed ones.
    for row, want in list(zip(rows[1:], expected, strict=True))[:-2]:
        assert (float(row[2]) if row[2] else None) == (None if want is None else pytest.approx(want))


def test_a_live_update_arrives_without_a_reload(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/")
    expect(page.locator(".card[data-model]")).to_have_count(len(DEMO_MODELS))
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#last-update")).to_contain_text("live ·")
    first = int(page.locator("body").get_attribute("data-live-events") or 0)
    # (A polling loop here, not wait_for_function: the page's CSP rightly refuses eval'd predicates.)
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while int(page.locator("body").get_attribute("data-live-events") or 0) <= first:
        assert time.monotonic() < deadline, "no live update arrived"
        page.wait_for_timeout(200)
    assert page.evaluate("window.__sameDocument") is True  # the same page: nothing reloaded
    expect(page.locator("#live")).to_have_class("live on")


def test_a_viewer_is_refused_an_editor_action(context: BrowserContext, demo: DemoServer) -> None:
    page = _sign_in(context, demo, "vic", VIEWER_PASSWORD)
    expect(page.locator("#user")).to_have_text("vic · viewer")
    expect(page.locator("#nav a", has_text="API keys")).to_have_count(0)
    page.goto(demo.url + "/keys")
    expect(page.locator("main")).to_contain_text("Only a project admin manages API keys")
    # The page's own API client, with the session's CSRF token: the server refuses by role.
    answer = page.evaluate(
        """async () => {
            const csrf = document.cookie.match(/mx_csrf=([^;]+)/)[1];
            const r = await fetch('/api/v1/keys', {method: 'POST', headers: {'Content-Type': 'application/json',
                'X-CSRF-Token': csrf}, body: JSON.stringify({name: 'sneaky', scopes: ['admin']})});
            return [r.status, (await r.json()).message];
        }"""
    )
    assert answer[0] == 403 and "viewer" in answer[1]
    if "/api/v1/silences" not in demo.api("GET", "/openapi.json").json()["paths"]:
        return
    # An editor action: the page offers no form, and the API refuses the session.
    page.goto(demo.url + "/alerts?tab=silences")
    expect(page.locator("main")).to_contain_text("Editors and admins create silences.")
    expect(page.locator("#silence-form")).to_have_count(0)
    answer = page.evaluate(
        """async () => {
            const csrf = document.cookie.match(/mx_csrf=([^;]+)/)[1];
            const r = await fetch('/api/v1/silences', {method: 'POST', headers: {'Content-Type': 'application/json',
                'X-CSRF-Token': csrf}, body: JSON.stringify({matchers: [{name: 'model', value: 'fraud-detector'}],
                duration_s: 3600, comment: 'viewer tries'})});
            return [r.status, (await r.json()).message];
        }"""
    )
    assert answer[0] == 403 and "viewer" in answer[1]


def test_admins_create_and_revoke_keys(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/keys")
    page.click("#key-form button[type=submit]")
    expect(page.locator("main [role=alert]").first).to_have_text("Name the key after what will use it.")
    page.fill("#key-name", "browser-made")
    page.click("#key-form button[type=submit]")
    token = page.locator("#new-token").inner_text()
    assert token.startswith("mx_")
    assert httpx.post(demo.url + "/api/v1/events", headers={"Authorization": f"Bearer {token}"},
                      json={"batch_id": "b", "events": []}).status_code != 401  # fmt: skip
    key_id = token.split("_")[1]
    page.once("dialog", lambda d: d.accept())
    page.click(f'tr[data-key="{key_id}"] button')
    expect(page.locator(f'tr[data-key="{key_id}"] .pill')).to_have_text("revoked")


def _needs_alerting(demo: DemoServer) -> None:
    if "/api/v1/alerts" not in demo.api("GET", "/openapi.json").json()["paths"]:
        pytest.skip("this server has no alerting API")


def test_resolve_and_silence_an_alert(context: BrowserContext, demo: DemoServer) -> None:
    _needs_alerting(demo)
    # support-chat's p95 (~7 s) is over the demo's 4 s threshold: its default rule trips at once.
    deadline = time.monotonic() + 120
    while not demo.api("GET", "/api/v1/alerts").json()["alerts"]:
        assert time.monotonic() < deadline, "no alert became pending or firing"
        time.sleep(1)
    page = context.new_page()
    page.goto(demo.url + "/alerts")
    row = page.locator("tr[data-alert]", has=page.locator('[data-action="resolve"]')).first
    alert_id = row.get_attribute("data-alert")
    row.locator('[data-action="resolve"]').click()
    expect(page.locator(f'tr[data-alert="{alert_id}"] .pill').first).to_have_text("resolved")
    assert demo.api("GET", f"/api/v1/alerts/{alert_id}").json()["state"] == "resolved"
    page.locator(f'tr[data-alert="{alert_id}"] [data-action="silence"]').click()
    expect(page).to_have_url(re.compile(r"tab=silences"))
    assert "alertname=" in page.input_value("#f-matchers")
    page.click("#silence-form button[type=submit]")
    expect(page.locator('[data-error-for="comment"]')).to_have_text("Say why, for whoever wonders later.")
    page.fill("#f-comment", "deploying v5")
    page.click("#silence-form button[type=submit]")
    expect(page.locator("tr[data-silence]").first).to_contain_text("deploying v5")
    silences = demo.api("GET", "/api/v1/silences").json()["silences"]
    assert any(s["comment"] == "deploying v5" and s["status"] == "active" for s in silences)


def test_create_a_rule_and_a_channel_that_sends_a_test(
    context: BrowserContext, demo: DemoServer, httpserver: Any
) -> None:
    _needs_alerting(demo)
    page = context.new_page()
    page.goto(demo.url + "/alerts?tab=rules")
    page.fill("#f-name", "fraud p99 over 2 s")
    page.select_option("#f-model", "fraud-detector")
    page.select_option("#f-metric", "latency_p99")
    page.fill("#f-threshold", "")
    page.click("#rule-form button[type=submit]")
    expect(page.locator('[data-error-for="threshold"]')).to_have_text("Enter a number.")
    page.fill("#f-threshold", "2000")
    page.click("#rule-form button[type=submit]")
    expect(page.locator('tr[data-rule="fraud p99 over 2 s"]')).to_contain_text("latency_p99 > 2000 over 5 min")
    rules = demo.api("GET", "/api/v1/alert-rules", params={"model": "fraud-detector"}).json()["rules"]
    rule = next(r for r in rules if r["name"] == "fraud p99 over 2 s")
    assert rule["condition"]["threshold"] == 2000 and rule["for_s"] == 300

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    page.goto(demo.url + "/alerts?tab=channels")
    page.fill("#f-name", "browser webhook")
    page.select_option("#f-kind", "webhook")
    page.fill("#f-url", "not a url")
    page.click("#channel-form button[type=submit]")
    expect(page.locator('[data-error-for="url"]')).to_have_text("Enter an http(s) URL.")
    page.fill("#f-url", httpserver.url_for("/hook"))
    page.click("#channel-form button[type=submit]")
    expect(page.locator("#channel-secret code")).to_contain_text("whsec_")
    row = page.locator('tr[data-channel="browser webhook"]')
    row.locator('[data-action="test"]').click()
    expect(row.locator("[data-test-status]")).to_have_text("delivered 200")
    assert len(httpserver.log) == 1


def test_auto_refresh_counts_down_and_redraws(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/models/image-tagger")
    expect(page.locator("#app")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    loaded = int(page.locator("#app").get_attribute("data-loaded") or 0)
    page.select_option("#refresh", "5")
    expect(page).to_have_url(demo.url + "/models/image-tagger?refresh=5")
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^[1-5]s$"))
    expect(page.locator("#app")).to_have_attribute("data-loaded", str(loaded + 1))
    page.select_option("#refresh", "0")
    expect(page.locator("#countdown")).to_have_text("")


def test_zooming_a_chart_narrows_the_time_range(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/models/fraud-detector")
    expect(page.locator("#app")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    box = page.locator("#chart-throughput .nsewdrag").first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, y, steps=8)
    page.mouse.up()
    expect(page).to_have_url(re.compile(r"/models/fraud-detector\?from=\d+&to=\d+$"))
    expect(page.locator("#range")).to_have_value("custom")
    q = dict(p.split("=") for p in page.url.split("?")[1].split("&"))
    span = int(q["to"]) - int(q["from"])
    assert 600 < span < 3000  # about a third of the hour shown


def test_comparing_versions_splits_every_chart_and_stays_in_the_url(context: BrowserContext, demo: DemoServer) -> None:
    page = context.new_page()
    page.goto(demo.url + "/models/fraud-detector?range=3h")
    expect(page.locator("#app")).to_have_attribute("data-loaded", re.compile(r"^\d+$"))
    page.select_option("#f-compare", "version")
    expect(page).to_have_url(demo.url + "/models/fraud-detector?range=3h&compare=version")
    # One trace per version (the demo's canary rolls v2 out beside v1) in the latency chart's legend.
    # (Other tests against the same demo may add a version, so: at least v1 and v2, one trace each.)
    expect(page.locator("#chart-latency .legend")).to_contain_text("version=v1")
    expect(page.locator("#chart-latency .legend")).to_contain_text("version=v2")
    assert page.locator("#chart-latency .legend .traces").count() >= 2
    page.reload()
    expect(page.locator("#f-compare")).to_have_value("version")
