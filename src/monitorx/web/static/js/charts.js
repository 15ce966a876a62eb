// Charts: Plotly (served by this server from the plotly package, loaded only by pages that
// draw charts) for zoomable time series and distributions; small inline SVG for sparklines and
// gauges, so the overview needs no chart library at all.

import { svg, h } from "./dom.js";

let plotly = null;
export function loadPlotly() {
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      if (window.Plotly) return resolve(window.Plotly);
      const s = document.createElement("script");
      s.src = `${document.body.dataset.static}/vendor/plotly.min.js`;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { plotly = null; reject(new Error("the chart library could not be loaded (is the plotly package installed?)")); };
      document.head.append(s);
    });
  }
  return plotly;
}

export const PALETTE = ["#2d6cdf", "#e8743b", "#19a979", "#945ecf", "#d64545", "#13a4b4", "#c9a100", "#6c8893", "#ee6868", "#2f6497"];

const CONFIG = {
  displaylogo: false, responsive: true,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
};

function baseLayout(extra = {}) {
  return {
    margin: { l: 56, r: 12, t: 8, b: 36 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 12, color: "#1b2430" },
    legend: { orientation: "h", y: -0.18, x: 0 },
    hovermode: "x unified",
    xaxis: { type: "date", gridcolor: "#eef1f5", linecolor: "#dde3ea" },
    yaxis: { gridcolor: "#eef1f5", zerolinecolor: "#dde3ea", rangemode: "tozero" },
    ...extra,
  };
}

