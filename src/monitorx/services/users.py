"""Dashboard users, their roles per project, and their signed-in sessions.

A password is kept only as an scrypt hash (``hashlib.scrypt``, a memory-hard KDF: a stolen table
costs an attacker ~32 MiB and tens of milliseconds per guess). A session is a random 256-bit
secret in an HttpOnly cookie; the table keeps its SHA-256 digest, so a database dump signs no one
in. Each session also carries a CSRF token the page echoes in a header on every change.

A role maps to the scopes API keys carry, so a signed-in person is authorised by the very checks
API keys go through:

======== =========================================================
viewer   ``read``
editor   ``read`` + ``edit`` (alert rules, silences, channels, references)
admin    ``admin`` (implies every scope: users, keys, projects)
======== =========================================================
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, insert, select, update

from monitorx.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from monitorx.services.keys import Principal
from monitorx.store import tables as t
from monitorx.store.database import Database

ROLES = ("viewer", "editor", "admin")
EDIT_SCOPE = "edit"
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "viewer": frozenset({"read"}),
    "editor": frozenset({"read", EDIT_SCOPE}),
    "admin": frozenset({"admin"}),
}
USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
MIN_PASSWORD = 8
# scrypt cost: N=2**15, r=8 needs 32 MiB and ~0.1 s per hash here; stored with the hash so it can rise.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_CACHE_TTL_S = 5.0


def hash_password(password: str, n: int = _SCRYPT_N, r: int = _SCRYPT_R, p: int = _SCRYPT_P) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest + "==")
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.urlsafe_b64decode(salt + "=="),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * int(n) * int(r),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def _dummy_hash() -> str:
    # Verifying against this when the user does not exist takes as long as a real check, so the
    # answer time does not tell which usernames exist.
    return hash_password(secrets.token_urlsafe(16))


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UserPrincipal(Principal):
    """A signed-in person: the scopes of their role in the session's project."""

    user_id: int = 0
    username: str = ""
    role: str = "viewer"

    @property
    def actor(self) -> str:
        return self.username or super().actor

    def require(self, scope: str) -> None:
        if scope not in self.scopes and "admin" not in self.scopes:
            raise Forbidden(f"the '{self.role}' role may not do this (it needs '{scope}'); ask a project admin")


@dataclass(frozen=True)
class UserInfo:
    username: str
    role: str
    created_at: float
    last_login_at: float | None


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; never stored
    csrf: str
    expires_at: float
    principal: UserPrincipal


@dataclass(frozen=True)
class _SessionRow:
    user_id: int
    username: str
    project_id: int
    role: str | None  # None: no longer a member of the session's project
    csrf: str
    expires_at: float


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(
            f"role must be one of {list(ROLES)}, not '{role}'",
            [{"loc": ["body", "role"], "msg": "unknown role", "type": "value_error"}],
        )
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"a password needs at least {MIN_PASSWORD} characters",
            [{"loc": ["body", "password"], "msg": "too short", "type": "value_error"}],
        )
    return password


def check_username(username: str) -> str:
    if not USERNAME_RE.match(username):
        raise InvalidInput(
            "a username is 1-100 letters, digits or _.@- and starts with a letter or digit",
            [{"loc": ["body", "username"], "msg": "invalid username", "type": "value_error"}],
        )
    return username


class LoginThrottle:
    """Failed sign-ins per username and per client: a bucket of ``burst``, refilled at ``rate``/s."""

    def __init__(self, rate: float = 1 / 30, burst: int = 10) -> None:
        self.rate, self.burst = rate, float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def check(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            worst = min(self._tokens(k, now) for k in keys)
        if worst < 1.0:
            raise RateLimited("too many failed sign-ins; wait a little and try again", (1.0 - worst) / self.rate)

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._buckets) > 100_000:  # bounded memory under a spray of made-up names
                self._buckets.clear()
            for k in keys:
                self._buckets[k] = (self._tokens(k, now) - 1.0, now)


