// Data from parts of the API that arrive over time (alerting, drift): each reader checks the
// OpenAPI document first and answers "nothing" when the route is not there yet.

import { api, hasRoute } from "./api.js";

export function alertSummary(a) {
  const labels = a.labels || {};
  const ann = a.annotations || {};
  return ann.summary || ann.description || a.rule_name || labels.alertname || a.name || "alert";
}

/** Firing alerts as [{model, summary, alert}]. */
export async function firingAlerts() {
  if (!(await hasRoute("/api/v1/alerts"))) return [];
  const body = await api("alerts", { params: { state: "firing" } });
  const list = Array.isArray(body) ? body : body.alerts || body.items || [];
  return list
    .filter((a) => (a.state || a.status) === "firing")
    .map((a) => ({ model: a.model || a.labels?.model || null, summary: alertSummary(a), alert: a }));
}

/** Latest drift verdict per model name: {label, flagged}. */
export async function driftStatus(models) {
  if (!(await hasRoute("/api/v1/models/{model}/drift"))) return {};
  const out = {};
  await Promise.all(models.map(async (m) => {
    try {
      const d = await api(`models/${encodeURIComponent(m.name)}/drift`);
      const v = summariseDrift(d);
      if (v) out[m.name] = v;
    } catch { /* no reference yet, or no drift computed: nothing to show */ }
  }));
  return out;
}

export function summariseDrift(d) {
  const drift = d?.drift;
  if (!drift) return null;
  const n = drift.n_features ?? Object.keys(drift.features || {}).length;
  return { flagged: !!drift.drifted, label: n ? `${drift.n_drifted ?? 0}/${n}` : drift.drifted ? "drift" : "ok" };
}
