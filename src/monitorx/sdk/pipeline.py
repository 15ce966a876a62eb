"""The background half of the SDK: drain the queues, batch, compress, send, retry.

One daemon thread runs :meth:`Pipeline.step` in a loop. A step

1. drains each channel's queue into a staging list, building the JSON dicts (the work
   the caller's thread never does);
2. cuts batches of ``batch_size`` items, and the remainder once it has waited
   ``flush_interval_s`` (or at once when a flush was asked for); each gets a fresh batch id
   and is gzip-compressed into the pending buffer;
3. sends pending batches oldest first until one fails: a failed batch keeps its id and
   waits for its retry time at the head of the buffer (see ``delivery.py`` for the rules),
   while later steps keep draining the queues, so a dead server fills the bounded buffer
   (oldest batches dropped and counted beyond it), never the caller's memory or time.

Tests drive :meth:`step` directly with an injected clock and an ``httpx.MockTransport``;
no thread is needed for that.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable

import httpx

from monitorx.sdk.backoff import Backoff
from monitorx.sdk.breaker import CircuitBreaker
from monitorx.sdk.channel import Channel
from monitorx.sdk.config import Config
from monitorx.sdk.counters import Counters, DropReason, Stats
from monitorx.sdk.delivery import Batch, DeliveryPolicy, Verdict, encode, split
from monitorx.sdk.events import Event, EventBuilder, InvalidRecord, build_actual
from monitorx.sdk.logs import RateLimitedLog
from monitorx.sdk.records import Record

USER_AGENT = "monitorx-python-sdk"
POLL_S = 0.05  # how often the sender looks at the queues: bounds how long a full batch waits
RESOURCE_QUEUE = 1000  # host samples waiting to be sent (one every few seconds)


def http_client(config: Config, transport: httpx.BaseTransport | None, timeout_s: float | None = None) -> httpx.Client:
    headers = {"User-Agent": USER_AGENT}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    return httpx.Client(
        base_url=config.url,
        headers=headers,
        timeout=config.timeout_s if timeout_s is None else timeout_s,
        transport=transport,
    )


class Pipeline:
    def __init__(
        self,
        config: Config,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._clock = clock
        self._transport = transport
        self._rng = rng if rng is not None else random.Random()
        self._log = RateLimitedLog(clock=clock)
        self.events = Channel("events", "/api/v1/events", "events", config.max_queue)
        self.actuals = Channel("actuals", "/api/v1/actuals", "actuals", config.max_queue)
        self.resources = Channel("resources", "/api/v1/resources", "samples", RESOURCE_QUEUE)
        self.channels = (self.events, self.actuals, self.resources)
        self._builder = EventBuilder(config.environment)
        self._poll_s = min(POLL_S, config.flush_interval_s)
        self._thread: threading.Thread | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._staged: dict[str, list[Event]] = {ch.name: [] for ch in self.channels}
        self._staged_since: dict[str, float] = {}
        self._pending: deque[Batch] = deque()
        self._pending_items = 0
        self._seq = 0
        self.counters = Counters()
        breaker = CircuitBreaker(self.config.breaker_failures, self.config.breaker_reset_s, self._clock)
        backoff = Backoff(self.config.backoff_base_s, self.config.backoff_max_s, self._rng)
        self.policy = DeliveryPolicy(backoff, breaker, self.config.max_retries, self._log)
        self._http = http_client(self.config, self._transport)
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._flush_requested = 0
        self._flush_served = 0
        self._flush_mark = 0
        self._lowest_pending = math.inf
        self._stopping = False
        self._closed = False
        self._deadline: float | None = None

    # -- the sender's loop -------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None or self._closed:
            return
        self._thread = threading.Thread(target=self._run, name="monitorx-sender", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while True:
            try:
                wait = self.step()
            except Exception as exc:  # a bug here must not end delivery for the life of the process
                self._log.error("sender-bug", "MonitorX sender error (continuing): %r", exc)
                wait = 1.0
            if self._stopping:
                return
            self._wake.wait(min(max(wait, 0.0), self._poll_s))
            self._wake.clear()

    def step(self) -> float:
        """One round of drain, batch and send. Returns the seconds until a retry is due."""
        with self._cond:
            request = self._flush_requested
        forced = request > self._flush_served
        now = self._clock()
        self._stage(now)
        self._cut(now, forced=forced)
        mark = self._seq  # every batch holding a record from before the request is <= mark
        wait = self._deliver(forced=forced)
        self.counters.dropped[DropReason.QUEUE_FULL] = sum(ch.dropped() for ch in self.channels)
        with self._cond:  # published together: a waiter must never see the mark without the buffer
            if forced:
                self._flush_mark = mark
                self._flush_served = request
            self._lowest_pending = self._pending[0].seq if self._pending else math.inf
            self._cond.notify_all()
        return wait

    # -- staging and batching --------------------------------------------------------

    def _stage(self, now: float) -> None:
        for channel in self.channels:
            records = channel.drain()
            if not records:
                continue
            staged = self._staged[channel.name]
            if not staged:
                self._staged_since[channel.name] = now
            for record in records:
                self._build(channel, record, staged)

    def _build(self, channel: Channel, record: Record, staged: list[Event]) -> None:
        try:
            if channel is self.events:
                self._builder.build(record, staged)
            elif channel is self.actuals:
                staged.append(build_actual(record))
            else:
                staged.append(record[0])
        except InvalidRecord as exc:
            self.counters.drop(DropReason.INVALID, 1)
            self._log.warning(f"invalid-{exc.field}", "MonitorX dropped an invalid %s record: %s", channel.name, exc)
        except Exception as exc:
            self.counters.drop(DropReason.ENCODE_ERROR, 1)
            self._log.warning("encode", "MonitorX could not encode a %s record: %r", channel.name, exc)

    def _cut(self, now: float, *, forced: bool) -> None:
        size = self.config.batch_size
        for channel in self.channels:
            staged = self._staged[channel.name]
            if not staged:
                continue
            due = forced or now - self._staged_since[channel.name] >= self.config.flush_interval_s
            start = 0
            while len(staged) - start >= size:
                self._enqueue(channel, staged[start : start + size])
                start += size
            if due and start < len(staged):
                self._enqueue(channel, staged[start:])
                start = len(staged)
            if start:
                del staged[:start]
                self._staged_since[channel.name] = now

    def _enqueue(self, channel: Channel, items: list[Event]) -> None:
        self._seq += 1
        try:
            batch = encode(channel.path, channel.key, items, compress=self.config.compress, seq=self._seq)
        except (TypeError, ValueError) as exc:
            self.counters.drop(DropReason.ENCODE_ERROR, len(items))
            self.counters.failed_batches += 1
            self._log.error("encode", "MonitorX could not encode a batch of %d: %r", len(items), exc)
            return
        self._pending.append(batch)
        self._pending_items += batch.items
        while self._pending_items > self.config.max_buffer_events and len(self._pending) > 1:
            oldest = self._pending.popleft()
            self._pending_items -= oldest.items
            self.counters.drop(DropReason.BUFFER_FULL, oldest.items)
            self.counters.failed_batches += 1
            self._log.warning(
                "buffer-full",
                "MonitorX buffer full (%d items unsent); dropped the oldest batch of %d",
                self._pending_items,
                oldest.items,
            )

    # -- delivery ------------------------------------------------------------------------

    def _deliver(self, *, forced: bool) -> float:
        while self._pending:
            batch = self._pending[0]
            now = self._clock()
            if self._deadline is not None and now >= self._deadline:
                return math.inf
            if not forced and batch.not_before > now:
                return batch.not_before - now
            if not self.policy.may_send():
                return self.policy.seconds_until_probe()
            if batch.attempts:
                self.counters.retried += 1
            outcome = self.policy.judge(batch, self._post(batch))
            if outcome.verdict is Verdict.SENT:
                self._settle(batch)
                self.counters.sent += batch.items
                self.counters.batches_sent += 1
            elif outcome.verdict is Verdict.REJECTED:
                self._settle(batch)
                self.counters.drop(DropReason.REJECTED, batch.items)
                self.counters.failed_batches += 1
            elif outcome.verdict is Verdict.SPLIT:
                self._settle(batch)
                try:
                    parts = split(batch)
                except (TypeError, ValueError, KeyError, OSError):
                    self.counters.drop(DropReason.REJECTED, batch.items)
                    self.counters.failed_batches += 1
                    continue
                for part in reversed(parts):
                    self._pending.appendleft(part)
                    self._pending_items += part.items
            elif self.policy.exhausted(batch):
                self._settle(batch)
                self.counters.drop(DropReason.RETRIES_EXHAUSTED, batch.items)
                self.counters.failed_batches += 1
            else:
                batch.not_before = self._clock() + outcome.delay_s
                return outcome.delay_s
        return math.inf

    def _settle(self, batch: Batch) -> None:
        self._pending.popleft()
        self._pending_items -= batch.items

    def _post(self, batch: Batch) -> httpx.Response | Exception:
        timeout = self.config.timeout_s
        if self._deadline is not None:  # exiting: never hold the interpreter past its bound
            timeout = max(0.05, min(timeout, self._deadline - self._clock()))
        try:
            return self._http.post(batch.path, content=batch.body, headers=batch.headers, timeout=timeout)
        except Exception as exc:  # httpx.TransportError and anything a custom transport raises
            return exc

    # -- control, from any thread -----------------------------------------------------

    def flush(self, timeout: float = 5.0) -> bool:
        """Send everything recorded before this call; True when it was all settled in time.

        Settled means acknowledged by the server, or dropped and counted (rejected, say).
        Never raises; waits at most ``timeout`` seconds.
        """
        if self._thread is None or not self._thread.is_alive():
            with self._cond:
                self._flush_requested += 1
            self.step()  # no sender thread (tests, or after close): one forced round, here
            return not self._pending and not any(self._staged.values())
        if threading.current_thread() is self._thread:
            return False
        with self._cond:
            self._flush_requested += 1
            mine = self._flush_requested
        self._wake.set()
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._cond:
            while not (self._flush_served >= mine and self._lowest_pending > self._flush_mark):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush for at most ``timeout`` seconds (default ``exit_timeout_s``), then stop the sender."""
        if self._closed:
            return True
        budget = self.config.exit_timeout_s if timeout is None else max(timeout, 0.0)
        started = time.monotonic()
        self._deadline = self._clock() + budget
        done = self.flush(budget)
        self._closed = True
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(max(0.0, budget - (time.monotonic() - started)))
        if thread is None or not thread.is_alive():
            # The sender is gone (or never ran): what is left will not be sent.
            left = sum(len(ch.queue) for ch in self.channels)
            left += sum(len(items) for items in self._staged.values()) + self._pending_items
            if left:
                self.counters.drop(DropReason.SHUTDOWN, left)
                self._log.warning("shutdown", "MonitorX shut down with %d unsent item(s)", left)
            self._http.close()
        return done

    def stats(self) -> Stats:
        queued = sum(len(ch.queue) for ch in self.channels)
        queued += sum(len(items) for items in list(self._staged.values())) + self._pending_items
        return self.counters.snapshot(queued=queued, breaker=self.policy.breaker_state)

    def served_models(self) -> list[tuple[str, str]]:
        return list(self._builder.seen_models)

    def after_fork_in_child(self) -> None:
        """A forked child gets its own empty queues, connections, counters and sender thread.

        The parent's records and unsent batches stay the parent's; the child's copies of the
        parent's locks may be held by a thread that does not exist here, so all are new.
        """
        was_running = self._thread is not None and not self._stopping
        for channel in self.channels:
            channel.reset()
        self._rng.seed()
        self._reset_state()  # abandons (does not close) the parent's connections: they are shared sockets
        self._thread = None
        if was_running:
            self.start()
