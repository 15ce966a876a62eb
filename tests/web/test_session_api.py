"""Signing in, sessions, CSRF and roles, through the public API the dashboard uses."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from monitorx.api.app import create_app
from monitorx.config import Settings
from monitorx.services.container import Services

PASSWORD = "correct horse battery"


def _user(api: Any, username: str, role: str) -> None:
    r = api.post("/api/v1/users", json={"username": username, "password": PASSWORD, "role": role})
    assert r.status_code == 201, r.text


def _login(api: Any, username: str, password: str = PASSWORD) -> TestClient:
    """A second client on the same app: a browser with its own cookie jar."""
    browser = TestClient(api.client.app)
    r = browser.post("/api/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return browser


def _csrf(browser: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": browser.cookies["mx_csrf"]}


def test_sign_in_sets_secure_cookies_and_reads_like_a_read_key(api: Any) -> None:
    _user(api, "vera", "viewer")
    browser = TestClient(api.client.app)
    r = browser.post("/api/v1/session", json={"username": "vera", "password": PASSWORD})
    assert r.status_code == 200
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("mx_session="))
    csrf = next(c for c in cookies if c.startswith("mx_csrf="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/" in session
    assert "HttpOnly" not in csrf and "SameSite=strict" in csrf
    assert "Secure" not in session  # plain http here; https answers add it
    body = r.json()
    assert body["username"] == "vera" and body["role"] == "viewer" and body["scopes"] == ["read"]
    assert body["project"] == "default" and body["csrf_token"] == browser.cookies["mx_csrf"]
    assert browser.get("/api/v1/models").status_code == 200
    assert browser.get("/api/v1/session").json()["username"] == "vera"


def test_https_sessions_get_the_secure_flag(api: Any) -> None:
    _user(api, "sam", "viewer")
    browser = TestClient(api.client.app, base_url="https://testserver")
    r = browser.post("/api/v1/session", json={"username": "sam", "password": PASSWORD})
    assert all("Secure" in c for c in r.headers.get_list("set-cookie") if c.startswith(("mx_session", "mx_csrf")))


def test_wrong_passwords_are_refused_alike_and_then_throttled(api: Any) -> None:
    _user(api, "wanda", "viewer")
    browser = TestClient(api.client.app)
    wrong = browser.post("/api/v1/session", json={"username": "wanda", "password": "not it at all"})
    nobody = browser.post("/api/v1/session", json={"username": "nobody", "password": "not it at all"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["message"] == nobody.json()["message"] == "wrong username or password"
    assert "mx_session" not in browser.cookies
    codes = [
        browser.post("/api/v1/session", json={"username": "wanda", "password": f"guess {i}"}).status_code
        for i in range(12)
    ]
    assert codes[-1] == 429 and set(codes) <= {401, 429}
    r = browser.post("/api/v1/session", json={"username": "wanda", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0  # even the right one, for a while


def test_changes_need_the_csrf_header(api: Any) -> None:
    _user(api, "ada", "admin")
    browser = _login(api, "ada")
    body = {"name": "from the browser", "scopes": ["read"]}
    r = browser.post("/api/v1/keys", json=body)
    assert r.status_code == 403 and "CSRF" in r.json()["message"]
    r = browser.post("/api/v1/keys", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert browser.post("/api/v1/keys", json=body, headers=_csrf(browser)).status_code == 201
    assert browser.get("/api/v1/keys").status_code == 200  # reads need no token


def test_roles_map_to_scopes(api: Any) -> None:
    for name, role in (("vic", "viewer"), ("eddie", "editor"), ("adele", "admin")):
        _user(api, name, role)
    viewer, editor, admin = (_login(api, n) for n in ("vic", "eddie", "adele"))
    assert viewer.get("/api/v1/session").json()["scopes"] == ["read"]
    assert editor.get("/api/v1/session").json()["scopes"] == ["edit", "read"]
    assert admin.get("/api/v1/session").json()["scopes"] == ["admin"]
    for browser in (viewer, editor, admin):
        assert browser.get("/api/v1/models").status_code == 200
    key = {"name": "k", "scopes": ["read"]}
    r = viewer.post("/api/v1/keys", json=key, headers=_csrf(viewer))
    assert r.status_code == 403 and "viewer" in r.json()["message"]
    assert editor.post("/api/v1/keys", json=key, headers=_csrf(editor)).status_code == 403
    assert editor.get("/api/v1/users").status_code == 403
    assert admin.post("/api/v1/keys", json=key, headers=_csrf(admin)).status_code == 201
    # A session is not an ingest key: writing events stays with the SDK's keys... unless admin.
    event = {"batch_id": "b1", "events": [{"model": "m", "latency_ms": 1.0}]}
    assert viewer.post("/api/v1/events", json=event, headers=_csrf(viewer)).status_code == 403


def test_sign_out_ends_the_session(api: Any) -> None:
    _user(api, "olga", "viewer")
    browser = _login(api, "olga")
    stolen = browser.cookies["mx_session"]
    assert browser.delete("/api/v1/session").status_code == 403  # sign-out is a change: CSRF too
    assert browser.delete("/api/v1/session", headers=_csrf(browser)).status_code == 204
    other = TestClient(api.client.app, cookies={"mx_session": stolen})
    r = other.get("/api/v1/models")
    assert r.status_code == 401 and "session" in r.json()["message"]


def test_an_api_key_wins_over_a_session_cookie(api: Any) -> None:
    _user(api, "vik", "viewer")
    browser = _login(api, "vik")
    ingest = api.key("ingest")
    r = browser.get("/api/v1/models", headers={"Authorization": f"Bearer {ingest}"})
    assert r.status_code == 403 and "API key" in r.json()["message"]


def test_admins_manage_users_of_their_project(api: Any) -> None:
    _user(api, "root2", "admin")
    admin = _login(api, "root2")
    h = _csrf(admin)
    r = admin.post("/api/v1/users", json={"username": "new", "password": "short", "role": "viewer"}, headers=h)
    assert r.status_code == 422 and "password" in r.json()["message"]
    r = admin.post("/api/v1/users", json={"username": "new", "password": PASSWORD, "role": "boss"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "role"
    assert admin.post("/api/v1/users", json={"username": "new", "password": PASSWORD}, headers=h).status_code == 201
    assert admin.post("/api/v1/users", json={"username": "new", "password": PASSWORD}, headers=h).status_code == 409
    users = {u["username"]: u["role"] for u in admin.get("/api/v1/users").json()["users"]}
    assert users["new"] == "viewer" and users["admin"] == "admin"
    new = _login(api, "new")
    assert new.get("/api/v1/session").json()["role"] == "viewer"
    r = admin.patch("/api/v1/users/new", json={"role": "editor"}, headers=h)
    assert r.status_code == 200 and r.json()["role"] == "editor"
    r = admin.patch("/api/v1/users/new", json={"password": "another long one"}, headers=h)
    assert r.status_code == 200
    assert new.get("/api/v1/models").status_code == 401  # a new password signs out old sessions
    _login(api, "new", "another long one")
    assert admin.delete("/api/v1/users/new", headers=h).status_code == 204
    assert admin.delete("/api/v1/users/new", headers=h).status_code == 404
    r = TestClient(api.client.app).post("/api/v1/session", json={"username": "new", "password": "another long one"})
    assert r.status_code == 401


def test_the_last_admin_cannot_be_demoted_or_removed(api: Any) -> None:
    only = api.get("/api/v1/users").json()["users"]
    assert [u["role"] for u in only] == ["admin"]
    name = only[0]["username"]
    r = api.client.patch(f"/api/v1/users/{name}", json={"role": "viewer"}, headers=api.headers())
    assert r.status_code == 409
    assert api.client.delete(f"/api/v1/users/{name}", headers=api.headers()).status_code == 409


def test_users_in_several_projects_switch_between_them(api: Any) -> None:
    b_admin = api.post("/api/v1/projects", json={"name": "team-b"}).json()["admin_key"]["token"]
    _user(api, "multi", "viewer")
    r = api.post("/api/v1/users", token=b_admin, json={"username": "multi", "role": "editor"})
    assert r.status_code == 201, r.text
    api.post("/api/v1/events", token=b_admin, json={"batch_id": "b", "events": [{"model": "b-model", "latency_ms": 2}]})
    browser = _login(api, "multi")
    me = browser.get("/api/v1/session").json()
    assert {(p["name"], p["role"]) for p in me["projects"]} == {("default", "viewer"), ("team-b", "editor")}
    assert browser.get("/api/v1/models").json()["models"] == []
    r = browser.put("/api/v1/session/project", json={"project": "team-b"}, headers=_csrf(browser))
    assert r.status_code == 200 and r.json()["role"] == "editor" and r.json()["project"] == "team-b"
    assert [m["name"] for m in browser.get("/api/v1/models").json()["models"]] == ["b-model"]
    r = browser.put("/api/v1/session/project", json={"project": "secret"}, headers=_csrf(browser))
    assert r.status_code == 404


def test_first_admin_comes_from_the_environment(tmp_path: Any, database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path,
        admin_user="boss",
        admin_password="from the environment",
        maintenance_interval_s=3600,
    )
    svc = Services(settings)
    boot = svc.start()
    assert boot.admin_password is None  # chosen by the operator: nothing to show
    with TestClient(create_app(settings, svc)) as client:
        r = client.post("/api/v1/session", json={"username": "boss", "password": "from the environment"})
        assert r.status_code == 200 and r.json()["role"] == "admin"
    assert svc.start().admin_password is None  # a second start creates nobody


def test_a_random_first_password_is_handed_out_once(settings: Settings) -> None:
    svc = Services(settings)
    first = svc.start()
    assert first.admin_password and len(first.admin_password) >= 12
    assert svc.start().admin_password is None
    svc.close()


def test_without_auth_the_session_says_so(tmp_path: Any, database_url: str) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path, auth=False, maintenance_interval_s=3600)
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/session")
        assert r.status_code == 200 and r.json()["auth"] is False and r.json()["scopes"] == ["admin"]


def test_a_cross_site_form_cannot_sign_a_browser_in(api: Any) -> None:
    # An HTML form can post JSON-looking text as text/plain, without a CORS preflight; it must not count.
    _user(api, "mallory", "viewer")
    browser = TestClient(api.client.app)
    body = '{"username": "mallory", "password": "' + PASSWORD + '"}'
    r = browser.post("/api/v1/session", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code in (400, 415, 422) and "mx_session" not in browser.cookies
