// Building the page without innerHTML: every text from the API goes in as a text node.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElementNS(
    tag === "svg" || attrs.svg ? "http://www.w3.org/2000/svg" : "http://www.w3.org/1999/xhtml",
    tag,
  );
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false || k === "svg") continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.setAttribute("class", v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  return h(tag, { ...attrs, svg: true }, ...children);
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
  return target;
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading" }, text);
}

export function errorBox(err, what = "") {
  return h("div", { class: "error-box", role: "alert" }, what ? `${what}: ` : "", err?.message || String(err));
}

export function toast(message, bad = false) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.className = bad ? "toast bad" : "toast";
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), bad ? 6000 : 3000);
}

// -- numbers ---------------------------------------------------------------------------------
const dash = "—";

export function fmtNum(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return dash;
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (a >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString("en");
  return v.toFixed(digits);
}

export function fmtMs(v) {
  if (v === null || v === undefined) return dash;
  if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 1 : 2) + " s";
  if (v >= 100) return Math.round(v) + " ms";
  return v.toFixed(1) + " ms";
}

export function fmtPct(v, digits = 1) {
  if (v === null || v === undefined) return dash;
  return (v * 100).toFixed(digits) + "%";
}

export function fmtRate(v) {
  if (v === null || v === undefined) return dash;
  return fmtNum(v, v < 10 ? 2 : 1) + "/s";
}

export function fmtUsd(v) {
  if (v === null || v === undefined) return dash;
  return "$" + (v >= 100 ? v.toFixed(0) : v.toFixed(v >= 1 ? 2 : 4));
}

export function fmtBytes(v) {
  if (v === null || v === undefined) return dash;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(i ? 1 : 0) + " " + units[i];
}

export function fmtTime(ts) {
  if (!ts) return dash;
  return new Date(ts * 1000).toLocaleString([], { dateStyle: "short", timeStyle: "medium" });
}

export function fmtAgo(ts) {
  if (!ts) return "never";
  const s = Math.max(0, Date.now() / 1000 - ts);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}
