import { api, can, hasRoute } from "../api.js";
import { h, mount, errorBox, loading, toast, fmtTime, fmtAgo, fmtNum } from "../dom.js";
import { exportButtons } from "../export.js";
import { onChange } from "../state.js";
import { alertSummary } from "../features.js";
import { navigate } from "../app.js";

const TABS = [["alerts", "Alerts"], ["rules", "Rules"], ["channels", "Channels"], ["silences", "Silences"]];
const OPS = [">", ">=", "<", "<=", "==", "!="];
const METRICS = ["latency_p95", "latency_p99", "latency_p50", "error_rate", "throughput", "count", "error_count", "latency_mean", "cost_usd", "input_tokens", "output_tokens", "ttft_p95"];
const HOST_METRICS = ["cpu_percent", "memory_percent", "disk_percent", "gpu_utilization_percent", "gpu_memory_percent", "gpu_temperature_c", "gpu_power_w"];
const DURATIONS = [[1800, "30 minutes"], [3600, "1 hour"], [7200, "2 hours"], [14400, "4 hours"], [86400, "1 day"], [604800, "1 week"]];

// -- small form helpers: every input has a name matching the API field, so a 422's loc finds it --
function field(label, input, hint = "") {
  return h("div", { class: "form-field" }, h("label", { for: input.id }, label), input, hint ? h("div", { class: "hint" }, hint) : null, h("div", { class: "field-error", "data-error-for": input.name }));
}
const input = (name, attrs = {}) => h("input", { type: "text", id: `f-${name}`, name, ...attrs });
const select = (name, options, value) => h("select", { id: `f-${name}`, name }, options.map((o) => {
  const [v, t] = Array.isArray(o) ? o : [o, o];
  return h("option", { value: v, selected: v === value }, t);
}));

function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((e) => (e.textContent = ""));
  form.querySelector(".form-error").textContent = "";
}

/** Put each 422 message beside the field its loc names; the rest above the button. */
function showErrors(form, err) {
  let placed = false;
  for (const e of err.errors || []) {
    const loc = (e.loc || []).filter((p) => typeof p === "string" && p !== "body");
    for (let i = loc.length - 1; i >= 0; i--) {
      const slot = form.querySelector(`[data-error-for="${CSS.escape(loc[i])}"]`);
      if (slot) { slot.textContent = e.msg; placed = true; break; }
    }
  }
  form.querySelector(".form-error").textContent = placed ? "Fix the fields marked above." : err.message;
}

function parseMatchers(text) {
  // "alertname=High latency, model!=fraud, severity=~crit.*"
  return text.split(",").map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = s.match(/^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*)$/);
    if (!m) throw new Error(`"${s}" is not a matcher: write name=value, name!=value, name=~regex or name!~regex`);
    return { name: m[1], op: m[2], value: m[3].trim() };
  });
}

const matcherText = (ms) => (ms || []).map((m) => `${m.name}${m.op}${m.value}`).join(", ");

export async function render(app) {
  if (!(await hasRoute("alerts?limit=1"))) {
    return mount(app, h("div", { class: "empty" }, h("h1", {}, "Alerts"), h("p", {}, "This server has no alerting API yet.")));
  }
  const q = new URLSearchParams(location.search);
  const tab = TABS.some((t) => t[0] === q.get("tab")) ? q.get("tab") : "alerts";
  const modelFilter = q.get("model") || "";
  const body = h("div", { id: `tab-${tab}` }, loading());
  const tabUrl = (t) => `/alerts?tab=${t}${modelFilter ? `&model=${encodeURIComponent(modelFilter)}` : ""}`;
  mount(app,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Alerts"),
      h("div", { class: "sub" }, modelFilter ? `Model ${modelFilter} · ` : "", "Rules decide when an alert fires; channels say who hears about it; silences keep it quiet for a while."))),
    h("nav", { class: "tabs" }, TABS.map(([t, label]) => h("a", { href: tabUrl(t), "data-link": true, class: t === tab ? "active" : "" }, label))),
    body);
  const pages = { alerts: alertsTab, rules: rulesTab, channels: channelsTab, silences: silencesTab };
  return pages[tab](body, { modelFilter, tabUrl });
}

