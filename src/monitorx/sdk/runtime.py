"""The process-wide SDK: ``init``, ``flush``, ``shutdown``, ``stats``, exit and fork hooks.

One :class:`~monitorx.sdk.pipeline.Pipeline` per process at a time. ``init`` replaces an
earlier one (flushing it first). At interpreter exit the pipeline gets at most
``exit_timeout_s`` to send what is queued; after ``fork()`` the child gets its own queues,
connections and sender thread (``os.register_at_fork``) and never re-sends the parent's
events.
"""

from __future__ import annotations

import atexit
import os
import threading

import httpx

from monitorx.sdk import recording
from monitorx.sdk.config import Config, url_problem
from monitorx.sdk.counters import Stats, empty_stats
from monitorx.sdk.host import HostCollector
from monitorx.sdk.logs import logger
from monitorx.sdk.pipeline import Pipeline

_lock = threading.RLock()
_pipeline: Pipeline | None = None
_collector: HostCollector | None = None
_hooks_installed = False


def current_config() -> Config | None:
    """The configuration given to :func:`init`, if recording is on."""
    with _lock:
        return None if _pipeline is None else _pipeline.config


def init(
    url: str | None = None,
    api_key: str | None = None,
    *,
    environment: str = "prod",
    batch_size: int = 1000,
    flush_interval_s: float = 1.0,
    max_queue: int = 100_000,
    max_buffer_events: int = 100_000,
    max_retries: int | None = None,
    backoff_base_s: float = 0.5,
    backoff_max_s: float = 30.0,
    breaker_failures: int = 5,
    breaker_reset_s: float = 10.0,
    timeout_s: float = 5.0,
    exit_timeout_s: float = 2.0,
    compress: bool = True,
    collect_host: bool = False,
    host_interval_s: float = 10.0,
    transport: httpx.BaseTransport | None = None,
) -> bool:
    """Start sending to a MonitorX server. Returns False (and logs why) when it cannot.

    ``url`` and ``api_key`` default to ``MONITORX_URL`` and ``MONITORX_API_KEY``. A missing
    or unusable URL disables recording with a warning instead of raising, so a model service
    with a bad setting still serves; option values out of range raise ``ValueError``.

    >>> monitorx.init(url="http://127.0.0.1:8000", api_key="mx_...", environment="prod")
    """
    url = url if url is not None else os.environ.get("MONITORX_URL")
    api_key = api_key if api_key is not None else os.environ.get("MONITORX_API_KEY")
    problem = url_problem(url)
    config = Config(
        url=url or "http://invalid",
        api_key=api_key,
        environment=environment,
        batch_size=batch_size,
        flush_interval_s=flush_interval_s,
        max_queue=max_queue,
        max_buffer_events=max_buffer_events,
        max_retries=max_retries,
        backoff_base_s=backoff_base_s,
        backoff_max_s=backoff_max_s,
        breaker_failures=breaker_failures,
        breaker_reset_s=breaker_reset_s,
        timeout_s=timeout_s,
        exit_timeout_s=exit_timeout_s,
        compress=compress,
        collect_host=collect_host,
        host_interval_s=host_interval_s,
    )
    if problem is not None:
        logger.warning("monitorx disabled: %s", problem)
        shutdown()
        return False
    pipeline = Pipeline(config, transport=transport)
    install(pipeline)
    pipeline.start()
    if collect_host:
        _start_collector(pipeline)
    return True


def install(pipeline: Pipeline) -> None:
    """Make ``pipeline`` the one the recording calls feed (an earlier one is shut down).

    ``init`` uses this; tests use it to drive an unstarted pipeline by hand.
    """
    global _pipeline
    _install_hooks()
    with _lock:
        previous = _pipeline
        _pipeline = pipeline
        recording.attach(pipeline.events, pipeline.actuals)
    if previous is not None and previous is not pipeline:
        _stop_collector()
        previous.close(previous.config.exit_timeout_s)


def _start_collector(pipeline: Pipeline) -> None:
    global _collector

    def models() -> list[tuple[str, str]]:
        seen = dict.fromkeys(recording.SERVED)
        seen.update(dict.fromkeys(pipeline.served_models()))
        return list(seen)

    collector = HostCollector(pipeline.resources, pipeline.config.host_interval_s, models)
    with _lock:
        _collector = collector
    collector.start()


def _stop_collector() -> None:
    global _collector
    with _lock:
        collector, _collector = _collector, None
    if collector is not None:
        collector.stop()


def flush(timeout: float = 5.0) -> bool:
    """Send everything recorded so far; True when all of it was settled within ``timeout`` s."""
    pipeline = _pipeline
    return True if pipeline is None else pipeline.flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush (at most ``timeout`` s, default ``exit_timeout_s``) and stop; recording becomes a no-op."""
    global _pipeline
    with _lock:
        pipeline, _pipeline = _pipeline, None
        recording.attach(None, None)
    _stop_collector()
    return True if pipeline is None else pipeline.close(timeout)


def delivery_stats() -> Stats:
    """Queued, sent, retried, dropped (by reason), failed batches and the breaker's state."""
    pipeline = _pipeline
    return empty_stats() if pipeline is None else pipeline.stats()


def current() -> Pipeline | None:
    return _pipeline


def _at_exit() -> None:
    pipeline = _pipeline
    if pipeline is not None:
        _stop_collector()
        pipeline.close(pipeline.config.exit_timeout_s)


def _after_fork_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # the parent's may have been held by a thread that is gone here
    recording.renew_ids()
    pipeline = _pipeline
    if pipeline is not None:
        pipeline.after_fork_in_child()
        recording.attach(pipeline.events, pipeline.actuals)
    if _collector is not None:
        _collector.after_fork_in_child()


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    os.register_at_fork(after_in_child=_after_fork_in_child)
