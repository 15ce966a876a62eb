import { api } from "../api.js";
import { h, mount, errorBox, loading, fmtMs, fmtPct, fmtRate, fmtNum, fmtUsd, fmtAgo } from "../dom.js";
import { timeChart, barChart, histogramChart, purge } from "../charts.js";
import { onChange, setRange, timeWindow, stepFor, rangeLabel } from "../state.js";
import { exportButtons, seriesTable } from "../export.js";
import { liveStream } from "../live.js";

const NAMES = {
  latency_p50: "p50", latency_p95: "p95", latency_p99: "p99", throughput: "requests/s", error_rate: "error rate",
  input_tokens: "input tokens", output_tokens: "output tokens", cost_usd: "cost (USD)", ttft_p50: "TTFT p50", ttft_p95: "TTFT p95",
  cpu_percent: "CPU %", memory_percent: "memory %", gpu_utilization_percent: "GPU %", gpu_memory_percent: "GPU memory %",
};

export function panel(title, id, exporter, ...body) {
  return h("section", { class: "panel", id },
    h("div", { class: "panel-head" }, h("h3", {}, title), exporter ? exportButtons(id, exporter) : null),
    ...body);
}

function tile(k, v, key) {
  return h("div", { class: "tile" }, h("div", { class: "v", "data-tile": key }, v), h("div", { class: "k" }, k));
}

export function modelTabs(name, active) {
  const base = `/models/${encodeURIComponent(name)}`;
  return h("nav", { class: "tabs" },
    h("a", { href: base, "data-link": true, class: active === "perf" ? "active" : "" }, "Performance"),
    h("a", { href: `${base}/drift`, "data-link": true, class: active === "drift" ? "active" : "" }, "Drift & quality"),
    h("a", { href: `/alerts?model=${encodeURIComponent(name)}`, "data-link": true }, "Alerts"));
}