// -- alerts -------------------------------------------------------------------------------------
async function alertsTab(box, { modelFilter, tabUrl }) {
  const states = { firing: true, pending: true, resolved: true };
  let alerts = [];
  const table = h("div", { class: "table-wrap", id: "alerts-table" }, loading());
  const editor = can("admin") || can("edit");
  const chips = h("div", { class: "toolbar" }, h("strong", {}, "Show"),
    Object.keys(states).map((s) => h("label", { class: "inline" },
      h("input", { type: "checkbox", checked: true, "data-state": s, onchange: (e) => { states[s] = e.target.checked; load(); } }), s)),
    h("span", { style: "flex:1" }),
    exportButtons("alerts", () => ({ columns: ["id", "state", "alert", "model", "severity", "value", "active_at", "fired_at", "resolved_at", "acknowledged_by"],
      rows: alerts.map((a) => [a.id, a.state, alertSummary(a), a.labels.model || "", a.labels.severity || "", a.value, a.active_at, a.fired_at, a.resolved_at, a.acknowledged_by]), json: alerts })));

  async function act(a, what) {
    try {
      await api(`alerts/${a.id}/${what}`, { method: "POST", body: { comment: "" } });
      toast(what === "resolve" ? "Resolved" : "Acknowledged");
      await load();
    } catch (err) { toast(err.message, true); }
  }

  async function history(a, row) {
    const next = row.nextElementSibling;
    if (next?.dataset.history) { next.remove(); return; }
    const cell = h("td", { colspan: 8 }, loading());
    row.after(h("tr", { "data-history": a.id }, cell));
    try {
      const d = await api(`alerts/${a.id}`);
      mount(cell, h("table", {}, h("thead", {}, h("tr", {}, ["When", "From", "To", "Value", "By", "Note"].map((c) => h("th", {}, c)))),
        h("tbody", {}, d.history.map((x) => h("tr", {}, h("td", {}, fmtTime(x.at)), h("td", {}, x.from_state), h("td", {}, x.to_state),
          h("td", { class: "num" }, fmtNum(x.value)), h("td", {}, x.actor), h("td", {}, x.note))))));
    } catch (err) { mount(cell, errorBox(err)); }
  }

  async function load() {
    const wanted = Object.keys(states).filter((s) => states[s]);
    try {
      alerts = wanted.length ? (await api("alerts", { params: { state: wanted, limit: 500 } })).alerts : [];
      if (modelFilter) alerts = alerts.filter((a) => a.labels.model === modelFilter);
      const order = { firing: 0, pending: 1, resolved: 2, inactive: 3 };
      alerts.sort((a, b) => order[a.state] - order[b.state] || (b.active_at - a.active_at));
      if (!alerts.length) {
        return mount(table, h("div", { class: "empty" }, h("strong", {}, "Nothing to show. "),
          "Alerts appear when a rule's condition holds. ", h("a", { href: tabUrl("rules"), "data-link": true }, "See the rules"), "."));
      }
      mount(table, h("table", {},
        h("thead", {}, h("tr", {}, ["State", "Alert", "Model", "Severity", "Value", "Since", "", ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, alerts.map((a) => {
          const live = a.state === "firing" || a.state === "pending";
          const row = h("tr", { "data-alert": a.id },
            h("td", {}, h("span", { class: `pill ${a.state}` }, a.state), a.silenced_by.length ? h("span", { class: "pill muted", title: "silenced" }, " silenced") : null),
            h("td", {}, alertSummary(a), a.acknowledged_at ? h("div", { class: "hint" }, `acknowledged by ${a.acknowledged_by || "?"} ${fmtAgo(a.acknowledged_at)}`) : null),
            h("td", {}, a.labels.model ? h("a", { href: `/models/${encodeURIComponent(a.labels.model)}`, "data-link": true }, a.labels.model) : "—"),
            h("td", {}, a.labels.severity || "—"),
            h("td", { class: "num" }, fmtNum(a.value)),
            h("td", {}, fmtAgo(a.state === "resolved" ? a.resolved_at : a.fired_at || a.active_at)),
            h("td", { class: "row-actions" },
              editor && live && !a.acknowledged_at ? h("button", { type: "button", class: "small ghost", "data-action": "acknowledge", onclick: () => act(a, "acknowledge") }, "Acknowledge") : null,
              editor && live ? h("button", { type: "button", class: "small ghost", "data-action": "resolve", onclick: () => act(a, "resolve") }, "Resolve") : null,
              editor ? h("button", { type: "button", class: "small ghost", "data-action": "silence", onclick: () => {
                const labels = { alertname: a.labels.alertname, ...(a.labels.model ? { model: a.labels.model } : {}) };
                navigate(`${tabUrl("silences")}&matchers=${encodeURIComponent(matcherText(Object.entries(labels).map(([name, value]) => ({ name, op: "=", value }))))}`);
              } }, "Silence") : null),
            h("td", {}, h("button", { type: "button", class: "small link", onclick: (e) => history(a, e.target.closest("tr")) }, "history")));
          return row;
        }))));
    } catch (err) { mount(table, errorBox(err, "Alerts could not be loaded")); }
  }

  mount(box, chips, table);
  const off = onChange((why) => why === "tick" && load());
  const timer = setInterval(load, 15000); // alerts change on the server's own clock
  await load();
  return { cleanup: () => { off(); clearInterval(timer); } };
}

// -- rules --------------------------------------------------------------------------------------
function conditionFields(type) {
  switch (type) {
    case "metric": return [
      field("Metric", select("metric", METRICS, "latency_p95")), field("Comparison", select("op", OPS, ">")),
      field("Threshold", input("threshold", { type: "number", step: "any", value: "500" }), "ms for latencies; a fraction (0.05) for error_rate"),
      field("Over the last (minutes)", input("window_s", { type: "number", min: 1, value: "5" }))];
    case "host": return [
      field("Host metric", select("metric", HOST_METRICS, "cpu_percent")), field("Comparison", select("op", OPS, ">")),
      field("Threshold", input("threshold", { type: "number", step: "any", value: "90" })),
      field("Over the last (minutes)", input("window_s", { type: "number", min: 1, value: "5" }))];
    case "drift": return [
      field("Feature (empty: the whole dataset)", input("feature")),
      field("Within the last (minutes)", input("window_s", { type: "number", min: 1, value: "1440" }))];
    case "data_quality": return [
      field("Check", select("check", ["missing_share", "new_categories", "flagged"], "missing_share")),
      field("Feature (empty: the whole dataset)", input("feature")), field("Comparison", select("op", OPS, ">")),
      field("Threshold", input("threshold", { type: "number", step: "any", value: "0.1" })),
      field("Within the last (minutes)", input("window_s", { type: "number", min: 1, value: "1440" }))];
    case "quality": return [
      field("Quality metric", input("metric", { value: "accuracy" }), "accuracy, precision, recall, f1, roc_auc, mae, rmse, mape"),
      field("Comparison", select("op", OPS, "<")), field("Threshold", input("threshold", { type: "number", step: "any", value: "0.9" })),
      field("Within the last (minutes)", input("window_s", { type: "number", min: 1, value: "1440" }))];
    default: return [
      field("Indicator", select("sli", ["availability", "latency"], "availability")),
      field("Objective", input("objective", { type: "number", step: "any", value: "0.995" }), "e.g. 0.995 = 99.5% good requests"),
      field("Latency threshold (ms, latency SLO)", input("latency_threshold_ms", { type: "number", step: "any" })),
      field("Period (days)", input("period_days", { type: "number", min: 1, value: "30" }))];
  }
}

function readCondition(form, type) {
  const v = (n) => form.querySelector(`[name="${n}"]`)?.value ?? "";
  const optional = new Set(["latency_threshold_ms", "window_s", "period_days"]);
  // An empty required number is NaN, so the form can say "Enter a number." before asking the server.
  const num = (n) => (v(n) === "" ? (optional.has(n) ? undefined : Number.NaN) : Number(v(n)));
  const c = { type };
  if (type === "metric" || type === "host" || type === "quality") Object.assign(c, { metric: v("metric"), op: v("op"), threshold: num("threshold") });
  if (type === "drift" || type === "data_quality") { if (v("feature")) c.feature = v("feature"); }
  if (type === "data_quality") Object.assign(c, { check: v("check"), op: v("op"), threshold: num("threshold") });
  if (type === "slo") Object.assign(c, { sli: v("sli"), objective: num("objective"), period_days: num("period_days"), latency_threshold_ms: num("latency_threshold_ms") ?? null });
  else c.window_s = Math.round((num("window_s") ?? 5) * 60);
  return c;
}

function describe(c) {
  if (c.type === "metric" || c.type === "host" || c.type === "quality") return `${c.metric} ${c.op} ${c.threshold_from ? c.threshold_from : c.threshold} over ${Math.round((c.window_s || 0) / 60)} min`;
  if (c.type === "drift") return `drift of ${c.feature || "the dataset"}`;
  if (c.type === "data_quality") return `${c.check} of ${c.feature || "the dataset"} ${c.op} ${c.threshold}`;
  if (c.type === "slo") return `${c.sli} SLO ${c.objective} over ${c.period_days} d`;
  return c.type;
}

async function rulesTab(box, { modelFilter }) {
  const editor = can("admin") || can("edit");
  const models = (await api("models")).models.map((m) => m.name);
  const table = h("div", { class: "table-wrap", id: "rules-table" }, loading());
  let rules = [];

  const type = select("type", [["metric", "Model metric"], ["host", "Host resource"], ["drift", "Drift"], ["data_quality", "Data quality"], ["quality", "Model quality"], ["slo", "SLO burn rate"]], "metric");
  const condBox = h("div", { class: "form-grid", id: "condition-fields" }, conditionFields("metric"));
  type.addEventListener("change", () => mount(condBox, conditionFields(type.value)));
  const form = h("form", { id: "rule-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("Name", input("name", { placeholder: "e.g. fraud p95 over 200 ms" })),
      field("Model", select("model", [["", "every model"], ...models.map((m) => [m, m])], modelFilter)),
      field("Condition", type),
      field("Severity", select("severity", ["critical", "error", "warning", "info"], "warning")),
      field("Must hold for (minutes)", input("for_s", { type: "number", min: 0, value: "5" }))),
    condBox,
    h("div", { class: "field-error form-error", role: "alert" }),
    h("button", { type: "submit" }, "Create rule"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const name = form.querySelector('[name="name"]').value.trim();
    if (!name) { form.querySelector('[data-error-for="name"]').textContent = "Give the rule a name."; return; }
    const body = {
      name, model: form.querySelector('[name="model"]').value || null,
      condition: readCondition(form, type.value),
      for_s: Math.round(Number(form.querySelector('[name="for_s"]').value || 0) * 60),
      severity: form.querySelector('[name="severity"]').value,
    };
    for (const [k, v] of Object.entries(body.condition)) {
      if (typeof v === "number" && Number.isNaN(v)) { form.querySelector(`[data-error-for="${k}"]`).textContent = "Enter a number."; return; }
    }
    try {
      await api("alert-rules", { method: "POST", body });
      toast(`Rule "${name}" created`);
      form.reset();
      mount(condBox, conditionFields(type.value));
      await load();
    } catch (err) { showErrors(form, err); }
  });

  async function patch(r, body, what) {
    try { await api(`alert-rules/${r.id}`, { method: "PATCH", body }); toast(what); await load(); } catch (err) { toast(err.message, true); }
  }

  async function load() {
    try {
      rules = (await api("alert-rules", { params: { model: modelFilter || undefined } })).rules;
      mount(table, h("table", {},
        h("thead", {}, h("tr", {}, ["Rule", "Model", "Condition", "For", "Severity", "Origin", "Enabled", ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, rules.map((r) => h("tr", { "data-rule": r.name },
          h("td", {}, r.name, r.last_error ? h("div", { class: "field-error" }, r.last_error) : null),
          h("td", {}, r.model || "every model"), h("td", {}, describe(r.condition)),
          h("td", {}, `${Math.round(r.for_s / 60)} min`), h("td", {}, r.severity), h("td", {}, r.origin),
          h("td", {}, h("input", { type: "checkbox", checked: r.enabled, disabled: !editor, "aria-label": `Enable ${r.name}`,
            onchange: (e) => patch(r, { enabled: e.target.checked }, e.target.checked ? "Enabled" : "Disabled") })),
          h("td", {}, editor ? h("button", { type: "button", class: "small danger", onclick: async () => {
            if (!confirm(`Delete the rule "${r.name}" and its alerts?`)) return;
            try { await api(`alert-rules/${r.id}`, { method: "DELETE" }); await load(); } catch (err) { toast(err.message, true); }
          } }, "Delete") : null))))));
    } catch (err) { mount(table, errorBox(err, "Rules could not be loaded")); }
  }
  mount(box,
    editor ? h("section", { class: "panel" }, h("h2", {}, "New rule"), form) : h("p", { class: "hint" }, "Editors and admins create rules."),
    h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Rules"),
      exportButtons("alert-rules", () => ({ columns: ["id", "name", "model", "condition", "for_s", "severity", "enabled"], rows: rules.map((r) => [r.id, r.name, r.model, describe(r.condition), r.for_s, r.severity, r.enabled]), json: rules }))), table));
  await load();
}

// -- channels -----------------------------------------------------------------------------------
function channelFields(kind) {
  switch (kind) {
    case "slack": return [field("Incoming-webhook URL", input("url", { placeholder: "https://hooks.slack.com/services/…" }), "It is a secret: stored encrypted, never shown again")];
    case "webhook": return [field("URL", input("url", { placeholder: "https://example.com/monitorx" })), field("Most alerts per message (0: all)", input("max_alerts", { type: "number", min: 0, value: "0" }))];
    case "pagerduty": return [field("Routing key", input("routing_key", { type: "password", autocomplete: "off" }), "The Events v2 integration key")];
    default: return [
      field("SMTP host", input("host", { placeholder: "smtp.example.com" })), field("Port", input("port", { type: "number", value: "587" })),
      field("Security", select("security", ["starttls", "tls", "none"], "starttls")),
      field("Username", input("username", { autocomplete: "off" })), field("Password", input("password", { type: "password", autocomplete: "new-password" })),
      field("From", input("from_addr", { placeholder: "monitorx@example.com" })), field("To (comma-separated)", input("to", { placeholder: "oncall@example.com" }))];
  }
}

function readChannel(form, kind) {
  const v = (n) => form.querySelector(`[name="${n}"]`)?.value.trim() ?? "";
  if (kind === "slack") return { kind, url: v("url") };
  if (kind === "webhook") return { kind, url: v("url"), max_alerts: Number(v("max_alerts") || 0) };
  if (kind === "pagerduty") return { kind, routing_key: v("routing_key") };
  return { kind, host: v("host"), port: Number(v("port") || 587), security: v("security"), username: v("username") || null,
    password: v("password") || null, from_addr: v("from_addr"), to: v("to").split(",").map((s) => s.trim()).filter(Boolean) };
}

async function channelsTab(box) {
  const editor = can("admin") || can("edit");
  const table = h("div", { class: "table-wrap", id: "channels-table" }, loading());
  const secretBox = h("div", { id: "channel-secret" });
  const kind = select("kind", [["slack", "Slack"], ["webhook", "Webhook"], ["email", "E-mail"], ["pagerduty", "PagerDuty"]], "slack");
  const fields = h("div", { class: "form-grid", id: "channel-fields" }, channelFields("slack"));
  kind.addEventListener("change", () => mount(fields, channelFields(kind.value)));
  const form = h("form", { id: "channel-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("Name", input("name", { placeholder: "e.g. on-call Slack" })), field("Kind", kind),
      field("Only alerts matching (optional)", input("matchers", { placeholder: "severity=critical, model=fraud" }), "name=value, name!=value, name=~regex"),
      field("Send resolved", h("input", { type: "checkbox", id: "f-send_resolved", name: "send_resolved", checked: true }))),
    fields,
    h("div", { class: "field-error form-error", role: "alert" }),
    h("button", { type: "submit" }, "Create channel"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const name = form.querySelector('[name="name"]').value.trim();
    if (!name) { form.querySelector('[data-error-for="name"]').textContent = "Give the channel a name."; return; }
    const config = readChannel(form, kind.value);
    if (config.url !== undefined && !/^https?:\/\/./.test(config.url)) { form.querySelector('[data-error-for="url"]').textContent = "Enter an http(s) URL."; return; }
    let matchers;
    try { matchers = parseMatchers(form.querySelector('[name="matchers"]').value); } catch (err) { form.querySelector('[data-error-for="matchers"]').textContent = err.message; return; }
    try {
      const c = await api("channels", { method: "POST", body: { name, config, matchers, send_resolved: form.querySelector('[name="send_resolved"]').checked } });
      mount(secretBox, c.signing_secret ? h("div", { class: "secret" }, h("strong", {}, "Webhook signing secret (shown once): "), h("code", {}, c.signing_secret)) : null);
      toast(`Channel "${name}" created`);
      form.reset();
      mount(fields, channelFields(kind.value));
      await load();
    } catch (err) { showErrors(form, err); }
  });

  async function test(c, cell) {
    mount(cell, loading("Sending…"));
    try {
      const { deliveries } = await api(`channels/${c.id}/test`, { method: "POST" });
      const d = deliveries[0];
      mount(cell, d ? h("span", { class: `pill ${d.status === "delivered" ? "ok" : "bad"}`, "data-test-status": d.status, title: d.error || d.response },
        `${d.status}${d.response_status ? " " + d.response_status : ""}`) : "sent");
      if (d?.error) cell.append(h("div", { class: "hint" }, d.error));
    } catch (err) { mount(cell, h("span", { class: "field-error" }, err.message)); }
  }

  async function load() {
    try {
      const { channels } = await api("channels");
      if (!channels.length) return mount(table, h("p", { class: "hint" }, "No channel yet: alerts fire, but nobody is told."));
      mount(table, h("table", {},
        h("thead", {}, h("tr", {}, ["Channel", "Kind", "Where", "Matchers", "Enabled", "", "Last test"].map((c) => h("th", {}, c)))),
        h("tbody", {}, channels.map((c) => {
          const result = h("td", { "data-test-result": c.id });
          return h("tr", { "data-channel": c.name },
            h("td", {}, c.name), h("td", {}, c.kind),
            h("td", {}, c.config.url || c.config.host || (c.config.to || []).join(", ") || (c.secrets_set.length ? `secret set: ${c.secrets_set.join(", ")}` : "—")),
            h("td", {}, matcherText(c.matchers) || "every alert"),
            h("td", {}, h("input", { type: "checkbox", checked: c.enabled, disabled: !editor, "aria-label": `Enable ${c.name}`, onchange: async (e) => {
              try { await api(`channels/${c.id}`, { method: "PATCH", body: { enabled: e.target.checked } }); } catch (err) { toast(err.message, true); }
            } })),
            h("td", { class: "row-actions" },
              editor ? h("button", { type: "button", class: "small ghost", "data-action": "test", onclick: () => test(c, result) }, "Send test") : null,
              editor ? h("button", { type: "button", class: "small danger", onclick: async () => {
                if (!confirm(`Delete the channel "${c.name}"?`)) return;
                try { await api(`channels/${c.id}`, { method: "DELETE" }); await load(); } catch (err) { toast(err.message, true); }
              } }, "Delete") : null),
            result);
        }))));
    } catch (err) { mount(table, errorBox(err, "Channels could not be loaded")); }
  }
  mount(box,
    editor ? h("section", { class: "panel" }, h("h2", {}, "New channel"), form, secretBox) : h("p", { class: "hint" }, "Editors and admins manage channels."),
    h("section", { class: "panel" }, h("h2", {}, "Channels"), table));
  await load();
}

// -- silences -----------------------------------------------------------------------------------
async function silencesTab(box) {
  const editor = can("admin") || can("edit");
  const q = new URLSearchParams(location.search);
  const table = h("div", { class: "table-wrap", id: "silences-table" }, loading());
  let silences = [];
  const form = h("form", { id: "silence-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("Alerts matching", input("matchers", { value: q.get("matchers") || "", placeholder: "alertname=…, model=fraud" }), "All must match: name=value, name!=value, name=~regex"),
      field("For", select("duration_s", DURATIONS.map(([s, t]) => [String(s), t]), "3600")),
      field("Why", input("comment", { placeholder: "e.g. deploying v3" }))),
    h("div", { class: "field-error form-error", role: "alert" }),
    h("button", { type: "submit" }, "Silence"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    let matchers;
    try { matchers = parseMatchers(form.querySelector('[name="matchers"]').value); } catch (err) { form.querySelector('[data-error-for="matchers"]').textContent = err.message; return; }
    if (!matchers.length) { form.querySelector('[data-error-for="matchers"]').textContent = "Say which alerts: at least one matcher."; return; }
    const comment = form.querySelector('[name="comment"]').value.trim();
    if (!comment) { form.querySelector('[data-error-for="comment"]').textContent = "Say why, for whoever wonders later."; return; }
    try {
      await api("silences", { method: "POST", body: { matchers, duration_s: Number(form.querySelector('[name="duration_s"]').value), comment } });
      toast("Silenced");
      form.reset();
      await load();
    } catch (err) { showErrors(form, err); }
  });

  async function load() {
    try {
      silences = (await api("silences")).silences;
      if (!silences.length) return mount(table, h("p", { class: "hint" }, "No silences."));
      mount(table, h("table", {},
        h("thead", {}, h("tr", {}, ["Status", "Matchers", "From", "Until", "Why", "By", ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, silences.map((s) => h("tr", { "data-silence": s.id },
          h("td", {}, h("span", { class: `pill ${s.status === "active" ? "warning" : "muted"}` }, s.status)),
          h("td", {}, h("code", {}, matcherText(s.matchers))), h("td", {}, fmtTime(s.starts_at)), h("td", {}, fmtTime(s.ends_at)),
          h("td", {}, s.comment), h("td", {}, s.created_by),
          h("td", {}, editor && s.status !== "expired" ? h("button", { type: "button", class: "small ghost", onclick: async () => {
            try { await api(`silences/${s.id}`, { method: "DELETE" }); toast("Silence expired"); await load(); } catch (err) { toast(err.message, true); }
          } }, "Expire") : null))))));
    } catch (err) { mount(table, errorBox(err, "Silences could not be loaded")); }
  }
  mount(box,
    editor ? h("section", { class: "panel" }, h("h2", {}, "New silence"), form) : h("p", { class: "hint" }, "Editors and admins create silences."),
    h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Silences"),
      exportButtons("silences", () => ({ columns: ["id", "status", "matchers", "starts_at", "ends_at", "comment", "created_by"], rows: silences.map((s) => [s.id, s.status, matcherText(s.matchers), s.starts_at, s.ends_at, s.comment, s.created_by]), json: silences }))), table));
  await load();
}
