import { api, can, session } from "../api.js";
import { h, mount, errorBox, loading, toast, fmtTime, fmtAgo } from "../dom.js";

const ROLES = [["viewer", "viewer: reads everything"], ["editor", "editor: also rules, silences, channels, references"], ["admin", "admin: also users, keys, projects"]];

export async function render(app) {
  if (!can("admin")) {
    return mount(app, h("div", { class: "empty" }, h("h2", {}, "Users"), h("p", {}, "Only a project admin manages users.")));
  }
  const list = h("div", { class: "table-wrap", id: "users-table" }, loading());
  const error = h("div", { class: "field-error", role: "alert" });
  const username = h("input", { type: "text", id: "user-name", autocomplete: "off", maxlength: 100 });
  const password = h("input", { type: "password", id: "user-password", autocomplete: "new-password" });
  const role = h("select", { id: "user-role" }, ROLES.map(([v, t]) => h("option", { value: v }, t)));
  const form = h("form", { class: "inline-form", id: "user-form", novalidate: true },
    h("div", {}, h("label", { for: "user-name" }, "Username"), username),
    h("div", {}, h("label", { for: "user-password" }, "Password (8+ characters)"), password),
    h("div", {}, h("label", { for: "user-role" }, "Role"), role),
    h("div", {}, h("button", { type: "submit" }, "Add user")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/.test(username.value)) { error.textContent = "A username is letters, digits or _.@- and starts with a letter or digit."; return; }
    if (password.value && password.value.length < 8) { error.textContent = "A password needs at least 8 characters."; return; }
    try {
      await api("users", { method: "POST", body: { username: username.value, password: password.value || null, role: role.value } });
      toast(`${username.value} is now ${role.value}`);
      username.value = password.value = "";
      await load();
    } catch (err) { error.textContent = err.message; }
  });

  async function change(u, body, what) {
    try {
      await api(`users/${encodeURIComponent(u.username)}`, { method: "PATCH", body });
      toast(`${u.username}: ${what}`);
      await load();
    } catch (err) { toast(err.message, true); await load(); }
  }

  async function load() {
    try {
      const { users } = await api("users");
      mount(list, h("table", {},
        h("thead", {}, h("tr", {}, ["User", "Role", "Created", "Last sign-in", ""].map((c) => h("th", {}, c)))),
        h("tbody", {}, users.map((u) => h("tr", { "data-user": u.username },
          h("td", {}, u.username, u.username === session.me?.username ? h("span", { class: "hint" }, " (you)") : ""),
          h("td", {}, h("select", { "aria-label": `Role of ${u.username}`, onchange: (e) => change(u, { role: e.target.value }, `now ${e.target.value}`) },
            ROLES.map(([v]) => h("option", { value: v, selected: v === u.role }, v)))),
          h("td", {}, fmtTime(u.created_at)), h("td", {}, u.last_login_at ? fmtAgo(u.last_login_at) : "never"),
          h("td", { class: "row-actions" },
            h("button", { type: "button", class: "small ghost", onclick: () => {
              const pw = prompt(`New password for ${u.username} (8+ characters; signs them out everywhere):`);
              if (pw) change(u, { password: pw }, "password changed");
            } }, "Set password"),
            h("button", { type: "button", class: "small danger", onclick: async () => {
              if (!confirm(`Remove ${u.username} from this project?`)) return;
              try { await api(`users/${encodeURIComponent(u.username)}`, { method: "DELETE" }); await load(); } catch (err) { toast(err.message, true); }
            } }, "Remove")))))));
    } catch (err) { mount(list, errorBox(err, "Users could not be loaded")); }
  }

  mount(app,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Users"),
      h("div", { class: "sub" }, `People who sign in to the dashboard of project ${session.me?.project}. Leave the password empty to add someone who already has an account in another project.`))),
    h("section", { class: "panel" }, h("h2", {}, "Add a user"), form, error),
    h("section", { class: "panel" }, h("h2", {}, "Members"), list));
  await load();
}
