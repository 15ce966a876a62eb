// The dashboard's shell: who is signed in, the header's controls, and which page to draw.

import { api, session, can } from "./api.js";
import { h, mount, errorBox, loading, toast } from "./dom.js";
import { RANGES, REFRESH, state, readUrl, setRange, setRefresh, urlQuery, onChange, emit } from "./state.js";

const ROUTES = [
  [/^\/$/, "overview"],
  [/^\/login$/, "login"],
  [/^\/models\/([^/]+)$/, "model"],
  [/^\/models\/([^/]+)\/drift$/, "drift"],
  [/^\/alerts$/, "alerts"],
  [/^\/keys$/, "keys"],
  [/^\/users$/, "users"],
];
const app = document.getElementById("app");
let current = null; // { cleanup }
let countdownTimer = null;
let nextRefreshAt = 0;

export function navigate(path, { replace = false } = {}) {
  const url = path.includes("?") ? path : path + urlQuery();
  if (replace) history.replaceState({}, "", url);
  else history.pushState({}, "", url);
  render();
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest?.("a[data-link]");
  if (!a || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.button !== 0) return;
  ev.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", () => { readUrl(); syncControls(); render(); });
window.addEventListener("mx:unauthorized", () => {
  if (location.pathname !== "/login") navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
});

async function loadMe() {
  try {
    session.me = await api("session");
    session.csrf = session.me.csrf_token;
  } catch (err) {
    session.me = null;
    if (err.status && err.status !== 401) throw err;
  }
  return session.me;
}

function navLinks() {
  const links = [["/", "Overview"], ["/alerts", "Alerts"]];
  if (can("admin")) links.push(["/keys", "API keys"], ["/users", "Users"]);
  const path = location.pathname;
  return links.map(([href, text]) => h("a", {
    href, "data-link": true,
    class: (href === "/" ? path === "/" || path.startsWith("/models") : path.startsWith(href)) ? "active" : "",
  }, text));
}

function setupHeader() {
  const bar = document.getElementById("topbar");
  const signedIn = !!session.me && location.pathname !== "/login";
  bar.hidden = !signedIn;
  if (!signedIn) return;
  mount(document.getElementById("nav"), navLinks());
  const me = session.me;
  document.getElementById("user").textContent = me.username ? `${me.username} · ${me.role}` : me.auth ? "API key" : "no auth";
  document.getElementById("signout").hidden = !me.username;
  const proj = document.getElementById("project");
  proj.hidden = (me.projects || []).length < 2;
  mount(proj, (me.projects || []).map((p) => h("option", { value: p.name, selected: p.name === me.project }, `${p.name} (${p.role})`)));
}

function initControls() {
  const range = document.getElementById("range");
  mount(range, RANGES.map(([k, label]) => h("option", { value: k }, label)), h("option", { value: "custom" }, "Custom…"));
  const refresh = document.getElementById("refresh");
  mount(refresh, REFRESH.map(([k, label]) => h("option", { value: k }, label)));
  const custom = document.getElementById("custom-range");
  const from = document.getElementById("range-from"), to = document.getElementById("range-to");
  const local = (t) => { const d = new Date(t * 1000 - new Date().getTimezoneOffset() * 60000); return d.toISOString().slice(0, 16); };
  range.addEventListener("change", () => {
    if (range.value === "custom") {
      const now = Date.now() / 1000;
      from.value = local(state.from || now - 3600);
      to.value = local(state.to || now);
      custom.hidden = false;
    } else {
      custom.hidden = true;
      setRange(range.value);
    }
  });
  document.getElementById("range-apply").addEventListener("click", () => {
    const a = new Date(from.value).getTime() / 1000, b = new Date(to.value).getTime() / 1000;
    if (!(a < b)) return toast("The end of a custom range must be after its start", true);
    setRange("custom", a, b);
  });
  refresh.addEventListener("change", () => setRefresh(Number(refresh.value)));
  document.getElementById("project").addEventListener("change", async (ev) => {
    try {
      session.me = await api("session/project", { method: "PUT", body: { project: ev.target.value } });
      session.csrf = session.me.csrf_token;
      navigate("/");
    } catch (err) { toast(err.message, true); }
  });
  document.getElementById("signout").addEventListener("click", async () => {
    try { await api("session", { method: "DELETE" }); } catch { /* signed out anyway */ }
    session.me = null;
    navigate("/login", { replace: true });
  });
  onChange((why) => { syncControls(); if (why === "refresh") scheduleRefresh(); });
}

function syncControls() {
  document.getElementById("range").value = state.range;
  document.getElementById("custom-range").hidden = state.range !== "custom";
  document.getElementById("refresh").value = String(state.refresh);
}

// Auto-refresh with a visible countdown; each page redraws its data on the "tick" event.
function scheduleRefresh() {
  clearInterval(countdownTimer);
  const el = document.getElementById("countdown");
  if (!state.refresh) { el.textContent = ""; return; }
  nextRefreshAt = Date.now() + state.refresh * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((nextRefreshAt - Date.now()) / 1000));
    el.textContent = `${left}s`;
    if (left <= 0) {
      nextRefreshAt = Date.now() + state.refresh * 1000;
      if (!document.hidden) emit("tick");
    }
  };
  tick();
  countdownTimer = setInterval(tick, 250);
}

const loaders = {
  overview: () => import("./pages/overview.js"),
  login: () => import("./pages/login.js"),
  model: () => import("./pages/model.js"),
  drift: () => import("./pages/drift.js"),
  alerts: () => import("./pages/alerts.js"),
  keys: () => import("./pages/keys.js"),
  users: () => import("./pages/users.js"),
};

export async function render() {
  if (current?.cleanup) current.cleanup();
  current = null;
  const path = location.pathname;
  const match = ROUTES.map(([re, name]) => [path.match(re), name]).find(([m]) => m);
  if (!match) return mount(app, h("div", { class: "empty" }, h("h2", {}, "No such page"), h("a", { href: "/", "data-link": true }, "Go to the overview")));
  const [m, name] = match;
  if (name !== "login" && !session.me) {
    return navigate(`/login?next=${encodeURIComponent(path + location.search)}`, { replace: true });
  }
  if (name === "login" && session.me?.username === null && session.me?.auth === false) return navigate("/", { replace: true });
  setupHeader();
  mount(app, loading());
  try {
    const page = await loaders[name]();
    current = (await page.render(app, ...m.slice(1).map(decodeURIComponent))) || null;
  } catch (err) {
    mount(app, errorBox(err, "This page could not be drawn"));
  }
  document.title = `${document.querySelector("main h1")?.textContent || "MonitorX"} · MonitorX`;
}

export async function signedIn(me) {
  session.me = me;
  session.csrf = me.csrf_token;
}

async function boot() {
  readUrl();
  initControls();
  syncControls();
  scheduleRefresh();
  // Fetch this page's module while asking who is signed in: one round trip less before data.
  const route = ROUTES.find(([re]) => re.test(location.pathname));
  if (route) loaders[route[1]]().catch(() => {});
  try {
    await loadMe();
  } catch (err) {
    mount(app, errorBox(err, "MonitorX did not answer"));
    return;
  }
  render();
}

boot();
