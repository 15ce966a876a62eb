import { api, can } from "../api.js";
import { h, mount, errorBox, loading, fmtMs, fmtPct, fmtRate, fmtAgo, fmtBytes } from "../dom.js";
import { sparkline, gauge } from "../charts.js";
import { onChange, timeWindow, stepFor, rangeLabel } from "../state.js";
import { firingAlerts, driftStatus } from "../features.js";
import { exportButtons } from "../export.js";
import { liveStream } from "../live.js";

const DEFAULT_ERROR_LIMIT = 0.05;

export function modelStatus(m, firing) {
  if (firing.some((a) => a.model === m.name)) return "firing";
  const hl = m.health;
  if (!hl.count) return "idle";
  const p95Limit = m.thresholds.latency_p95_ms, errLimit = m.thresholds.error_rate ?? DEFAULT_ERROR_LIMIT;
  if ((p95Limit && hl.latency_p95 > p95Limit) || hl.error_rate > errLimit) return "warning";
  return "ok";
}

function statusTitle(status, m) {
  return {
    firing: "An alert is firing for this model",
    warning: `Over a threshold in the last hour (p95 limit ${m.thresholds.latency_p95_ms ?? "—"} ms, error rate limit ${fmtPct(m.thresholds.error_rate ?? DEFAULT_ERROR_LIMIT)})`,
    ok: "Within its thresholds over the last hour",
    idle: "No traffic in the last hour",
  }[status];
}

function snippet() {
  const url = location.origin;
  return [
    "pip install monitorx",
    "",
    "import monitorx",
    `monitorx.init(url="${url}", api_key="mx_…")  # an ingest key from the API keys page`,
    "",
    '@monitorx.monitor(model="my-model", version="1")',
    "def predict(features: dict) -> float:",
    "    ...",
  ].join("\n");
}

function emptyState() {
  const code = snippet();
  return h("div", { class: "empty", id: "empty-state" },
    h("h2", {}, "No models yet"),
    h("p", {}, "Add two lines to a model service and its first predictions show up here within seconds."),
    h("pre", {}, h("code", {}, code)),
    h("p", {},
      h("button", { type: "button", class: "small", onclick: (ev) => {
        navigator.clipboard?.writeText(code).then(() => (ev.target.textContent = "Copied"), () => {});
      } }, "Copy"), " ",
      can("admin") ? h("a", { href: "/keys", "data-link": true }, "Create an ingest API key") : "Ask an admin for an ingest API key",
      " · ", h("a", { href: "/docs" }, "API documentation")),
  );
}

function card(m, firing, drift) {
  const status = modelStatus(m, firing);
  const hl = m.health;
  const d = drift[m.name];
  return h("a", { class: `card ${status}`, href: `/models/${encodeURIComponent(m.name)}`, "data-link": true, "data-model": m.name },
    h("div", { class: "card-head" },
      h("span", { class: "card-name" }, m.name),
      h("span", { class: `pill ${status}`, title: statusTitle(status, m), "data-status": status }, status)),
    h("div", { class: "sub" }, `${m.type} · ${m.versions.length} version${m.versions.length === 1 ? "" : "s"} · last event ${fmtAgo(m.last_event_at)}`),
    h("div", { class: "metrics" },
      metric("requests", fmtRate(hl.throughput), "throughput"),
      metric("p95", fmtMs(hl.latency_p95), "p95"),
      metric("errors", fmtPct(hl.error_rate), "errors"),
      metric("drift", d ? d.label : "—", "drift", d?.flagged ? "color: var(--bad)" : "")),
    h("div", { class: "spark-slot", "data-spark": m.name }),
  );
}

function metric(k, v, key, style = "") {
  return h("div", { class: "metric" }, h("div", { class: "v", "data-metric": key, style }, v), h("div", { class: "k" }, k));
}

function hostPanel(hosts) {
  if (!hosts.length) {
    return h("div", { class: "hint" }, "No host has reported resources. The SDK's collector sends CPU, memory and GPU use: ",
      h("code", {}, "pip install 'monitorx[host]'"), ".");
  }
  return h("div", { class: "gauges" }, hosts.map((s) => {
    const mem = s.memory_total_bytes ? (100 * s.memory_used_bytes) / s.memory_total_bytes : null;
    const gpus = s.gpus || [];
    const gpuUtil = gpus.length ? gpus.reduce((a, g) => a + (g.utilization_percent || 0), 0) / gpus.length : null;
    const gUsed = gpus.reduce((a, g) => a + (g.memory_used_bytes || 0), 0), gTotal = gpus.reduce((a, g) => a + (g.memory_total_bytes || 0), 0);
    return h("div", { class: "host", "data-host": s.host },
      h("h3", {}, s.host, " ", h("span", { class: "hint" }, fmtAgo(s.timestamp))),
      h("div", { class: "host-gauges" },
        gauge(s.cpu_percent, "CPU"),
        gauge(mem, "Memory", `${fmtBytes(s.memory_used_bytes)} of ${fmtBytes(s.memory_total_bytes)}`),
        gpus.length ? gauge(gpuUtil, "GPU", gpus.map((g) => g.name).join(", ")) : null,
        gpus.length && gTotal ? gauge((100 * gUsed) / gTotal, "GPU memory", `${fmtBytes(gUsed)} of ${fmtBytes(gTotal)}`) : null),
      h("div", { class: "hint" }, (s.models || []).map((x) => `${x.model} ${x.version || ""}`).join(", ")),
    );
  }));
}

