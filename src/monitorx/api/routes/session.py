"""Signing in to the dashboard (sessions) and managing its users."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from monitorx.api.errors import ERROR_RESPONSES
from monitorx.api.security import CSRF_COOKIE, SESSION_COOKIE, require, services
from monitorx.errors import Unauthorized
from monitorx.services.keys import Principal
from monitorx.services.users import NewSession, UserPrincipal

router = APIRouter(prefix="/api/v1", tags=["session"], responses=ERROR_RESPONSES)
_IN = ConfigDict(extra="forbid", strict=True)
Role = Literal["viewer", "editor", "admin"]
Username = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
_CONFLICT: dict[int | str, dict[str, Any]] = {409: {**ERROR_RESPONSES[422], "description": "It exists already"}}
# Set on sign-out, so `monitorx demo`'s automatic sign-in does not undo it at once.
NO_AUTO_COOKIE = "mx_signed_out"


class LoginIn(BaseModel):
    model_config = _IN
    username: Username
    password: Password
    project: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class ProjectSwitch(BaseModel):
    model_config = _IN
    project: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Membership(BaseModel):
    name: str
    role: str


class SessionOut(BaseModel):
    auth: bool = Field(description="False when the server runs without authentication (loopback only)")
    username: str | None = Field(description="The signed-in user; null for an API key or without auth")
    role: str | None
    project: str
    scopes: list[str]
    projects: list[Membership] = Field(description="Every project the user belongs to, with their role in it")
    csrf_token: str | None = Field(description="Echo it in the X-CSRF-Token header on every change")


class UserIn(BaseModel):
    model_config = _IN
    username: Username
    password: Password | None = Field(None, description="Required for a new user; omit to add an existing user")
    role: Role = "viewer"


class UserPatch(BaseModel):
    model_config = _IN
    role: Role | None = None
    password: Password | None = None


class UserOut(BaseModel):
    username: str
    role: str
    created_at: float
    last_login_at: float | None


class UserList(BaseModel):
    users: list[UserOut]


def _project_name(request: Request, project_id: int) -> str:
    return next((n for i, n in services(request).registry.list_projects() if i == project_id), "")


def set_session_cookies(request: Request, response: Response, session: NewSession) -> None:
    """The session cookie (HttpOnly) and the CSRF cookie the page's script reads (double submit)."""
    # No Max-Age: the browser forgets them when it closes, and the server expires an unused session anyway.
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="lax", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, session.csrf, httponly=False, samesite="strict", secure=secure, path="/")
    response.delete_cookie(NO_AUTO_COOKIE, path="/")


def _session_out(request: Request, principal: Principal, csrf: str | None) -> SessionOut:
    svc = services(request)
    project = _project_name(request, principal.project_id)
    if isinstance(principal, UserPrincipal):
        memberships = [Membership(name=n, role=r) for n, r in svc.users.projects_of(principal.user_id)]
        return SessionOut(
            auth=True,
            username=principal.username,
            role=principal.role,
            project=project,
            scopes=sorted(principal.scopes),
            projects=memberships,
            csrf_token=csrf,
        )
    return SessionOut(
        auth=svc.settings.auth,
        username=None,
        role="admin" if "admin" in principal.scopes else None,
        project=project,
        scopes=sorted(principal.scopes),
        projects=[Membership(name=project, role="admin" if "admin" in principal.scopes else "viewer")],
        csrf_token=None,
    )


@router.post("/session", response_model=SessionOut, summary="Sign in: sets the session and CSRF cookies")
def login(request: Request, body: LoginIn, response: Response) -> SessionOut:
    svc = services(request)
    client = request.client.host if request.client else "?"
    session = svc.users.login(body.username, body.password, client, body.project)
    set_session_cookies(request, response, session)
    return _session_out(request, session.principal, session.csrf)


@router.get("/session", response_model=SessionOut, summary="Who is signed in, their role and projects")
def me(request: Request, principal: Principal = Depends(require("read"))) -> SessionOut:
    csrf = None
    cookie = request.cookies.get(SESSION_COOKIE)
    if isinstance(principal, UserPrincipal) and cookie:
        csrf = services(request).users.authenticate(cookie, None, False)[1]
    return _session_out(request, principal, csrf)


@router.delete("/session", status_code=204, summary="Sign out")
def logout(request: Request, _: Principal = Depends(require("read"))) -> Response:
    response = Response(status_code=204)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        services(request).users.logout(cookie)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    if services(request).settings.demo_user:
        response.set_cookie(NO_AUTO_COOKIE, "1", httponly=True, samesite="lax", path="/")
    return response


@router.put("/session/project", response_model=SessionOut, summary="Switch the session to another project")
def switch_project(
    request: Request, body: ProjectSwitch, principal: Principal = Depends(require("read"))
) -> SessionOut:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not isinstance(principal, UserPrincipal) or not cookie:
        raise Unauthorized("only a signed-in user has a session to switch; an API key belongs to one project")
    svc = services(request)
    switched = svc.users.switch_project(cookie, body.project)
    return _session_out(request, switched, svc.users.authenticate(cookie, None, False)[1])


@router.get("/users", response_model=UserList, summary="The project's dashboard users and their roles")
def list_users(request: Request, principal: Principal = Depends(require("admin"))) -> UserList:
    return UserList(users=[UserOut(**asdict(u)) for u in services(request).users.members(principal.project_id)])


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=_CONFLICT,
    summary="Create a user in this project, or add an existing one (no password)",
)
def create_user(request: Request, body: UserIn, principal: Principal = Depends(require("admin"))) -> UserOut:
    info = services(request).users.create(principal.project_id, body.username, body.password, body.role)
    return UserOut(**asdict(info))


UserName = Annotated[str, Path(min_length=1, max_length=100)]


@router.patch("/users/{username}", response_model=UserOut, responses=_CONFLICT, summary="Change a role or password")
def update_user(
    request: Request, username: UserName, body: UserPatch, principal: Principal = Depends(require("admin"))
) -> UserOut:
    info = services(request).users.update(principal.project_id, username, body.role, body.password)
    return UserOut(**asdict(info))


@router.delete("/users/{username}", status_code=204, responses=_CONFLICT, summary="Remove a user from this project")
def delete_user(request: Request, username: UserName, principal: Principal = Depends(require("admin"))) -> Response:
    services(request).users.remove(principal.project_id, username)
    return Response(status_code=204)
