// Every chart's data and every table can be saved as CSV or JSON, as shown.

import { h } from "./dom.js";

function csvCell(v) {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns, rows) {
  return [columns.map(csvCell).join(","), ...rows.map((r) => r.map(csvCell).join(","))].join("\r\n") + "\r\n";
}

export function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Buttons exporting ``get()`` = {columns, rows, json} as ``name``.csv / .json. */
export function exportButtons(name, get) {
  const safe = name.replace(/[^A-Za-z0-9_.-]+/g, "_");
  return h("span", { class: "exports" },
    h("button", { type: "button", title: "Download as CSV", "data-export": "csv", onclick: () => {
      const { columns, rows } = get();
      download(`${safe}.csv`, toCsv(columns, rows), "text/csv");
    } }, "CSV"),
    h("button", { type: "button", title: "Download as JSON", "data-export": "json", onclick: () => {
      const { columns, rows, json } = get();
      const data = json ?? rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
      download(`${safe}.json`, JSON.stringify(data, null, 2), "application/json");
    } }, "JSON"),
  );
}

/** Columns and rows of a /series answer: one row per timestamp, a column per group and metric. */
export function seriesTable(answer, metrics) {
  const columns = ["timestamp", "time"];
  const cols = [];
  for (const g of answer.series) {
    const label = Object.entries(g.labels).map(([k, v]) => `${k}=${v}`).join(",");
    for (const m of metrics) {
      columns.push(label ? `${m}{${label}}` : m);
      cols.push(g.values[m]);
    }
  }
  const rows = answer.timestamps.map((ts, i) => [ts, new Date(ts * 1000).toISOString(), ...cols.map((c) => c[i])]);
  return { columns, rows, json: answer };
}
