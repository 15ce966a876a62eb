"""Channel secrets encrypted at rest (Fernet: AES-128-CBC + HMAC-SHA256), never returned by the API.

The key comes from ``MONITORX_SECRET_KEY`` (a Fernet key is used as is; any other string is hashed
into one) or from ``secret.key`` in the data directory, created on first use with mode 0600.
Replicas must share the key: set ``MONITORX_SECRET_KEY`` on each of them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import orjson

from monitorx.errors import MonitorXError

KEY_FILE = "secret.key"


class SecretError(MonitorXError):
    """A stored secret cannot be decrypted: the key changed, or differs between replicas."""


def _fernet_key(raw: str) -> bytes:
    candidate = raw.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(candidate)) == 32:
            return candidate
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(candidate).digest())


class SecretBox:
    def __init__(self, key: str | None, data_dir: Path) -> None:
        self._key = key
        self._data_dir = data_dir
        self._fernet: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._fernet is None:
                from cryptography.fernet import Fernet

                self._fernet = Fernet(_fernet_key(self._key) if self._key else self._key_file())
            return self._fernet

    def _key_file(self) -> bytes:
        from cryptography.fernet import Fernet

        path = self._data_dir / KEY_FILE
        if not path.exists():
            self._data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process created it first
                pass
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key())
        return path.read_bytes().strip()

    def seal(self, secrets: dict[str, Any]) -> str:
        if not secrets:
            return ""
        token: bytes = self._get().encrypt(orjson.dumps(secrets))
        return token.decode()

    def open(self, token: str) -> dict[str, Any]:
        if not token:
            return {}
        from cryptography.fernet import InvalidToken

        try:
            out: dict[str, Any] = orjson.loads(self._get().decrypt(token.encode()))
        except InvalidToken:
            raise SecretError(
                "the channel's secret cannot be decrypted with this server's key: MONITORX_SECRET_KEY changed or "
                "differs between replicas; set it to the key the channel was created with, or enter the secret again"
            ) from None
        return out
