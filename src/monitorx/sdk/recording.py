"""The caller's side: record an inference, a late actual, or read the last prediction id.

Everything here runs on the model's own thread, so it does as little as Python allows:
read the clock, build one tuple, ``deque.append`` it, advance a counter. No lock, no I/O,
no dict, no validation (the sender thread does all of that, see ``events.py``), and any
failure is swallowed: recording must never change what the user's code does.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from time import time

from monitorx.sdk.channel import Channel
from monitorx.sdk.records import SINGLE, prediction_id_text


def _id_counter() -> Callable[[], int]:
    # A random 62-bit start per process: ids from different processes (and from a forked
    # child) do not collide, and formatting waits for the sender thread (16 hex digits).
    return itertools.count(random.SystemRandom().getrandbits(62)).__next__


class _Hot:
    """The few things the hot path reads: one attribute load each."""

    __slots__ = ("actuals", "events", "next_id")

    def __init__(self) -> None:
        self.events: Channel | None = None
        self.actuals: Channel | None = None
        self.next_id: Callable[[], int] = _id_counter()


HOT = _Hot()
LAST_ID: ContextVar[int | str | None] = ContextVar("monitorx_last_prediction_id", default=None)
SERVED: dict[tuple[str, str], None] = {}  # (model, version) seen by @monitor, trace() and wrap()


def attach(events: Channel | None, actuals: Channel | None) -> None:
    HOT.events = events
    HOT.actuals = actuals


def renew_ids() -> None:
    """After fork: the child draws its own id range."""
    HOT.next_id = _id_counter()


def serve(model: str, version: str | None) -> None:
    SERVED[(model, "default" if version is None else version)] = None


def log(
    model: str,
    latency_ms: float | None = None,
    error: bool | BaseException | str | None = False,
    tags: Mapping[str, str] | None = None,
    *,
    version: str | None = None,
    environment: str | None = None,
    features: Mapping[str, object] | None = None,
    prediction: object = None,
    prediction_id: str | None = None,
    timestamp: float | datetime | str | None = None,
    error_type: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    ttft_ms: float | None = None,
    cost_usd: float | None = None,
    provider: str | None = None,
    llm_model: str | None = None,
) -> None:
    """Record one inference measured by the caller.

    ``error`` is a bool, the exception itself (its class name becomes ``error_type``) or
    an error type name. Dicts are kept by reference until the sender thread serialises
    them (within about ``flush_interval_s``): do not mutate them after the call.

    >>> monitorx.log(model="fraud", latency_ms=12.5, error=False, tags={"region": "eu"})
    """
    channel = HOT.events
    if channel is None:
        return
    try:
        channel.append(
            (
                SINGLE, time() if timestamp is None else timestamp, model, version, environment,
                latency_ms, error, error_type, prediction_id, features, prediction, tags,
                input_tokens, output_tokens, ttft_ms, cost_usd, provider, llm_model,
            )
        )  # fmt: skip
        channel.tick()
    except Exception:  # noqa: S110 - recording must never fail the caller's call
        pass


def log_actual(prediction_id: str, actual: object, *, timestamp: float | datetime | str | None = None) -> None:
    """Record the ground truth for an earlier prediction (minutes to weeks later).

    >>> monitorx.log_actual(prediction_id, 1)
    """
    channel = HOT.actuals
    if channel is None:
        return
    try:
        channel.append((prediction_id, actual, time() if timestamp is None else timestamp))
        channel.tick()
    except Exception:  # noqa: S110 - recording must never fail the caller's call
        pass


def last_prediction_id() -> str | None:
    """The prediction id of the last call recorded by ``@monitor`` in this thread or task.

    Pass it to :func:`log_actual` when the truth arrives.
    """
    return prediction_id_text(LAST_ID.get())