export async function render(app, name) {
  const enc = encodeURIComponent(name);
  const model = (await api(`models/${enc}`)).model;
  // Filters live in the URL too (?version=&environment=&compare=), so a link shows the same comparison.
  const q = new URLSearchParams(location.search);
  const filters = { version: q.get("version") || "", environment: q.get("environment") || "", compare: q.get("compare") || "" };
  const setFilter = (key, value) => {
    filters[key] = value;
    const url = new URL(location.href);
    if (value) url.searchParams.set(key, value); else url.searchParams.delete(key);
    history.replaceState(history.state, "", url);
    load();
  };
  const data = {}; // the last answers, for export
  let seq = 0;

  // Tag keys for "compare by" and the statistics table, from a sample of recent events.
  let tagKeys = [];
  try {
    const ev = await api(`models/${enc}/events`, { params: { limit: 200 } });
    tagKeys = [...new Set(ev.events.flatMap((e) => Object.keys(e.tags || {})))].sort();
  } catch { /* raw events may have expired: no tag keys to offer */ }

  const select = (id, label, options, key) => h("label", {}, label,
    h("select", { id, onchange: (ev) => setFilter(key, ev.target.value) },
      options.map(([v, t]) => h("option", { value: v, selected: v === filters[key] }, t))));
  const compareOpts = [["", "nothing"], ["version", "version"], ["environment", "environment"], ...tagKeys.map((k) => [`tag:${k}`, `tag ${k}`])];
  const tableKey = h("select", { id: "table-key", onchange: () => drawTable() },
    [["version", "version"], ["environment", "environment"], ...tagKeys.map((k) => [`tag:${k}`, k])].map(([v, t]) =>
      h("option", { value: v, selected: v === (tagKeys.includes("endpoint") ? "tag:endpoint" : "version") }, t)));

  const tiles = h("div", { class: "tiles", id: "tiles" }, loading());
  const live = h("span", { class: "hint", id: "live-strip" }, "");
  const el = (id, tall = false) => h("div", { class: tall ? "chart tall" : "chart", id: `chart-${id}` });
  const charts = {
    latency: el("latency", true), throughput: el("throughput"), errors: el("errors"), hist: el("hist"),
    types: el("types"), tokens: el("tokens"), cost: el("cost"), ttft: el("ttft"), hosts: el("hosts"),
  };
  const tableBox = h("div", { class: "table-wrap", id: "tag-table" }, loading());
  const llmBox = h("div", { class: "grid-2", id: "llm", hidden: true });
  const hostsBox = h("div", { id: "model-hosts" });
  const status = h("div", { id: "model-status" });

  mount(app,
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, name),
        h("div", { class: "sub" }, `${model.type} · versions ${model.versions.join(", ") || "—"} · environments ${model.environments.join(", ") || "—"}`,
          model.description ? ` · ${model.description}` : "")),
      live),
    modelTabs(name, "perf"),
    h("div", { class: "toolbar" },
      select("f-version", "Version", [["", "all"], ...model.versions.map((v) => [v, v])], "version"),
      select("f-environment", "Environment", [["", "all"], ...model.environments.map((v) => [v, v])], "environment"),
      select("f-compare", "Compare by", compareOpts, "compare"),
      h("span", { class: "hint", id: "range-label" })),
    status, tiles,
    h("div", { class: "grid-2" },
      panel("Latency", "latency", () => seriesTable(data.latency, data.latencyMetrics), charts.latency),
      panel("Throughput", "throughput", () => seriesTable(data.throughput, ["throughput"]), charts.throughput),
      panel("Error rate", "error-rate", () => seriesTable(data.errors, ["error_rate"]), charts.errors),
      panel("Latency distribution", "latency-distribution", () => histTable(data.hist), charts.hist),
      panel("Top error types", "error-types", () => ({ columns: ["type", "count"], rows: (data.types?.types || []).map((t) => [t.type, t.count]), json: data.types }), charts.types),
    ),
    h("div", { style: "height:16px" }),
    llmBox,
    panel("Statistics by", "tag-stats", () => data.table, h("div", { class: "toolbar" }, h("label", {}, "Group by", tableKey)), tableBox),
    panel("Hosts serving this model", "hosts", () => (data.hostSeries ? hostTable(data.hostSeries) : { columns: [], rows: [] }), hostsBox),
  );
  mount(llmBox,
    panel("LLM tokens", "llm-tokens", () => seriesTable(data.tokens, ["input_tokens", "output_tokens"]), charts.tokens),
    panel("LLM cost", "llm-cost", () => seriesTable(data.cost, ["cost_usd"]), charts.cost),
    panel("Time to first token", "llm-ttft", () => seriesTable(data.ttft, ["ttft_p50", "ttft_p95"]), charts.ttft));

  const onZoom = (a, b) => setRange("custom", a, b);

  function params(extra = {}) {
    const { start, end } = timeWindow();
    return { start, end, version: filters.version || undefined, environment: filters.environment || undefined, ...extra };
  }

  async function series(metrics, groupBy) {
    const p = params();
    return api(`models/${enc}/series`, { params: { ...p, step: stepFor(p.start, p.end), metrics: metrics.join(","), group_by: groupBy || undefined } });
  }

  async function drawTable() {
    const key = tableKey.value;
    const p = params();
    try {
      const cols = ["count", "throughput", "error_rate", "latency_p50", "latency_p95", "latency_p99", "latency_mean"];
      const s = await api(`models/${enc}/groups`, { params: { ...p, group_by: key, metrics: cols.join(",") } });
      const rows = s.groups.map((g) => [Object.values(g.labels)[0] || "(none)", ...cols.map((c) => g.stats[c])]).filter((r) => r[1]);
      rows.sort((a, b) => (b[1] || 0) - (a[1] || 0));
      const label = key.replace(/^tag:/, "");
      data.table = { columns: [label, ...cols], rows, json: s };
      const fmt = [fmtNum, fmtRate, fmtPct, fmtMs, fmtMs, fmtMs, fmtMs];
      mount(tableBox, rows.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, label), ["requests", "req/s", "errors", "p50", "p95", "p99", "mean"].map((c) => h("th", { class: "num" }, c)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r[0]), r.slice(1).map((v, i) => h("td", { class: "num" }, fmt[i](v)))))))
        : h("p", { class: "hint" }, "No traffic in this range."));
    } catch (err) { mount(tableBox, errorBox(err)); }
  }

  async function drawHosts(mine) {
    const { hosts } = await api("hosts");
    const serving = hosts.filter((s) => (s.models || []).some((m) => m.model === name));
    if (!serving.length) {
      data.hostSeries = null;
      return mount(hostsBox, h("p", { class: "hint" }, "No host reports serving this model. The SDK's collector names the models it serves."));
    }
    const p = params();
    const metrics = ["cpu_percent", "memory_percent", ...(serving.some((s) => s.gpus?.length) ? ["gpu_utilization_percent", "gpu_memory_percent"] : [])];
    const answers = await Promise.all(serving.map((s) => api(`hosts/${encodeURIComponent(s.host)}/series`, {
      params: { start: p.start, end: p.end, step: stepFor(p.start, p.end, 180), metrics: metrics.join(",") } })));
    if (mine !== seq) return;
    data.hostSeries = answers;
    mount(hostsBox, charts.hosts);
    // Reuse the time-series chart: one "group" per host.
    const merged = { timestamps: answers[0].timestamps, series: answers.map((a) => ({ labels: { host: a.host }, values: a.values })) };
    await timeChart(charts.hosts, merged, metrics, { names: NAMES, unit: "%", onZoom });
  }

  async function load() {
    const mine = ++seq;
    document.getElementById("range-label").textContent = rangeLabel();
    const compare = filters.compare;
    const latencyMetrics = compare ? ["latency_p95"] : ["latency_p50", "latency_p95", "latency_p99"];
    data.latencyMetrics = latencyMetrics;
    try {
      const p = params();
      const summary = await api(`models/${enc}`, { params: p });
      if (mine !== seq) return;
      const st = summary.stats;
      const isLlm = (st.llm_count || 0) > 0 || model.type === "llm";
      mount(status, summary.last_event_at ? null : h("div", { class: "empty" }, "No events from this model yet. Its first predictions appear here within seconds of being sent."));
      mount(tiles,
        tile("requests", fmtNum(st.count), "count"), tile("throughput", fmtRate(st.throughput), "throughput"),
        tile("p50 latency", fmtMs(st.latency_p50), "p50"), tile("p95 latency", fmtMs(st.latency_p95), "p95"),
        tile("p99 latency", fmtMs(st.latency_p99), "p99"), tile("error rate", fmtPct(st.error_rate, 2), "error_rate"),
        isLlm ? [tile("input tokens", fmtNum(st.input_tokens), "input_tokens"), tile("output tokens", fmtNum(st.output_tokens), "output_tokens"),
          tile("cost", fmtUsd(st.cost_usd), "cost"), tile("TTFT p95", fmtMs(st.ttft_p95), "ttft_p95")] : null,
        tile("last event", fmtAgo(summary.last_event_at), "last"));
      llmBox.hidden = !isLlm;
      const [lat, thr, err, hist, types] = await Promise.all([
        series(latencyMetrics, compare), series(["throughput"], compare), series(["error_rate"], compare),
        api(`models/${enc}/latency-histogram`, { params: { ...p, group_by: compare || undefined, max_buckets: 80 } }),
        api(`models/${enc}/error-types`, { params: p }),
      ]);
      if (mine !== seq) return;
      Object.assign(data, { latency: lat, throughput: thr, errors: err, hist, types });
      await Promise.all([
        timeChart(charts.latency, lat, latencyMetrics, { names: NAMES, unit: "ms", tickformat: ",.0f", onZoom }),
        timeChart(charts.throughput, thr, ["throughput"], { names: NAMES, unit: "/s", tickformat: ",.2~f", onZoom }),
        timeChart(charts.errors, err, ["error_rate"], { names: NAMES, percent: true, onZoom }),
        hist.edges.length ? histogramChart(charts.hist, hist) : mount(charts.hist, h("p", { class: "hint" }, "No latencies in this range.")),
        types.types.length ? (charts.types.style.height = `${Math.min(280, 70 + 34 * Math.min(10, types.types.length))}px`) && barChart(charts.types, types.types.slice(0, 10).map((t) => t.type), [{ name: "errors", values: types.types.slice(0, 10).map((t) => t.count), color: "#d64545" }], { horizontal: true })
          : mount(charts.types, h("p", { class: "hint" }, "No errors in this range.")),
      ]);
      if (isLlm) {
        const [tok, cost, ttft] = await Promise.all([series(["input_tokens", "output_tokens"], compare), series(["cost_usd"], compare), series(["ttft_p50", "ttft_p95"], compare)]);
        if (mine !== seq) return;
        Object.assign(data, { tokens: tok, cost, ttft });
        await Promise.all([
          timeChart(charts.tokens, tok, ["input_tokens", "output_tokens"], { names: NAMES, onZoom }),
          timeChart(charts.cost, cost, ["cost_usd"], { names: NAMES, tickformat: "$,.3~f", onZoom }),
          timeChart(charts.ttft, ttft, ["ttft_p50", "ttft_p95"], { names: NAMES, unit: "ms", tickformat: ",.0f", onZoom }),
        ]);
      }
      await Promise.all([drawTable(), drawHosts(mine).catch((e) => mount(hostsBox, errorBox(e)))]);
      app.dataset.loaded = String(Number(app.dataset.loaded || 0) + 1);
    } catch (err) {
      if (mine === seq) mount(status, errorBox(err, "The model's figures could not be loaded"));
    }
  }

  const stop = liveStream((snap) => {
    const m = snap.models.find((x) => x.name === name);
    if (!m) return;
    const hl = m.health;
    live.textContent = `live, last hour: ${fmtRate(hl.throughput)} · p95 ${fmtMs(hl.latency_p95)} · errors ${fmtPct(hl.error_rate)} · ${new Date(snap.time * 1000).toLocaleTimeString()}`;
  });
  const off = onChange((why) => (why === "range" || why === "tick") && load());
  await load();
  return { cleanup: () => { off(); stop(); seq++; Object.values(charts).forEach(purge); } };
}

function histTable(hist) {
  if (!hist) return { columns: [], rows: [] };
  const columns = ["lower_ms", "upper_ms", ...hist.series.map((g) => Object.entries(g.labels).map(([k, v]) => `${k}=${v}`).join(",") || "count")];
  const rows = hist.edges.slice(0, -1).map((lo, i) => [lo, hist.edges[i + 1], ...hist.series.map((g) => g.counts[i])]);
  return { columns, rows, json: hist };
}

function hostTable(answers) {
  const metrics = Object.keys(answers[0].values);
  const columns = ["timestamp", "time", ...answers.flatMap((a) => metrics.map((m) => `${m}{host=${a.host}}`))];
  const rows = answers[0].timestamps.map((ts, i) => [ts, new Date(ts * 1000).toISOString(), ...answers.flatMap((a) => metrics.map((m) => a.values[m][i]))]);
  return { columns, rows, json: answers };
}
