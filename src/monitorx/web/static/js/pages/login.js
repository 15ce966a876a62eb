import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { navigate, signedIn } from "../app.js";

export function render(app) {
  const error = h("div", { class: "field-error", role: "alert" });
  const user = h("input", { type: "text", id: "username", name: "username", autocomplete: "username", required: true, autofocus: true });
  const pass = h("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h("form", { class: "panel", novalidate: true },
    h("h1", {}, "Sign in to MonitorX"),
    h("label", { for: "username" }, "Username"), user,
    h("label", { for: "password" }, "Password"), pass,
    error, button,
    h("p", { class: "hint" }, "No account? A project admin creates users on the Users page, or with ",
      h("code", {}, "monitorx users create"), "."),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.textContent = "";
    if (!user.value || !pass.value) { error.textContent = "Enter your username and password."; return; }
    button.disabled = true;
    try {
      const me = await api("session", { method: "POST", body: { username: user.value, password: pass.value } });
      await signedIn(me);
      const next = new URLSearchParams(location.search).get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    } catch (err) {
      error.textContent = err.status === 401 ? "Wrong username or password." : err.message;
      button.disabled = false;
      pass.select();
    }
  });
  mount(app, h("div", { class: "login" }, form));
}
