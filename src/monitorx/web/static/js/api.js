// The dashboard reads and writes through the same public API as the SDK and scripts do:
// the session cookie authorises it, and every change echoes the CSRF token in a header.

export class ApiError extends Error {
  constructor(status, message, errors = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

export const session = { me: null, csrf: null };

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)mx_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : session.csrf;
}

export async function api(path, { method = "GET", body, params, signal } = {}) {
  let url = path.startsWith("/") ? path : `/api/v1/${path}`;
  if (params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === "") continue;
      for (const one of Array.isArray(v) ? v : [v]) q.append(k, one);
    }
    const s = q.toString();
    if (s) url += (url.includes("?") ? "&" : "?") + s;
  }
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") {
    const token = csrfToken();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let res;
  try {
    res = await fetch(url, {
      method, headers, signal, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "the server cannot be reached; is MonitorX running?");
  }
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  if (!res.ok) {
    const err = new ApiError(res.status, data?.message || `${res.status} ${res.statusText}`, data?.errors || []);
    if (res.status === 401 && !path.includes("session")) window.dispatchEvent(new CustomEvent("mx:unauthorized"));
    throw err;
  }
  return data;
}

// Whether an API route exists (routes that other parts of MonitorX add over time). A probe, not
// the OpenAPI document: that is ~200 kB, more than the whole overview page.
const probes = new Map();
export function hasRoute(probePath) {
  if (!probes.has(probePath)) {
    probes.set(probePath, api(probePath).then(() => true, (err) => !(err.status === 404 && err.message === "Not Found") && err.status !== 405));
  }
  return probes.get(probePath);
}

export function can(scope) {
  const scopes = session.me?.scopes || [];
  return scopes.includes("admin") || scopes.includes(scope);
}
