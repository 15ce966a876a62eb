import { api, can, hasRoute } from "../api.js";
import { h, mount, errorBox, loading, toast, fmtNum, fmtPct } from "../dom.js";
import { overlayChart, timeChart, purge, PALETTE } from "../charts.js";
import { onChange, timeWindow, stepFor, rangeLabel } from "../state.js";
import { exportButtons } from "../export.js";
import { modelTabs, panel } from "./model.js";

const PREDICTION = "__prediction__";

/** How far past its threshold a feature is: drifted ones first, then by effect over the minimum. */
export function severity(f) {
  const effect = f.min_effect ? (f.effect_size || 0) / f.min_effect : 0;
  const p = f.p_value !== null && f.p_value !== undefined ? 1 - f.p_value : 0;
  return (f.drifted ? 1000 : 0) + effect + p / 10;
}

const featureName = (n) => (n === PREDICTION ? "prediction" : n);

export async function render(app, name) {
  const enc = encodeURIComponent(name);
  if (!(await hasRoute(`models/${enc}/references`))) {
    mount(app, h("h1", {}, name), modelTabs(name, "drift"), h("div", { class: "empty" }, "This server has no drift API yet."));
    return null;
  }
  const editor = can("admin") || can("edit");
  const head = h("div", { class: "page-head" },
    h("div", {}, h("h1", {}, name), h("div", { class: "sub", id: "drift-sub" }, "")),
    h("div", { class: "row-actions", id: "drift-actions" }));
  const body = h("div", { id: "drift-body" }, loading());
  mount(app, head, modelTabs(name, "drift"), body);
  let seq = 0;
  let sortKey = "severity", sortDir = -1;
  let report = null;
  const charts = [];

  function chartEl(id) {
    const el = h("div", { class: "chart", id });
    charts.push(el);
    return el;
  }

  async function load() {
    const mine = ++seq;
    const { start, end } = timeWindow();
    const refs = (await api(`models/${enc}/references`)).references;
    if (mine !== seq) return;
    const active = refs.find((r) => r.active);
    const actions = document.getElementById("drift-actions");
    mount(actions,
      refs.length > 1 ? h("label", {}, "Reference ", h("select", { id: "reference", onchange: () => load() },
        refs.map((r) => h("option", { value: r.name, selected: r === active }, `${r.name}${r.active ? " (active)" : ""}`)))) : null,
      refs.length ? h("a", { class: "badge", id: "report-link", href: `/api/v1/models/${enc}/drift/report?start=${start}&end=${end}`, download: `${name}-drift-report.html` }, "Download HTML report") : null);
    if (!active) return mount(body, noReference(name, editor, load));
    const chosen = document.getElementById("reference")?.value || active.name;
    try {
      report = await api(`models/${enc}/drift`, { params: { start, end, reference: chosen } });
    } catch (err) {
      return mount(body, errorBox(err, "Drift could not be computed"));
    }
    if (mine !== seq) return;
    const d = report.drift;
    // The prediction's drift comes keyed by its column name, beside the features'.
    const pred = d.prediction ? (d.prediction.feature ? d.prediction : Object.values(d.prediction)[0]) : null;
    document.getElementById("drift-sub").textContent =
      `${rangeLabel()} (${fmtNum(report.rows)} rows) against reference "${report.reference.name}" (${fmtNum(report.reference.rows)} rows) · ` +
      `${d.n_drifted} of ${d.n_features} features drifted · dataset drift ${d.drifted ? "YES" : "no"} (share over ${fmtPct(d.drift_share, 0)})`;

    const dist = chartEl("drift-distribution");
    const overTime = chartEl("drift-over-time");
    const quality = chartEl("quality-series");
    const tableBox = h("div", { class: "table-wrap", id: "drift-table" });
    const distTitle = h("span", {}, "");
    mount(body,
      h("div", { class: "tiles" },
        h("div", { class: "tile" }, h("div", { class: "v", style: d.drifted ? "color: var(--bad)" : "" }, d.drifted ? "drift" : "no drift"), h("div", { class: "k" }, "dataset")),
        h("div", { class: "tile" }, h("div", { class: "v" }, `${d.n_drifted}/${d.n_features}`), h("div", { class: "k" }, "features drifted")),
        pred ? h("div", { class: "tile" }, h("div", { class: "v", style: pred.drifted ? "color: var(--bad)" : "" }, pred.drifted ? "drift" : "stable"), h("div", { class: "k" }, "prediction")) : null,
        h("div", { class: "tile" }, h("div", { class: "v" }, fmtPct(report.data_quality.max_missing_share)), h("div", { class: "k" }, "max missing share"))),
      panel("Features", "drift-features", () => featureTable(report), tableBox),
      h("div", { class: "grid-2" },
        panel(h("span", {}, "Reference vs current: ", distTitle), "distribution", () => distTable(report, distTitle.textContent), dist),
        panel("Drift over time (scheduled evaluations)", "drift-history", () => resultsTable(report.history), overTime)),
      h("div", { style: "height:16px" }),
      panel("Data quality", "data-quality", () => dqTable(report), dataQuality(report)),
      panel("Model quality (from late labels)", "model-quality", () => qualityTable(report.quality), quality));

    const features = Object.values(d.features);
    if (pred) features.push({ ...pred, feature: PREDICTION });
    const drawTable = () => {
      const key = { severity, feature: (f) => f.feature, method: (f) => f.method, statistic: (f) => f.statistic, threshold: (f) => f.threshold, p_value: (f) => f.p_value ?? -1 }[sortKey];
      const rows = [...features].sort((a, b) => {
        const x = key(a), y = key(b);
        return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
      });
      const th = (k, label) => h("th", { class: "sortable", "data-sort": k, onclick: () => { sortDir = sortKey === k ? -sortDir : -1; sortKey = k; drawTable(); } },
        label, sortKey === k ? (sortDir < 0 ? " ▼" : " ▲") : "");
      mount(tableBox, h("table", {},
        h("thead", {}, h("tr", {}, th("feature", "Feature"), h("th", {}, "Kind"), th("method", "Method"), th("statistic", "Statistic"),
          th("threshold", "Threshold"), th("p_value", "p-value"), h("th", {}, "Effect"), th("severity", "Drifted"))),
        h("tbody", {}, rows.map((f) => h("tr", { class: f.drifted ? "drifted" : "", "data-feature": f.feature, style: "cursor:pointer", title: f.rule || "", onclick: () => showDistribution(f) },
          h("td", {}, featureName(f.feature), f.new_categories?.length ? h("div", { class: "hint" }, `new: ${f.new_categories.slice(0, 5).join(", ")}`) : null),
          h("td", {}, f.kind), h("td", {}, f.method), h("td", { class: "num" }, fmtNum(f.statistic, 4)),
          h("td", { class: "num" }, fmtNum(f.threshold, 3)), h("td", { class: "num" }, f.p_value === null || f.p_value === undefined ? "—" : f.p_value < 1e-4 ? f.p_value.toExponential(1) : f.p_value.toFixed(4)),
          h("td", { class: "num" }, f.effect_size_method ? `${fmtNum(f.effect_size, 3)} ${f.effect_size_method}` : "—"),
          h("td", {}, h("span", { class: `pill ${f.drifted ? "bad" : "ok"}` }, f.drifted ? "drifted" : "no")))))));
    };

    async function showDistribution(f) {
      distTitle.textContent = featureName(f.feature);
      report.shown = f;
      const dd = f.distributions;
      if (!dd) return mount(dist, h("p", { class: "hint" }, "No distribution kept for this feature."));
      const share = (xs) => { const t = xs.reduce((a, b) => a + b, 0) || 1; return xs.map((x) => x / t); };
      const numeric = dd.kind === "ranges" && dd.edges?.length === dd.labels.length + 1;
      // Numeric bins are drawn at their true positions and widths; categories as labelled bars.
      const x = numeric ? dd.edges.slice(0, -1).map((lo, i) => (lo + dd.edges[i + 1]) / 2) : dd.labels;
      const width = numeric ? dd.edges.slice(0, -1).map((lo, i) => dd.edges[i + 1] - lo) : undefined;
      const trace = (name, ys, color) => ({ type: "bar", name, x, y: share(ys), width, marker: { color }, opacity: 0.55, customdata: dd.labels,
        hovertemplate: "%{customdata}: %{y:.1%}<extra>" + name + "</extra>" });
      await overlayChart(dist, [trace("reference", dd.reference, PALETTE[0]), trace("current", dd.current, PALETTE[1])], {
        yaxis: { tickformat: ".0%", gridcolor: "#eef1f5" },
        xaxis: numeric ? { gridcolor: "#eef1f5" } : { type: "category", automargin: true },
        legend: { orientation: "h", y: 1.12, x: 0 }, showlegend: true, margin: { l: 48, r: 12, t: 24, b: 40 },
      });
    }

    drawTable();
    const worst = [...features].sort((a, b) => severity(b) - severity(a))[0];
    if (worst) await showDistribution(worst);
    // Drift over time and model quality: scheduled results, drawn as series.
    try {
      const { results } = await api(`models/${enc}/results`, { params: { kind: "drift", start, end } });
      report.history = results;
      if (results.length) {
        await timeChart(overTime, { timestamps: results.map((r) => r.window_end), series: [{ labels: {}, values: { drifted_share: results.map((r) => r.value) } }] }, ["drifted_share"], { percent: true });
      } else mount(overTime, h("p", { class: "hint" }, "No scheduled drift evaluation in this range yet: the server evaluates each model's window on its schedule."));
    } catch (err) { mount(overTime, errorBox(err)); }
    try {
      const q = await api(`models/${enc}/quality`, { params: { start, end, step: stepFor(start, end, 48) } });
      report.quality = q;
      const all = [...new Set(q.points.flatMap((p) => Object.keys(p.metrics)))];
      const main = ["accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse", "mape"].filter((n) => all.includes(n));
      const names = main.length ? main : all;
      if (names.length) {
        const values = Object.fromEntries(names.map((n) => [n, q.points.map((p) => p.metrics[n] ?? null)]));
        await timeChart(quality, { timestamps: q.points.map((p) => p.start), series: [{ labels: {}, values }] }, names, { tickformat: ".2f" });
      } else mount(quality, h("p", { class: "hint" }, "No labels have arrived for this range. Send ground truth with ", h("code", {}, "monitorx.log_actual(prediction_id, actual)"), "."));
    } catch (err) { mount(quality, errorBox(err)); }
  }

  const off = onChange((why) => (why === "range" || why === "tick") && load().catch((err) => mount(body, errorBox(err))));
  await load().catch((err) => mount(body, errorBox(err)));
  return { cleanup: () => { off(); seq++; charts.forEach(purge); } };
}

