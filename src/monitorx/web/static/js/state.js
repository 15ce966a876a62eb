// The time range and auto-refresh every page shares, kept in the URL so a link shows the same view.

export const RANGES = [
  ["15m", "Last 15 minutes", 900], ["1h", "Last hour", 3600], ["3h", "Last 3 hours", 10800],
  ["6h", "Last 6 hours", 21600], ["12h", "Last 12 hours", 43200], ["24h", "Last 24 hours", 86400],
  ["2d", "Last 2 days", 172800], ["7d", "Last 7 days", 604800], ["30d", "Last 30 days", 2592000],
];
export const REFRESH = [[0, "Refresh off"], [5, "Every 5 s"], [10, "Every 10 s"], [30, "Every 30 s"],
  [60, "Every 1 min"], [120, "Every 2 min"]];
const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

export const state = { range: "1h", from: null, to: null, refresh: 0 };
const listeners = new Set();

export function readUrl() {
  const q = new URLSearchParams(location.search);
  const from = Number(q.get("from")), to = Number(q.get("to"));
  if (from && to && to > from) Object.assign(state, { range: "custom", from, to });
  else Object.assign(state, { range: RANGES.some((r) => r[0] === q.get("range")) ? q.get("range") : "1h", from: null, to: null });
  const r = Number(q.get("refresh") ?? localStorage.getItem("mx.refresh") ?? 0);
  state.refresh = REFRESH.some((x) => x[0] === r) ? r : 0;
}

export function urlQuery() {
  const q = new URLSearchParams();
  if (state.range === "custom") { q.set("from", Math.floor(state.from)); q.set("to", Math.ceil(state.to)); }
  else if (state.range !== "1h") q.set("range", state.range);
  if (state.refresh) q.set("refresh", state.refresh);
  const s = q.toString();
  return s ? "?" + s : "";
}

/** Put the shared state into the current URL, keeping the page's own parameters (tab, filters). */
function writeUrl() {
  const q = new URLSearchParams(location.search);
  for (const k of ["range", "from", "to", "refresh"]) q.delete(k);
  for (const [k, v] of new URLSearchParams(urlQuery())) q.set(k, v);
  const s = q.toString();
  history.replaceState(history.state, "", location.pathname + (s ? "?" + s : ""));
}

export function setRange(range, from = null, to = null) {
  Object.assign(state, { range, from, to });
  writeUrl();
  emit("range");
}

export function setRefresh(seconds) {
  state.refresh = seconds;
  localStorage.setItem("mx.refresh", String(seconds));
  writeUrl();
  emit("refresh");
}

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function emit(why) {
  for (const fn of [...listeners]) fn(why);
}

/** The window [start, end] in epoch seconds, evaluated now for relative ranges. */
export function timeWindow() {
  if (state.range === "custom") return { start: state.from, end: state.to };
  const span = RANGES.find((r) => r[0] === state.range)[2];
  const end = Date.now() / 1000;
  return { start: end - span, end };
}

/** A step (a whole number of minutes) giving at most ``maxPoints`` points over the window. */
export function stepFor(start, end, maxPoints = 240) {
  const want = (end - start) / maxPoints;
  return STEPS.find((s) => s >= want) || Math.ceil(want / 86400) * 86400;
}

export function rangeLabel() {
  if (state.range === "custom") {
    const f = (t) => new Date(t * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
    return `${f(state.from)} – ${f(state.to)}`;
  }
  return RANGES.find((r) => r[0] === state.range)[1].toLowerCase();
}
