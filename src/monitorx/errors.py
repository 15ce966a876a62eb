"""MonitorX's own errors. Services raise these; the server maps them to HTTP answers.

MonitorXError
├── NotFound            404: a project, model, key or host does not exist (for this caller)
├── Conflict            409: the object exists already
├── InvalidInput        422: a value is wrong; ``loc`` names the field
├── PayloadTooLarge     413: body or batch over its limit
├── Unauthorized        401: no key, or an unknown / revoked / expired one
├── Forbidden           403: the key lacks the scope
├── RateLimited         429: ``retry_after`` seconds
└── SchemaError         the database schema is not the one this version needs
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MonitorXError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(MonitorXError):
    status = 404


class Conflict(MonitorXError):
    status = 409


class InvalidInput(MonitorXError):
    status = 422

    def __init__(self, message: str, errors: Sequence[dict[str, Any]] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)


class PayloadTooLarge(MonitorXError):
    status = 413


class Unauthorized(MonitorXError):
    status = 401


class Forbidden(MonitorXError):
    status = 403


class RateLimited(MonitorXError):
    status = 429

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SchemaError(MonitorXError):
    status = 503