function noReference(name, editor, reload) {
  const enc = encodeURIComponent(name);
  const err = h("div", { class: "field-error" });
  return h("div", { class: "empty", id: "no-reference" },
    h("h2", {}, "No reference yet"),
    h("p", {}, "Drift compares live traffic with a reference: usually the training data. Upload it as JSON rows:"),
    h("pre", {}, h("code", {}, `curl -X POST '${location.origin}/api/v1/models/${enc}/references?name=training' \\\n  -H 'Authorization: Bearer mx_…' -H 'Content-Type: application/json' \\\n  -d '[{"amount": 12.5, "country": "DE"}, …]'`)),
    editor ? h("p", {}, "Or take the model's own traffic in the selected range (", rangeLabel(), ") as the reference: ",
      h("button", { type: "button", class: "small", id: "window-reference", onclick: async () => {
        const { start, end } = timeWindow();
        try {
          await api(`models/${enc}/references/window`, { method: "POST", body: { name: `window-${new Date(start * 1000).toISOString().slice(0, 16)}`, start, end } });
          toast("Reference created");
          await reload();
        } catch (e) { err.textContent = e.message; }
      } }, "Use this range"), err) : null);
}

function dataQuality(report) {
  const dq = report.data_quality;
  const rows = Object.entries(dq.features);
  const notes = [];
  if (dq.missing_in_window?.length) notes.push(`Missing from live traffic: ${dq.missing_in_window.join(", ")}`);
  if (dq.not_in_reference?.length) notes.push(`Not in the reference: ${dq.not_in_reference.join(", ")}`);
  const bad = (v) => (v ? "color: var(--bad); font-weight: 600" : "");
  return h("div", { class: "table-wrap", id: "dq-table" },
    notes.map((n) => h("p", { class: "field-error" }, n)),
    h("table", {}, h("thead", {}, h("tr", {}, ["Feature", "Kind", "Rows", "Missing", "Type errors", "Out of range", "New categories"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows.map(([f, q]) => h("tr", {},
        h("td", {}, featureName(f)), h("td", {}, q.kind), h("td", { class: "num" }, fmtNum(q.rows)),
        h("td", { class: "num", style: bad(q.missing_share > 0.05) }, fmtPct(q.missing_share, 2)),
        h("td", { class: "num", style: bad(q.type_error_share > 0) }, fmtPct(q.type_error_share, 2)),
        h("td", { class: "num", style: bad(q.out_of_range_share > 0.01) }, q.out_of_range_share === null ? "—" : fmtPct(q.out_of_range_share, 2)),
        h("td", { style: bad(q.new_categories?.length) }, q.new_categories?.length ? q.new_categories.slice(0, 8).join(", ") : "—"))))));
}

function featureTable(report) {
  const fs = Object.values(report.drift.features);
  const cols = ["feature", "kind", "method", "statistic", "threshold", "p_value", "effect_size", "effect_size_method", "drifted", "reference_size", "current_size"];
  return { columns: cols, rows: fs.map((f) => cols.map((c) => f[c])), json: report.drift };
}

function distTable(report, feature) {
  const f = report.shown;
  if (!f?.distributions) return { columns: [], rows: [] };
  const d = f.distributions;
  return { columns: ["bin", "reference", "current"], rows: d.labels.map((l, i) => [l, d.reference[i], d.current[i]]), json: { feature, ...d } };
}

function resultsTable(results = []) {
  return { columns: ["window_start", "window_end", "drifted_share", "flagged"], rows: results.map((r) => [r.window_start, r.window_end, r.value, r.flagged]), json: results };
}

function dqTable(report) {
  const cols = ["kind", "rows", "missing_share", "type_error_share", "out_of_range_share", "new_categories"];
  return { columns: ["feature", ...cols], rows: Object.entries(report.data_quality.features).map(([f, q]) => [f, ...cols.map((c) => (Array.isArray(q[c]) ? q[c].join(" ") : q[c]))]), json: report.data_quality };
}

function qualityTable(q) {
  if (!q) return { columns: [], rows: [] };
  const names = [...new Set(q.points.flatMap((p) => Object.keys(p.metrics)))];
  return { columns: ["start", "end", "n", ...names], rows: q.points.map((p) => [p.start, p.end, p.n, ...names.map((n) => p.metrics[n] ?? null)]), json: q };
}


