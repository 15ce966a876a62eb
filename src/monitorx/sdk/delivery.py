"""The judgement of one POST of a batch: sent, try again (and when), split, or give up.

This is the one place that knows the retry rules, shared by the background sender
(which parks a batch until its retry time and keeps draining the queue meanwhile) and the
async :class:`~monitorx.sdk.client.MonitorXClient` (which awaits the delay). They differ only
in how they wait, so the rules are written once, here:

- 2xx: sent (``duplicate: true`` too: the server already has it).
- network error, timeout, 408, 5xx: retry with full-jitter backoff; counts towards the breaker.
- 429: retry after ``Retry-After`` (or backoff when absent); the server is alive, so the breaker
  is not charged.
- 413 with more than one item: split in halves (new batch ids are safe: nothing was stored).
- any other status: rejected, retrying cannot help; logged once per status and dropped.

A batch keeps its ``batch_id`` across every retry, so a retry of a batch the server did
store (the answer was lost) is a no-op there: events are stored exactly once.
"""

from __future__ import annotations

import gzip
import importlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import httpx

from monitorx.sdk.backoff import Backoff, retry_after_s
from monitorx.sdk.breaker import BreakerState, CircuitBreaker
from monitorx.sdk.logs import RateLimitedLog


@dataclass(eq=False)
class Batch:
    """An encoded body ready to POST, with its delivery state."""

    path: str
    batch_id: str
    body: bytes
    items: int
    gzipped: bool
    key: str = "events"  # the list's name in the body: events, samples or actuals
    seq: int = 0  # order of creation, for flush() to know what it waits for
    attempts: int = 0  # failed attempts so far
    not_before: float = 0.0  # clock time before which it should not be retried

    @property
    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.gzipped:
            headers["Content-Encoding"] = "gzip"
        return headers


def _stdlib_dumps(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False, default=str).encode()


def _find_dumps() -> Callable[[dict[str, object]], bytes]:
    """orjson when the service has it (about 10x faster, and this runs on the GIL the model
    shares); the standard library otherwise. Imported here, never at ``import monitorx``."""
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        return _stdlib_dumps

    def dumps(payload: dict[str, object]) -> bytes:
        try:
            encoded: bytes = orjson.dumps(payload, default=str)
        except TypeError:  # e.g. an integer beyond 64 bits: the standard library takes those
            return _stdlib_dumps(payload)
        return encoded

    return dumps


_dumps: Callable[[dict[str, object]], bytes] | None = None


def encode(path: str, key: str, items: list[dict[str, object]], *, compress: bool, seq: int = 0) -> Batch:
    """Serialise items under a fresh batch id. Raises ``ValueError``/``TypeError`` if it cannot."""
    global _dumps
    if _dumps is None:
        _dumps = _find_dumps()
    batch_id = str(uuid.uuid4())
    raw = _dumps({"batch_id": batch_id, key: items})
    # Level 1: most of gzip's gain on repetitive JSON for a fraction of its CPU, which
    # matters because the sender thread shares the GIL with the model.
    body = gzip.compress(raw, compresslevel=1, mtime=0) if compress else raw
    return Batch(path, batch_id, body, len(items), gzipped=compress, key=key, seq=seq)


def split(batch: Batch) -> list[Batch]:
    """Two batches with half the items each (after a 413), in order, with new ids."""
    raw = gzip.decompress(batch.body) if batch.gzipped else batch.body
    items = json.loads(raw)[batch.key]
    half = len(items) // 2
    return [
        encode(batch.path, batch.key, part, compress=batch.gzipped, seq=batch.seq)
        for part in (items[:half], items[half:])
    ]


class Verdict(Enum):
    SENT = "sent"
    RETRY = "retry"
    SPLIT = "split"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Outcome:
    verdict: Verdict
    delay_s: float = 0.0
    detail: str = ""


Result = httpx.Response | Exception


class DeliveryPolicy:
    def __init__(
        self,
        backoff: Backoff,
        breaker: CircuitBreaker | None,
        max_retries: int | None,
        log: RateLimitedLog,
    ) -> None:
        if max_retries is not None and max_retries < 0:
            raise ValueError("max_retries must be >= 0 or None")
        self.backoff = backoff
        self.breaker = breaker
        self.max_retries = max_retries
        self._log = log

    @property
    def breaker_state(self) -> str:
        return "disabled" if self.breaker is None else str(self.breaker.state)

    def may_send(self) -> bool:
        return self.breaker is None or self.breaker.allow()

    def seconds_until_probe(self) -> float:
        return 0.0 if self.breaker is None else self.breaker.seconds_until_probe()

    def exhausted(self, batch: Batch) -> bool:
        """True when the batch has failed more than ``max_retries`` retries allow."""
        return self.max_retries is not None and batch.attempts > self.max_retries

    def judge(self, batch: Batch, result: Result) -> Outcome:
        if isinstance(result, Exception):
            return self._failed(batch, f"{type(result).__name__}: {result}", charge_breaker=True)
        status = result.status_code
        if 200 <= status < 300:
            if self.breaker is not None:
                if self.breaker.state is not BreakerState.CLOSED:
                    self._log.info("recovered", "MonitorX server reachable again; sending resumes")
                self.breaker.record_success()
            return Outcome(Verdict.SENT)
        if status == 429:
            wait = retry_after_s(result.headers.get("Retry-After"))
            outcome = self._failed(batch, "429 Too Many Requests", charge_breaker=False)
            if wait is not None:
                outcome = Outcome(Verdict.RETRY, wait, outcome.detail)
            return outcome
        if status == 408 or status >= 500:
            return self._failed(batch, f"HTTP {status}", charge_breaker=True)
        # The server answered, so it is up: this is not the breaker's business.
        if self.breaker is not None:
            self.breaker.record_success()
        if status == 413 and batch.items > 1:
            return Outcome(Verdict.SPLIT, detail="413 Payload Too Large")
        detail = f"HTTP {status}: {_message(result)}"
        self._log.error(
            f"rejected-{status}",
            "MonitorX server rejected a batch of %d item(s) to %s, dropping it: %s",
            batch.items,
            batch.path,
            detail,
        )
        return Outcome(Verdict.REJECTED, detail=detail)

    def _failed(self, batch: Batch, detail: str, *, charge_breaker: bool) -> Outcome:
        batch.attempts += 1
        if charge_breaker and self.breaker is not None:
            was_open = self.breaker.state is not BreakerState.CLOSED
            self.breaker.record_failure()
            if not was_open and self.breaker.state is not BreakerState.CLOSED:
                self._log.warning(
                    "breaker-open",
                    "MonitorX server failing (%s); pausing sends for %.0f s, events are buffered",
                    detail,
                    self.breaker.reset_timeout_s,
                )
        self._log.warning("send-failed", "MonitorX send failed, will retry: %s", detail)
        return Outcome(Verdict.RETRY, self.backoff.delay(batch.attempts), detail)


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        for name in ("message", "detail", "error"):
            if name in body:
                return str(body[name])[:300]
    return str(body)[:300]