class UserStore:
    def __init__(self, db: Database, session_ttl_s: float = 12 * 3600.0) -> None:
        self.db = db
        self.session_ttl_s = session_ttl_s
        self.throttle = LoginThrottle()
        self._cache: dict[str, tuple[float, _SessionRow | None]] = {}
        self._lock = threading.Lock()

    # -- users ----------------------------------------------------------------------------
    def create(
        self, project_id: int, username: str, password: str | None, role: str, conn: Connection | None = None
    ) -> UserInfo:
        """A new user in the project, or an existing user (no password given) added to it."""
        check_username(username)
        check_role(role)
        if conn is None:
            with self.db.write() as c:
                return self.create(project_id, username, password, role, c)
        now = time.time()
        row = conn.execute(select(t.users.c.id, t.users.c.created_at).where(t.users.c.username == username)).first()
        if row is None:
            if password is None:
                raise InvalidInput(
                    "a new user needs a password",
                    [{"loc": ["body", "password"], "msg": "required for a new user", "type": "missing"}],
                )
            user_id = conn.execute(
                insert(t.users).values(
                    username=username, password_hash=hash_password(check_password(password)), created_at=now
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            created = now
        else:
            if password is not None:
                raise Conflict(f"a user named '{username}' exists; add them to this project without a password")
            user_id, created = row
            member = conn.execute(
                select(t.memberships.c.role).where(
                    t.memberships.c.user_id == user_id, t.memberships.c.project_id == project_id
                )
            ).first()
            if member is not None:
                raise Conflict(f"'{username}' is already a member of this project")
        conn.execute(insert(t.memberships).values(user_id=user_id, project_id=project_id, role=role, created_at=now))
        return UserInfo(username, role, created, None)

    def members(self, project_id: int) -> list[UserInfo]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.users.c.username, t.memberships.c.role, t.users.c.created_at, t.users.c.last_login_at)
                .join(t.memberships, t.memberships.c.user_id == t.users.c.id)
                .where(t.memberships.c.project_id == project_id)
                .order_by(t.users.c.username)
            ).all()
        return [UserInfo(*r) for r in rows]

    def get(self, project_id: int, username: str) -> UserInfo:
        for u in self.members(project_id):
            if u.username == username:
                return u
        raise NotFound(f"no user named '{username}' in this project")

    def _member_id(self, conn: Connection, project_id: int, username: str) -> tuple[int, str]:
        row = conn.execute(
            select(t.users.c.id, t.memberships.c.role)
            .join(t.memberships, t.memberships.c.user_id == t.users.c.id)
            .where(t.users.c.username == username, t.memberships.c.project_id == project_id)
        ).first()
        if row is None:
            raise NotFound(f"no user named '{username}' in this project")
        return int(row[0]), str(row[1])

    def _refuse_last_admin(self, conn: Connection, project_id: int, user_id: int) -> None:
        admins = conn.execute(
            select(func.count())
            .select_from(t.memberships)
            .where(
                t.memberships.c.project_id == project_id,
                t.memberships.c.role == "admin",
                t.memberships.c.user_id != user_id,
            )
        ).scalar_one()
        if not admins:
            raise Conflict("this is the project's last admin; make someone else admin first")

    def update(self, project_id: int, username: str, role: str | None = None, password: str | None = None) -> UserInfo:
        with self.db.write() as conn:
            user_id, current = self._member_id(conn, project_id, username)
            if role is not None and check_role(role) != current:
                if current == "admin":
                    self._refuse_last_admin(conn, project_id, user_id)
                conn.execute(
                    update(t.memberships)
                    .where(t.memberships.c.user_id == user_id, t.memberships.c.project_id == project_id)
                    .values(role=role)
                )
            if password is not None:
                self._set_password(conn, user_id, password)
        self._evict_user(user_id)
        return self.get(project_id, username)

    def _set_password(self, conn: Connection, user_id: int, password: str) -> None:
        conn.execute(
            update(t.users).where(t.users.c.id == user_id).values(password_hash=hash_password(check_password(password)))
        )
        # A new password signs out every browser that knew the old one.
        conn.execute(delete(t.user_sessions).where(t.user_sessions.c.user_id == user_id))

    def set_password(self, username: str, password: str) -> None:
        with self.db.write() as conn:
            user_id = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).scalar()
            if user_id is None:
                raise NotFound(f"no user named '{username}'")
            self._set_password(conn, int(user_id), password)
        self._evict_user(int(user_id))

    def remove(self, project_id: int, username: str) -> None:
        """Take the user out of the project; a user left in no project is deleted."""
        with self.db.write() as conn:
            user_id, role = self._member_id(conn, project_id, username)
            if role == "admin":
                self._refuse_last_admin(conn, project_id, user_id)
            conn.execute(
                delete(t.memberships).where(
                    t.memberships.c.user_id == user_id, t.memberships.c.project_id == project_id
                )
            )
            conn.execute(
                delete(t.user_sessions).where(
                    t.user_sessions.c.user_id == user_id, t.user_sessions.c.project_id == project_id
                )
            )
            left = conn.execute(
                select(func.count()).select_from(t.memberships).where(t.memberships.c.user_id == user_id)
            ).scalar_one()
            if not left:
                conn.execute(delete(t.users).where(t.users.c.id == user_id))
        self._evict_user(user_id)

    def projects_of(self, user_id: int) -> list[tuple[str, str]]:
        """(project name, role) of each project the user belongs to."""
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.projects.c.name, t.memberships.c.role)
                .join(t.memberships, t.memberships.c.project_id == t.projects.c.id)
                .where(t.memberships.c.user_id == user_id)
                .order_by(t.projects.c.name)
            ).all()
        return [(str(n), str(r)) for n, r in rows]

    def ensure_first_admin(self, conn: Connection, project_id: int, username: str, password: str | None) -> str | None:
        """Create the first admin if there is no user at all; the password (random if not given), else None."""
        if conn.execute(select(t.users.c.id).limit(1)).first() is not None:
            return None
        chosen = password or secrets.token_urlsafe(12)
        self.create(project_id, username, chosen, "admin", conn)
        return chosen

    def ensure_user(self, project_id: int, username: str, role: str) -> None:
        """Make sure a user exists in the project (the demo's auto-signed-in user); no usable password."""
        with self.db.write() as conn:
            row = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).first()
            if row is not None:
                member = conn.execute(
                    select(t.memberships.c.role).where(
                        t.memberships.c.user_id == row[0], t.memberships.c.project_id == project_id
                    )
                ).first()
                if member is not None:
                    return
                self.create(project_id, username, None, role, conn)
            else:
                self.create(project_id, username, secrets.token_urlsafe(24), role, conn)

    # -- sessions -------------------------------------------------------------------------
    def login(self, username: str, password: str, client: str, project: str | None = None) -> NewSession:
        keys = [f"u:{username.lower()}", f"c:{client}"]
        self.throttle.check(keys)
        with self.db.read() as conn:
            row = conn.execute(
                select(t.users.c.id, t.users.c.password_hash).where(t.users.c.username == username)
            ).first()
        ok = verify_password(password, row[1] if row is not None else _dummy_hash())
        if row is None or not ok:
            self.throttle.failed(keys)
            raise Unauthorized("wrong username or password")
        return self.open_session(int(row[0]), project)

    def open_session(self, user_id: int, project: str | None = None) -> NewSession:
        projects = self.projects_of(user_id)
        if not projects:
            raise Forbidden("this user belongs to no project; ask an admin to add them")
        names = [p for p, _ in projects]
        chosen = project if project in names else names[0]
        role = dict(projects)[chosen]
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        with self.db.write() as conn:
            pid = int(conn.execute(select(t.projects.c.id).where(t.projects.c.name == chosen)).scalar_one())
            username = str(conn.execute(select(t.users.c.username).where(t.users.c.id == user_id)).scalar_one())
            conn.execute(delete(t.user_sessions).where(t.user_sessions.c.expires_at < now))
            conn.execute(
                insert(t.user_sessions).values(
                    digest=_digest(token),
                    user_id=user_id,
                    project_id=pid,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + self.session_ttl_s,
                )
            )
            conn.execute(update(t.users).where(t.users.c.id == user_id).values(last_login_at=now))
        principal = UserPrincipal(pid, f"user:{user_id}", ROLE_SCOPES[role], user_id, username, role)
        return NewSession(token, csrf, now + self.session_ttl_s, principal)

    def user_id(self, username: str) -> int:
        with self.db.read() as conn:
            uid = conn.execute(select(t.users.c.id).where(t.users.c.username == username)).scalar()
        if uid is None:
            raise NotFound(f"no user named '{username}'")
        return int(uid)

    def authenticate(self, token: str, csrf: str | None, unsafe: bool) -> tuple[UserPrincipal, str]:
        """The session's principal and CSRF token; a change (``unsafe``) must echo the CSRF token."""
        row = self._lookup(_digest(token))
        now = time.time()
        if row is None or row.expires_at <= now:
            raise Unauthorized("your session has ended; sign in again")
        if row.role is None:
            raise Unauthorized("you are no longer a member of this project; sign in again")
        if unsafe and not (csrf and hmac.compare_digest(csrf.encode(), row.csrf.encode())):
            raise Forbidden("missing or wrong X-CSRF-Token header: reload the page and try again")
        principal = UserPrincipal(
            row.project_id, f"user:{row.user_id}", ROLE_SCOPES[row.role], row.user_id, row.username, row.role
        )
        return principal, row.csrf

    def logout(self, token: str) -> None:
        digest = _digest(token)
        with self.db.write() as conn:
            conn.execute(delete(t.user_sessions).where(t.user_sessions.c.digest == digest))
        with self._lock:
            self._cache.pop(digest, None)

    def switch_project(self, token: str, project: str) -> UserPrincipal:
        digest = _digest(token)
        row = self._lookup(digest)
        if row is None:
            raise Unauthorized("your session has ended; sign in again")
        roles = dict(self.projects_of(row.user_id))
        if project not in roles:
            raise NotFound(f"you are not a member of a project named '{project}'")
        with self.db.write() as conn:
            pid = int(conn.execute(select(t.projects.c.id).where(t.projects.c.name == project)).scalar_one())
            conn.execute(update(t.user_sessions).where(t.user_sessions.c.digest == digest).values(project_id=pid))
        with self._lock:
            self._cache.pop(digest, None)
        role = roles[project]
        return UserPrincipal(pid, f"user:{row.user_id}", ROLE_SCOPES[role], row.user_id, row.username, role)

    def _lookup(self, digest: str) -> _SessionRow | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
        s, m = t.user_sessions, t.memberships
        with self.db.read() as conn:
            r = conn.execute(
                select(s.c.user_id, t.users.c.username, s.c.project_id, m.c.role, s.c.csrf, s.c.expires_at)
                .join(t.users, t.users.c.id == s.c.user_id)
                .outerjoin(m, (m.c.user_id == s.c.user_id) & (m.c.project_id == s.c.project_id))
                .where(s.c.digest == digest)
            ).first()
        row = None if r is None else _SessionRow(int(r[0]), str(r[1]), int(r[2]), r[3], str(r[4]), float(r[5]))
        if row is not None and row.expires_at - time.time() < self.session_ttl_s - 60:
            # Sliding expiry: a session in use stays alive; refreshed at most once a minute.
            expires = time.time() + self.session_ttl_s
            with self.db.write() as conn:
                conn.execute(update(s).where(s.c.digest == digest).values(expires_at=expires))
            row = _SessionRow(row.user_id, row.username, row.project_id, row.role, row.csrf, expires)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, row)
        return row

    def _evict_user(self, user_id: int) -> None:
        with self._lock:
            for digest in [d for d, (_, r) in self._cache.items() if r is not None and r.user_id == user_id]:
                del self._cache[digest]
