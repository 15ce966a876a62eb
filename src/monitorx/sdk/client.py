"""``MonitorXClient``: the original MonitorX client API (async), on the SDK's delivery rules.

It keeps the old surface (``collect_inference_metric``, ``collect_inference_metrics_batch``,
``enable_buffering``/``disable_buffering``, ``flush_buffer``, ``get_buffer_size``) and speaks
the v1 wire contract through the same code as the background sender: ``EventBuilder`` for
the JSON, ``delivery.encode`` for the batch and its id, ``DeliveryPolicy`` for retry,
backoff and the circuit breaker. Only the waiting differs: here it is ``await sleep``.

Unbuffered (the default) a call sends at once and returns whether the server took it;
buffered, calls only queue and ``flush_buffer`` sends. A batch that still fails after
``max_retries`` retries (or while the breaker is open) is kept, with its batch id, for the
next ``flush_buffer``, up to ``buffer_size`` items; beyond that the oldest are dropped and
counted in :meth:`stats`. Nothing here raises because the server is down.

>>> async with MonitorXClient("http://127.0.0.1:8000", api_key="mx_...") as client:
...     await client.collect_inference_metric("fraud", "classification", latency=12.5)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from monitorx.sdk.backoff import Backoff
from monitorx.sdk.breaker import CircuitBreaker
from monitorx.sdk.counters import Counters, DropReason, Stats
from monitorx.sdk.delivery import Batch, DeliveryPolicy, Verdict, encode, split
from monitorx.sdk.events import Event, EventBuilder, InvalidRecord
from monitorx.sdk.logs import RateLimitedLog
from monitorx.sdk.pipeline import USER_AGENT
from monitorx.sdk.records import SINGLE, Record

EVENTS_PATH = "/api/v1/events"


class MonitorXClient:
    def __init__(
        self,
        base_url: str = "http://localhost:8000",
        api_key: str | None = None,
        max_retries: int = 3,
        retry_backoff: float = 1.0,
        enable_circuit_breaker: bool = True,
        buffer_size: int = 1000,
        *,
        timeout: float = 30.0,
        environment: str = "prod",
        batch_size: int = 1000,
        compress: bool = True,
        breaker_failures: int = 5,
        breaker_reset_s: float = 60.0,
        backoff_max_s: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if buffer_size < 1 or batch_size < 1:
            raise ValueError("buffer_size and batch_size must be >= 1")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.buffer_size = buffer_size
        self.batch_size = batch_size
        self.compress = compress
        self.buffer_enabled = False
        self.counters = Counters()
        breaker = CircuitBreaker(breaker_failures, breaker_reset_s, clock) if enable_circuit_breaker else None
        self.circuit_breaker = breaker
        self._policy = DeliveryPolicy(
            Backoff(retry_backoff, backoff_max_s, rng), breaker, max_retries, RateLimitedLog(clock=clock)
        )
        self._builder = EventBuilder(environment)
        self._buffer: deque[Record] = deque()
        self._parked: deque[Batch] = deque()  # failed batches, kept with their ids for the next flush
        self._parked_items = 0
        self._transport = transport
        self._sleep = sleep
        self._http: httpx.AsyncClient | None = None

    # -- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> MonitorXClient:
        self._client()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self.get_buffer_size():
                await self.flush_buffer()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            headers = {"User-Agent": USER_AGENT}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            self._http = httpx.AsyncClient(
                base_url=self.base_url, headers=headers, timeout=self.timeout, transport=self._transport
            )
        return self._http

    # -- buffering ------------------------------------------------------------------------

    def enable_buffering(self) -> None:
        self.buffer_enabled = True

    def disable_buffering(self) -> None:
        self.buffer_enabled = False

    def get_buffer_size(self) -> int:
        return len(self._buffer) + self._parked_items

    def stats(self) -> Stats:
        return self.counters.snapshot(queued=self.get_buffer_size(), breaker=self._policy.breaker_state)

    # -- collecting -----------------------------------------------------------------------

    async def collect_inference_metric(
        self,
        model_id: str,
        model_type: str,
        latency: float | None,
        request_id: str | None = None,
        *,
        version: str | None = None,
        environment: str | None = None,
        error: bool | BaseException | str | None = False,
        error_type: str | None = None,
        features: Mapping[str, object] | None = None,
        prediction: object = None,
        prediction_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        timestamp: float | datetime | str | None = None,
        **legacy: object,
    ) -> bool:
        """Record one inference (``latency`` in ms). True when sent (or buffered, when buffering).

        ``model_type`` travels as the tag ``model_type``; ``request_id`` is the old name of
        ``prediction_id``. The old ``throughput``, ``error_rate`` and ``resource_usage``
        arguments are accepted and ignored: the server computes rates, and host readings come
        from the host collector (``monitorx.init(collect_host=True)``).
        """
        record = _record(
            model_id, model_type, latency, prediction_id or request_id, version, environment, error,
            error_type, features, prediction, tags, timestamp,
        )  # fmt: skip
        if self.buffer_enabled:
            self._buffer_records([record])
            return True
        sent, _ = await self._send_records([record])
        return sent == 1

    async def collect_inference_metrics_batch(self, metrics: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Record many inferences in one request; each dict takes the arguments of
        :meth:`collect_inference_metric` by name. Returns ``{"success": n, "failed": m}``."""
        records: list[Record] = []
        failed = 0
        for metric in metrics:
            try:
                records.append(
                    _record(
                        metric["model_id"], metric.get("model_type", "other"), metric.get("latency"),
                        metric.get("prediction_id") or metric.get("request_id"), metric.get("version"),
                        metric.get("environment"), metric.get("error", False), metric.get("error_type"),
                        metric.get("features"), metric.get("prediction"), metric.get("tags"),
                        metric.get("timestamp"),
                    )
                )  # fmt: skip
            except (KeyError, TypeError, AttributeError):
                failed += 1
                self.counters.drop(DropReason.INVALID, 1)
        if self.buffer_enabled:
            self._buffer_records(records)
            return {"success": len(records), "failed": failed}
        sent, not_sent = await self._send_records(records)
        return {"success": sent, "failed": failed + not_sent}

    async def flush_buffer(self) -> dict[str, int]:
        """Send what is buffered (first the batches that failed before, with their ids).

        Returns ``{"flushed": n, "failed": m}``; what failed stays buffered, within the bound.
        """
        flushed = failed = 0
        parked, self._parked, self._parked_items = list(self._parked), deque(), 0
        for batch in parked:
            batch.attempts = 0
            if await self._deliver(batch):
                flushed += batch.items
            else:
                failed += batch.items
        records = list(self._buffer)
        self._buffer.clear()
        sent, not_sent = await self._send_records(records)
        return {"flushed": flushed + sent, "failed": failed + not_sent}

    def _buffer_records(self, records: list[Record]) -> None:
        for record in records:
            if len(self._buffer) + self._parked_items >= self.buffer_size:
                if self._buffer:
                    self._buffer.popleft()
                    self.counters.drop(DropReason.BUFFER_FULL, 1)
                else:
                    self._drop_oldest_parked()
            self._buffer.append(record)

    # -- delivery (the rules live in delivery.DeliveryPolicy) ----------------------------

    async def _send_records(self, records: list[Record]) -> tuple[int, int]:
        events: list[Event] = []
        invalid = 0
        for record in records:
            try:
                self._builder.build(record, events)
            except InvalidRecord:
                invalid += 1
                self.counters.drop(DropReason.INVALID, 1)
        sent = failed = 0
        for start in range(0, len(events), self.batch_size):
            try:
                chunk = events[start : start + self.batch_size]
                batch = encode(EVENTS_PATH, "events", chunk, compress=self.compress)
            except (TypeError, ValueError):
                failed += min(self.batch_size, len(events) - start)
                continue
            if await self._deliver(batch):
                sent += batch.items
            else:
                failed += batch.items
        return sent, failed + invalid

    async def _deliver(self, batch: Batch) -> bool:
        while True:
            if not self._policy.may_send():
                self._park(batch)
                return False
            if batch.attempts:
                self.counters.retried += 1
            try:
                result: httpx.Response | Exception = await self._client().post(
                    batch.path, content=batch.body, headers=batch.headers
                )
            except Exception as exc:
                result = exc
            outcome = self._policy.judge(batch, result)
            if outcome.verdict is Verdict.SENT:
                self.counters.sent += batch.items
                self.counters.batches_sent += 1
                return True
            if outcome.verdict is Verdict.REJECTED:
                self.counters.drop(DropReason.REJECTED, batch.items)
                self.counters.failed_batches += 1
                return False
            if outcome.verdict is Verdict.SPLIT:
                results = [await self._deliver(part) for part in split(batch)]
                return all(results)
            if self._policy.exhausted(batch):
                self._park(batch)
                return False
            await self._sleep(outcome.delay_s)

    def _park(self, batch: Batch) -> None:
        self._parked.append(batch)
        self._parked_items += batch.items
        while self.get_buffer_size() > self.buffer_size:
            if self._buffer:
                self._buffer.popleft()
                self.counters.drop(DropReason.BUFFER_FULL, 1)
            elif len(self._parked) > 1:
                self._drop_oldest_parked()
            else:
                break

    def _drop_oldest_parked(self) -> None:
        oldest = self._parked.popleft()
        self._parked_items -= oldest.items
        self.counters.drop(DropReason.BUFFER_FULL, oldest.items)
        self.counters.failed_batches += 1


def _record(
    model_id: object,
    model_type: object,
    latency: object,
    prediction_id: object,
    version: object,
    environment: object,
    error: object,
    error_type: object,
    features: object,
    prediction: object,
    tags: object,
    timestamp: object,
) -> Record:
    merged: dict[str, object] = dict(tags) if isinstance(tags, Mapping) else {}
    if model_type is not None:
        merged.setdefault("model_type", str(model_type))
    return (
        SINGLE, time.time() if timestamp is None else timestamp, model_id, version, environment, latency,
        error, error_type, prediction_id, features, prediction, merged,
        None, None, None, None, None, None,
    )  # fmt: skip
