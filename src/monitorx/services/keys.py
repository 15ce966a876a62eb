"""API keys: minted once, stored as a SHA-256 digest, verified in constant time.

A key reads ``mx_<key id: 8 hex>_<secret: 43 url-safe chars (32 random bytes)>``. The key id finds
the row; the secret is never stored. A 256-bit secret needs no slow KDF (a brute force of the
digest is hopeless), so verification costs one hash, not tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from monitorx.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from monitorx.store import tables as t
from monitorx.store.database import Database

SCOPES = ("ingest", "read", "admin")
TOKEN_RE = re.compile(r"^mx_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
_CACHE_TTL_S = 5.0
_TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class Principal:
    """Who is calling: one project, a set of scopes."""

    project_id: int
    key_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """Who acted, as histories record it."""
        return f"key:{self.key_id}"

    def require(self, scope: str) -> None:
        # admin implies every scope; read and ingest are separate on purpose (ingest keys
        # live inside inference services and must not be able to read data back).
        if scope not in self.scopes and "admin" not in self.scopes:
            if scope == "edit":  # a dashboard role; keys have no such scope, admin keys do it all
                raise Forbidden("this API key cannot change rules, channels, silences or references: needs 'admin'")
            raise Forbidden(f"this API key lacks the '{scope}' scope")


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    name: str
    display: str
    scopes: list[str]
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None


@dataclass(frozen=True)
class _Row:
    project_id: int
    digest: str
    scopes: frozenset[str]
    expires_at: float | None
    revoked_at: float | None


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """A fresh token, its key id and the digest to store."""
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    return f"mx_{key_id}_{secret}", key_id, digest_of(secret)


def display_of(token: str) -> str:
    return f"{token[:11]}…{token[-4:]}"


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidInput(
            f"scopes must be a non-empty subset of {list(SCOPES)}; unknown: {unknown}",
            [{"loc": ["scopes"], "msg": "unknown scope", "type": "value_error"}],
        )
    return sorted(set(scopes))


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, tuple[float, _Row | None]] = {}
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()

    def create(
        self,
        project_id: int,
        name: str,
        scopes: list[str],
        expires_at: float | None = None,
        token: str | None = None,
    ) -> tuple[str, KeyInfo]:
        """Mint a key; the returned token is the only time the secret is visible."""
        scopes = validate_scopes(scopes)
        if token is None:
            token, key_id, digest = new_token()
        else:
            m = TOKEN_RE.match(token)
            if not m:
                raise InvalidInput("an API key must look like mx_<8 hex>_<43 url-safe characters>")
            key_id, digest = m.group(1), digest_of(m.group(2))
        now = time.time()
        row = {
            "key_id": key_id,
            "project_id": project_id,
            "name": name,
            "digest": digest,
            "display": display_of(token),
            "scopes": ",".join(scopes),
            "created_at": now,
            "expires_at": expires_at,
        }
        with self.db.write() as conn:
            conn.execute(insert(t.api_keys).values(**row))
        return token, KeyInfo(key_id, name, row["display"], scopes, now, expires_at, None, None)  # type: ignore[arg-type]

    def list(self, project_id: int) -> list[KeyInfo]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.api_keys).where(t.api_keys.c.project_id == project_id).order_by(t.api_keys.c.id)
            ).all()
        return [
            KeyInfo(
                r.key_id,
                r.name,
                r.display,
                r.scopes.split(","),
                r.created_at,
                r.expires_at,
                r.last_used_at,
                r.revoked_at,
            )
            for r in rows
        ]

    def revoke(self, project_id: int, key_id: str) -> None:
        with self.db.write() as conn:
            res = conn.execute(
                update(t.api_keys)
                .where(t.api_keys.c.project_id == project_id, t.api_keys.c.key_id == key_id)
                .values(revoked_at=time.time())
            )
        if res.rowcount == 0:
            raise NotFound(f"no API key with id '{key_id}' in this project")
        # Mark the row first, then evict: a concurrent lookup cannot re-cache the old state.
        with self._lock:
            self._cache.pop(key_id, None)

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        m = TOKEN_RE.match(token)
        if not m:
            raise Unauthorized("the API key is malformed")
        key_id, secret = m.group(1), m.group(2)
        row = self._lookup(key_id)
        if row is None or not hmac.compare_digest(row.digest, digest_of(secret)):
            raise Unauthorized("the API key is not valid")
        now = time.time()
        if row.revoked_at is not None:
            raise Unauthorized("the API key has been revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise Unauthorized("the API key has expired")
        self._touch(key_id, now)
        return Principal(row.project_id, key_id, row.scopes)

    def _lookup(self, key_id: str) -> _Row | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key_id)
        if hit is not None and now - hit[0] < _CACHE_TTL_S:
            return hit[1]
        with self.db.read() as conn:
            r = conn.execute(select(t.api_keys).where(t.api_keys.c.key_id == key_id)).first()
        row = (
            None
            if r is None
            else _Row(r.project_id, r.digest, frozenset(r.scopes.split(",")), r.expires_at, r.revoked_at)
        )
        with self._lock:
            self._cache[key_id] = (now, row)
        return row

    def _touch(self, key_id: str, now: float) -> None:
        # last_used_at is for humans deciding what to revoke; a write per request would cost
        # ingest throughput, so it is refreshed at most once a minute per key.
        with self._lock:
            if now - self._touched.get(key_id, 0.0) < _TOUCH_EVERY_S:
                return
            self._touched[key_id] = now
        with self.db.write() as conn:
            conn.execute(update(t.api_keys).where(t.api_keys.c.key_id == key_id).values(last_used_at=now))


class RateLimiter:
    """Token bucket per API key: ``rate`` requests per second sustained, ``burst`` at once."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float | None = None) -> float:
        """0.0 if the request may go ahead, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