export async function render(app) {
  let models = [], hosts = [], firing = [], drift = {};
  let seq = 0;
  const grid = h("div", { class: "grid", id: "models" });
  const hostsBox = h("div", { id: "hosts" });
  const banner = h("div", { id: "alerts-banner" });
  const updated = h("span", { class: "hint", id: "last-update" });
  const sparkRange = h("span", { class: "hint" });
  let exportRows = () => ({ columns: [], rows: [] });
  // With many models, a name filter (kept in the URL as ?q=).
  const filterBox = h("input", { type: "search", id: "model-filter", placeholder: "Filter models", "aria-label": "Filter models",
    value: new URLSearchParams(location.search).get("q") || "", oninput: () => {
      const url = new URL(location.href);
      if (filterBox.value) url.searchParams.set("q", filterBox.value); else url.searchParams.delete("q");
      history.replaceState(history.state, "", url);
      drawModels();
    } });

  mount(app,
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Models"), h("div", { class: "sub" }, "Health over the last hour; sparklines: p95 latency over ", sparkRange)),
      h("div", { class: "row-actions" }, filterBox, updated, exportButtons("models", () => exportRows()))),
    banner, h("div", { id: "models-slot" }, loading()),
    h("section", { class: "panel", style: "margin-top:16px" }, h("h2", {}, "Hosts"), hostsBox),
  );

  function drawBanner() {
    if (!firing.length) return mount(banner);
    mount(banner, h("div", { class: "alert-banner", role: "alert" },
      h("strong", {}, `${firing.length} alert${firing.length === 1 ? "" : "s"} firing`), " · ",
      h("a", { href: "/alerts", "data-link": true }, "see all alerts"),
      h("ul", {}, firing.slice(0, 8).map((a) => h("li", {}, a.model ? h("a", { href: `/models/${encodeURIComponent(a.model)}`, "data-link": true }, a.model) : "", a.model ? ": " : "", a.summary)))));
  }

  function drawModels() {
    const slot = document.getElementById("models-slot");
    if (!slot) return;
    exportRows = () => ({
      columns: ["model", "type", "status", "throughput_per_s", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "error_rate", "cost_usd", "last_event_at"],
      rows: models.map((m) => [m.name, m.type, modelStatus(m, firing), m.health.throughput, m.health.latency_p50, m.health.latency_p95, m.health.latency_p99, m.health.error_rate, m.health.cost_usd, m.last_event_at]),
      json: models,
    });
    if (!models.length) return mount(slot, emptyState());
    // Firing first, then warning, then by name.
    const order = { firing: 0, warning: 1, ok: 2, idle: 3 };
    const needle = filterBox.value.trim().toLowerCase();
    const shown = needle ? models.filter((m) => m.name.toLowerCase().includes(needle)) : models;
    const sorted = [...shown].sort((a, b) => order[modelStatus(a, firing)] - order[modelStatus(b, firing)] || a.name.localeCompare(b.name));
    const old = new Map([...grid.querySelectorAll("[data-spark]")].map((el) => [el.dataset.spark, el.firstChild]));
    mount(grid, sorted.map((m) => card(m, firing, drift)));
    // For measuring the first meaningful paint: the moment the model cards are in the document.
    if (!performance.getEntriesByName("mx-models").length) performance.mark("mx-models");
    for (const el of grid.querySelectorAll("[data-spark]")) if (old.get(el.dataset.spark)) el.append(old.get(el.dataset.spark));
    if (slot.firstChild !== grid) mount(slot, grid);
  }

  async function drawSparks(mine) {
    const { start, end } = timeWindow();
    sparkRange.textContent = rangeLabel();
    const step = stepFor(start, end, 60);
    const queue = [...models];
    const worker = async () => {
      while (queue.length) {
        const m = queue.shift();
        try {
          const s = await api(`models/${encodeURIComponent(m.name)}/series`, { params: { metrics: "latency_p95", start, end, step } });
          if (mine !== seq) return;
          const slot = grid.querySelector(`[data-spark="${CSS.escape(m.name)}"]`);
          if (slot) mount(slot, sparkline(s.series[0]?.values.latency_p95 || [], { label: `p95 latency of ${m.name}` }));
        } catch { /* a missing sparkline is not worth an error box */ }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  async function load(why) {
    const mine = ++seq;
    try {
      const [m, hs] = await Promise.all([api("models"), api("hosts")]);
      if (mine !== seq) return;
      models = m.models;
      hosts = hs.hosts;
      drawModels();
      mount(hostsBox, hostPanel(hosts));
      updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
      // Slower extras after the first paint: alerts, drift, sparklines.
      const [f, d] = await Promise.all([firingAlerts().catch(() => []), why === "tick" && Object.keys(drift).length ? drift : driftStatus(models).catch(() => ({}))]);
      if (mine !== seq) return;
      firing = f;
      drift = d;
      drawBanner();
      drawModels();
      await drawSparks(mine);
    } catch (err) {
      if (mine === seq) mount(document.getElementById("models-slot") || app, errorBox(err, "Models could not be loaded"));
    }
  }

  const stop = liveStream((data) => {
    // Pushed by the server: new health numbers and host samples, no reload.
    const known = new Set(models.map((m) => m.name));
    const added = data.models.some((m) => !known.has(m.name));
    models = data.models;
    hosts = data.hosts;
    if (added) return load("live");
    drawModels();
    mount(hostsBox, hostPanel(hosts));
    updated.textContent = `live · ${new Date(data.time * 1000).toLocaleTimeString()}`;
  });
  const off = onChange((why) => (why === "range" || why === "tick") && load(why));
  await load("first");
  return { cleanup: () => { off(); stop(); seq++; } };
}


