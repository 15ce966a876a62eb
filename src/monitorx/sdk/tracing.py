"""``with monitorx.trace(...)``: record a block of code as one inference, LLM fields too.

>>> with monitorx.trace(model="chat", version="2") as t:
...     t.log_llm(input_tokens=812, output_tokens=120, ttft_ms=230, cost_usd=0.003)

The block's exception (an ``Exception``) is recorded by class name and propagates
unchanged; the trace never suppresses it. ``async with`` works the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from time import perf_counter, time
from types import TracebackType
from typing import Any

from monitorx.sdk.recording import HOT, LAST_ID, serve
from monitorx.sdk.records import SINGLE, prediction_id_text


class Trace:
    __slots__ = (
        "_llm",
        "_prediction_id",
        "_start",
        "_start_wall",
        "environment",
        "error_type",
        "features",
        "model",
        "prediction",
        "tags",
        "version",
    )

    def __init__(
        self,
        model: str,
        version: str | None = None,
        *,
        environment: str | None = None,
        features: Mapping[str, object] | None = None,
        prediction: object = None,
        prediction_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.version = version
        self.environment = environment
        self.features = features
        self.prediction = prediction
        self.tags: Mapping[str, str] | None = tags
        self.error_type: str | None = None
        self._prediction_id: int | str = HOT.next_id() if prediction_id is None else prediction_id
        self._llm: tuple[Any, ...] = (None, None, None, None, None, None)
        self._start = 0.0
        self._start_wall = 0.0

    @property
    def prediction_id(self) -> str:
        text = prediction_id_text(self._prediction_id)
        assert text is not None
        return text

    @prediction_id.setter
    def prediction_id(self, value: str) -> None:
        self._prediction_id = value

    def log_llm(
        self,
        *,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        ttft_ms: float | None = None,
        cost_usd: float | None = None,
        provider: str | None = None,
        llm_model: str | None = None,
    ) -> None:
        """Set the LLM fields; arguments left as None keep what an earlier call set."""
        given = (input_tokens, output_tokens, ttft_ms, cost_usd, provider, llm_model)
        self._llm = tuple(new if new is not None else old for new, old in zip(given, self._llm, strict=True))

    def first_token(self) -> float:
        """Mark the first streamed token now; sets and returns ``ttft_ms`` from the block's start."""
        ttft_ms = (perf_counter() - self._start) * 1000.0
        self.log_llm(ttft_ms=ttft_ms)
        return ttft_ms

    def set_tag(self, key: str, value: str) -> None:
        tags = dict(self.tags) if self.tags else {}
        tags[key] = value
        self.tags = tags

    def __enter__(self) -> Trace:
        serve(self.model, self.version)
        self._start_wall = time()
        self._start = perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        latency_ms = (perf_counter() - self._start) * 1000.0
        if exc_type is not None and not issubclass(exc_type, Exception):
            return  # cancellation or interpreter exit: not an inference
        channel = HOT.events
        if channel is None:
            return
        error_type = self.error_type if exc_type is None else exc_type.__name__
        try:
            channel.append(
                (
                    SINGLE, self._start_wall, self.model, self.version, self.environment, latency_ms,
                    error_type is not None, error_type, self._prediction_id, self.features,
                    self.prediction, self.tags, *self._llm,
                )
            )  # fmt: skip
            channel.tick()
            LAST_ID.set(self._prediction_id)
        except Exception:  # noqa: S110 - recording must never fail the caller's call
            pass

    async def __aenter__(self) -> Trace:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.__exit__(exc_type, exc, tb)


def trace(
    model: str,
    version: str | None = None,
    *,
    environment: str | None = None,
    features: Mapping[str, object] | None = None,
    prediction: object = None,
    prediction_id: str | None = None,
    tags: Mapping[str, str] | None = None,
) -> Trace:
    return Trace(
        model,
        version,
        environment=environment,
        features=features,
        prediction=prediction,
        prediction_id=prediction_id,
        tags=tags,
    )
