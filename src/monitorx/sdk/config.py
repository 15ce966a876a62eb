"""The SDK's settings: one frozen object, built by :func:`monitorx.init` and passed in."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Config:
    url: str
    api_key: str | None = None
    environment: str = "prod"
    batch_size: int = 1000  # events per POST (the server's limit is MONITORX_MAX_BATCH_EVENTS)
    flush_interval_s: float = 1.0  # a partial batch waits at most this long
    max_queue: int = 100_000  # records waiting on the caller side; beyond, the oldest fall out
    max_buffer_events: int = 100_000  # unsent items kept for retry; beyond, the oldest are dropped
    max_retries: int | None = None  # None: retry until the buffer bound evicts the batch
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    breaker_failures: int = 5
    breaker_reset_s: float = 10.0
    timeout_s: float = 5.0  # per HTTP request: a hung server costs the sender thread this, never the caller
    exit_timeout_s: float = 2.0  # how long interpreter exit may wait for the final flush
    compress: bool = True
    collect_host: bool = False
    host_interval_s: float = 10.0

    def __post_init__(self) -> None:
        positive = {
            "batch_size": self.batch_size,
            "flush_interval_s": self.flush_interval_s,
            "max_queue": self.max_queue,
            "max_buffer_events": self.max_buffer_events,
            "breaker_failures": self.breaker_failures,
            "timeout_s": self.timeout_s,
            "host_interval_s": self.host_interval_s,
        }
        for name, number in positive.items():
            if not number > 0:
                raise ValueError(f"monitorx: {name} must be > 0, got {number!r}")
        non_negative = {
            "backoff_base_s": self.backoff_base_s,
            "backoff_max_s": self.backoff_max_s,
            "breaker_reset_s": self.breaker_reset_s,
            "exit_timeout_s": self.exit_timeout_s,
        }
        for name, number in non_negative.items():
            if not number >= 0:
                raise ValueError(f"monitorx: {name} must be >= 0, got {number!r}")
        if self.max_retries is not None and self.max_retries < 0:
            raise ValueError(f"monitorx: max_retries must be >= 0 or None, got {self.max_retries!r}")
        if not self.environment or len(self.environment) > 100:
            raise ValueError("monitorx: environment must be 1 to 100 characters")


def url_problem(url: str | None) -> str | None:
    """Why this server URL cannot work, or None when it looks usable."""
    if not url:
        return "no server URL (pass url= to monitorx.init or set MONITORX_URL)"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"server URL {url!r} is not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"server URL {url!r} must start with http:// or https:// and name a host"
    return None
