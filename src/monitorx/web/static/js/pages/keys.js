import { api, can } from "../api.js";
import { h, mount, errorBox, loading, toast, fmtTime, fmtAgo } from "../dom.js";
import { exportButtons } from "../export.js";

function keyState(k) {
  if (k.revoked_at) return ["revoked", "muted"];
  if (k.expires_at && k.expires_at * 1000 < Date.now()) return ["expired", "muted"];
  return ["active", "ok"];
}

export async function render(app) {
  if (!can("admin")) {
    return mount(app, h("div", { class: "empty" }, h("h2", {}, "API keys"), h("p", {}, "Only a project admin manages API keys.")));
  }
  let keys = [];
  const list = h("div", { class: "table-wrap", id: "keys-table" }, loading());
  const created = h("div", { id: "key-created" });
  const error = h("div", { class: "field-error", role: "alert" });
  const name = h("input", { type: "text", id: "key-name", placeholder: "e.g. fraud service (prod)", maxlength: 200 });
  const scopes = ["ingest", "read", "admin"].map((s) => h("input", { type: "checkbox", value: s, checked: s === "ingest", "data-scope": s }));
  const expires = h("input", { type: "number", id: "key-expires", min: 1, max: 3650, placeholder: "never", style: "width:7em" });
  const form = h("form", { class: "inline-form", id: "key-form", novalidate: true },
    h("div", {}, h("label", { for: "key-name" }, "Name"), name),
    h("div", {}, h("label", {}, "Scopes"), h("div", { class: "checks" }, scopes.map((c) => h("label", { class: "inline" }, c, c.value)))),
    h("div", {}, h("label", { for: "key-expires" }, "Expires after (days)"), expires),
    h("div", {}, h("button", { type: "submit" }, "Create key")));

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    const chosen = scopes.filter((c) => c.checked).map((c) => c.value);
    if (!name.value.trim()) { error.textContent = "Name the key after what will use it."; name.focus(); return; }
    if (!chosen.length) { error.textContent = "Pick at least one scope."; return; }
    const days = Number(expires.value);
    if (expires.value && !(days > 0)) { error.textContent = "Expiry must be a positive number of days, or empty."; return; }
    try {
      const k = await api("keys", { method: "POST", body: { name: name.value.trim(), scopes: chosen, expires_at: days ? Date.now() / 1000 + days * 86400 : null } });
      mount(created, h("div", { class: "secret", role: "status" },
        h("strong", {}, "Copy this key now; it is not shown again:"), h("code", { id: "new-token" }, k.token),
        h("button", { type: "button", class: "small", onclick: (e) => navigator.clipboard?.writeText(k.token).then(() => (e.target.textContent = "Copied"), () => {}) }, "Copy")));
      name.value = "";
      await load();
    } catch (err) { error.textContent = err.message; }
  });

  async function revoke(k) {
    if (!confirm(`Revoke "${k.name}" (${k.key_id})? Services using it stop being able to send or read within seconds.`)) return;
    try {
      await api(`keys/${encodeURIComponent(k.key_id)}`, { method: "DELETE" });
      toast(`Revoked ${k.key_id}`);
      await load();
    } catch (err) { toast(err.message, true); }
  }

  async function load() {
    try {
      keys = (await api("keys")).keys;
      mount(list, h("table", {},
        h("thead", {}, h("tr", {}, ["Name", "Key", "Scopes", "Created", "Last used", "Expires", "State", ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, keys.map((k) => {
          const [state, cls] = keyState(k);
          return h("tr", { "data-key": k.key_id },
            h("td", {}, k.name), h("td", {}, h("code", {}, k.display)), h("td", {}, k.scopes.join(", ")),
            h("td", {}, fmtTime(k.created_at)), h("td", {}, k.last_used_at ? fmtAgo(k.last_used_at) : "never"),
            h("td", {}, k.expires_at ? fmtTime(k.expires_at) : "never"), h("td", {}, h("span", { class: `pill ${cls}` }, state)),
            h("td", {}, state === "active" ? h("button", { type: "button", class: "small danger", onclick: () => revoke(k) }, "Revoke") : ""));
        }))));
    } catch (err) { mount(list, errorBox(err, "Keys could not be loaded")); }
  }

  mount(app,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "API keys"),
      h("div", { class: "sub" }, "Keys let services send events (ingest) and scripts read (read) or administer (admin). A key is shown once, at creation."))),
    h("section", { class: "panel" }, h("h2", {}, "Create a key"), form, error, created),
    h("section", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, "Keys"),
      exportButtons("api-keys", () => ({ columns: ["key_id", "name", "scopes", "created_at", "last_used_at", "expires_at", "revoked_at"],
        rows: keys.map((k) => [k.key_id, k.name, k.scopes.join(" "), k.created_at, k.last_used_at, k.expires_at, k.revoked_at]), json: keys }))),
    list));
  await load();
}