function groupName(labels) {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v || "(none)"}`);
  return parts.join(", ");
}

/** Time series from a /series answer; ``onZoom(start, end)`` when the user zooms the x axis. */
export async function timeChart(el, answer, metrics, { names = {}, unit = "", percent = false, onZoom, tickformat } = {}) {
  const Plotly = await loadPlotly();
  const x = answer.timestamps.map((t) => new Date(t * 1000));
  const traces = [];
  answer.series.forEach((g, gi) => {
    metrics.forEach((m, mi) => {
      const group = groupName(g.labels);
      const name = [group, metrics.length > 1 || !group ? names[m] || m : ""].filter(Boolean).join(" · ");
      traces.push({
        x, y: g.values[m], name, type: "scatter", mode: "lines", connectgaps: false,
        line: { width: 1.8, color: PALETTE[(answer.series.length > 1 ? gi : mi) % PALETTE.length],
          dash: answer.series.length > 1 && mi ? ["solid", "dot", "dash"][mi % 3] : "solid" },
        hovertemplate: percent ? "%{y:.2%}" : `%{y:${tickformat ? tickformat.replace(".0f", ".1f") : ".3~s"}}${unit ? " " + unit : ""}`,
      });
    });
  });
  const layout = baseLayout({
    yaxis: { gridcolor: "#eef1f5", rangemode: "tozero", tickformat: tickformat || (percent ? ".1%" : "~s"), ticksuffix: unit && !percent ? " " + unit : "" },
    showlegend: traces.length > 1,
  });
  await Plotly.react(el, traces, layout, CONFIG);
  if (onZoom && !el.dataset.zoomBound) {
    el.dataset.zoomBound = "1";
    el.on("plotly_relayout", (ev) => {
      const a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
      if (a && b) onZoom(new Date(a).getTime() / 1000, new Date(b).getTime() / 1000);
    });
  }
}

export async function barChart(el, categories, series, { horizontal = false, unit = "" } = {}) {
  const Plotly = await loadPlotly();
  const traces = series.map((s, i) => ({
    type: "bar", name: s.name, marker: { color: s.color || PALETTE[i % PALETTE.length] },
    [horizontal ? "y" : "x"]: categories, [horizontal ? "x" : "y"]: s.values,
    orientation: horizontal ? "h" : "v",
  }));
  const layout = baseLayout({
    hovermode: "closest", barmode: "group", showlegend: series.length > 1, bargap: 0.35,
    xaxis: horizontal ? { gridcolor: "#eef1f5", ticksuffix: unit } : { type: "category", automargin: true },
    yaxis: horizontal ? { type: "category", automargin: true, autorange: "reversed" } : { gridcolor: "#eef1f5", ticksuffix: unit },
    margin: { l: horizontal ? 140 : 56, r: 12, t: 8, b: 40 },
  });
  await Plotly.react(el, traces, layout, CONFIG);
}

/** Latency distribution from /latency-histogram: one bar trace per group, log-scaled x. */
export async function histogramChart(el, answer) {
  const Plotly = await loadPlotly();
  const e = answer.edges;
  const mids = e.slice(0, -1).map((lo, i) => (lo > 0 ? Math.sqrt(lo * e[i + 1]) : e[i + 1] / 2));
  const widths = e.slice(0, -1).map((lo, i) => e[i + 1] - lo);
  const traces = answer.series.map((g, i) => {
    const total = g.counts.reduce((a, b) => a + b, 0) || 1;
    return {
      type: "bar", x: mids, width: widths, y: g.counts.map((c) => c / total),
      name: groupName(g.labels) || "all", opacity: answer.series.length > 1 ? 0.6 : 0.9,
      marker: { color: PALETTE[i % PALETTE.length] },
      customdata: g.counts, hovertemplate: "%{x:.3~s} ms: %{customdata} (%{y:.1%})<extra>%{fullData.name}</extra>",
    };
  });
  const layout = baseLayout({
    hovermode: "closest", barmode: "overlay", showlegend: traces.length > 1,
    xaxis: { type: "log", title: { text: "latency (ms)" }, gridcolor: "#eef1f5" },
    yaxis: { tickformat: ".0%", gridcolor: "#eef1f5" },
    margin: { l: 56, r: 12, t: 8, b: 48 },
  });
  await Plotly.react(el, traces, layout, CONFIG);
}

export async function overlayChart(el, traces, layoutExtra = {}) {
  const Plotly = await loadPlotly();
  await Plotly.react(el, traces, baseLayout({ hovermode: "closest", barmode: "overlay", ...layoutExtra }), CONFIG);
}

export function purge(el) {
  if (window.Plotly && el) window.Plotly.purge(el);
}

// -- tiny SVG ---------------------------------------------------------------------------------

/** A sparkline of ``values`` (nulls are gaps). */
export function sparkline(values, { color = "#2d6cdf", width = 300, height = 40, label = "" } = {}) {
  const vals = values.filter((v) => v !== null && v !== undefined);
  const el = svg("svg", { class: "spark", viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", role: "img", "aria-label": label });
  if (vals.length < 2) return el;
  const max = Math.max(...vals), min = Math.min(0, ...vals);
  const span = max - min || 1;
  const dx = width / Math.max(1, values.length - 1);
  let d = "", area = "", pen = false, first = null, last = null;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { pen = false; return; }
    const x = i * dx, y = height - 2 - ((v - min) / span) * (height - 4);
    d += `${pen ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    if (first === null) first = x;
    last = x;
    area += `${area ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  el.append(
    svg("path", { d: `${area}L${last},${height}L${first},${height}Z`, fill: color, "fill-opacity": "0.12", stroke: "none" }),
    svg("path", { d, fill: "none", stroke: color, "stroke-width": "1.6", "vector-effect": "non-scaling-stroke" }),
  );
  return el;
}

/** A half-circle gauge for a percentage. */
export function gauge(percent, label, detail = "") {
  const p = percent === null || percent === undefined ? null : Math.max(0, Math.min(100, percent));
  const color = p === null ? "#c3cad4" : p >= 90 ? "#d64545" : p >= 75 ? "#d98a00" : "#1e9e6a";
  const r = 36, cx = 48, cy = 48;
  const arc = (frac) => {
    const a = Math.PI * (1 - frac);
    return `M${cx - r},${cy} A${r},${r} 0 0 1 ${(cx + r * Math.cos(a)).toFixed(2)},${(cy - r * Math.sin(a)).toFixed(2)}`;
  };
  const el = svg("svg", { viewBox: "0 0 96 60", role: "img", "aria-label": `${label} ${p === null ? "unknown" : p.toFixed(0) + "%"}` },
    svg("path", { d: arc(1), fill: "none", stroke: "#e6eaf0", "stroke-width": "9" }),
    p === null || p <= 0 ? null : svg("path", { d: arc(p / 100), fill: "none", stroke: color, "stroke-width": "9" }),
    svg("text", { x: "48", y: "47", "text-anchor": "middle", "font-size": "15", "font-weight": "650", fill: "#1b2430" },
      p === null ? "—" : `${p.toFixed(0)}%`),
  );
  return h("div", { class: "gauge", title: detail }, el, h("div", {}, label));
}
