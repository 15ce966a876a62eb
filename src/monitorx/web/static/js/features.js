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
  if (!(await hasRoute("alerts?limit=1"))) return [];
  const body = await api("alerts", { params: { state: "firing" } });
  return (body.alerts || [])
    .filter((a) => a.state === "firing")
    .map((a) => ({ model: a.labels?.model || null, summary: alertSummary(a), alert: a }));
}

/** Drift per model name, {label, flagged}: the latest scheduled evaluation of the last day; for a
 * few models without one yet, the drift of the last hour computed now. */
export async function driftStatus(models) {
  const out = {};
  if (!models.length || !(await hasRoute(`models/${encodeURIComponent(models[0].name)}/results?kind=drift`))) return out;
  const now = Date.now() / 1000;
  const missing = [];
  await Promise.all(models.map(async (m) => {
    try {
      const { results } = await api(`models/${encodeURIComponent(m.name)}/results`, { params: { kind: "drift", start: now - 86400, end: now } });
      const last = results[results.length - 1];
      if (last) out[m.name] = { flagged: last.flagged, label: last.flagged ? `drift ${Math.round((last.value || 0) * 100)}%` : "ok" };
      else missing.push(m);
    } catch { /* no monitoring for this model */ }
  }));
  if (missing.length <= 8) {
    await Promise.all(missing.map(async (m) => {
      try {
        const v = summariseDrift(await api(`models/${encodeURIComponent(m.name)}/drift`));
        if (v) out[m.name] = v;
      } catch { /* no reference yet: nothing to show */ }
    }));
  }
  return out;
}

export function summariseDrift(d) {
  const drift = d?.drift;
  if (!drift) return null;
  const n = drift.n_features ?? Object.keys(drift.features || {}).length;
  return { flagged: !!drift.drifted, label: n ? `${drift.n_drifted ?? 0}/${n}` : drift.drifted ? "drift" : "ok" };
}
