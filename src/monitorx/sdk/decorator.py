"""``@monitorx.monitor``: time a prediction function and record it, sync or async.

The wrapped function returns what it returned and raises what it raised (the same
exception object, re-raised with ``raise``); MonitorX being down, slow or not initialised
changes nothing but whether an event is queued. What is recorded:

- latency (``perf_counter`` around the call), the wall-clock start as the timestamp;
- on an ``Exception``, ``error=True`` and its class name; ``BaseException`` that is not an
  ``Exception`` (cancellation, ``KeyboardInterrupt``) is control flow, not a model error, and
  is not recorded;
- the features: the argument named ``features`` if there is one, else the first argument
  (after ``self``/``cls``), or the argument you name; kept only if it is a mapping;
- the return value as the prediction, and a generated ``prediction_id`` that
  :func:`monitorx.last_prediction_id` returns right after the call.

A generator function is timed until it returns its generator, not until it is exhausted:
use ``monitorx.trace`` around the consumption of a stream instead.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from time import perf_counter, time
from typing import Any, ParamSpec, TypeVar, cast

from monitorx.sdk.recording import HOT, LAST_ID, serve
from monitorx.sdk.records import SINGLE

P = ParamSpec("P")
R = TypeVar("R")


def monitor(
    model: str,
    version: str | None = None,
    *,
    environment: str | None = None,
    features: bool | str = True,
    capture_prediction: bool = True,
    tags: Mapping[str, str] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record every call of the decorated function as an inference of ``model``.

    >>> @monitorx.monitor(model="fraud", version="3")
    ... def predict(features: dict) -> float: ...
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        serve(model, version)
        index, name = _feature_argument(fn, features)

        def record(start_wall: float, latency_ms: float, error_type: str | None, args: tuple[Any, ...],
                   kwargs: dict[str, Any], result: object) -> None:  # fmt: skip
            channel = HOT.events
            if channel is None:
                return
            try:
                if index is not None and index < len(args):
                    captured = args[index]
                elif name is not None:
                    captured = kwargs.get(name)
                else:
                    captured = None
                prediction_id = HOT.next_id()
                channel.append(
                    (
                        SINGLE, start_wall, model, version, environment, latency_ms,
                        error_type is not None, error_type, prediction_id, captured,
                        result if capture_prediction else None, tags,
                        None, None, None, None, None, None,
                    )
                )  # fmt: skip
                channel.tick()
                LAST_ID.set(prediction_id)
            except Exception:  # noqa: S110 - recording must never fail the caller's call
                pass

        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[..., Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                if HOT.events is None:
                    return await async_fn(*args, **kwargs)
                start_wall = time()
                start = perf_counter()
                try:
                    result = await async_fn(*args, **kwargs)
                except Exception as exc:
                    latency_ms = (perf_counter() - start) * 1000.0
                    record(start_wall, latency_ms, exc.__class__.__name__, args, kwargs, None)
                    raise
                record(start_wall, (perf_counter() - start) * 1000.0, None, args, kwargs, result)
                return result

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if HOT.events is None:
                return fn(*args, **kwargs)
            start_wall = time()
            start = perf_counter()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                latency_ms = (perf_counter() - start) * 1000.0
                record(start_wall, latency_ms, exc.__class__.__name__, args, kwargs, None)
                raise
            record(start_wall, (perf_counter() - start) * 1000.0, None, args, kwargs, result)
            return result

        return wrapper

    return decorate


def _feature_argument(fn: Callable[..., Any], features: bool | str) -> tuple[int | None, str | None]:
    """Which argument holds the features: (position, keyword name), decided once at decoration."""
    if features is False:
        return None, None
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return (0, None) if features is True else (None, features)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    chosen: inspect.Parameter | None = None
    if isinstance(features, str):
        chosen = next((p for p in params if p.name == features), None)
        if chosen is None:
            return None, features
    else:
        chosen = next((p for p in params if p.name == "features"), None)
        if chosen is None:
            candidates = [p for p in params if p.kind in positional]
            if candidates and candidates[0].name in ("self", "cls"):
                candidates = candidates[1:]
            chosen = candidates[0] if candidates else None
    if chosen is None:
        return None, None
    index = params.index(chosen) if chosen.kind in positional else None
    name = None if chosen.kind is inspect.Parameter.POSITIONAL_ONLY else chosen.name
    return index, name
