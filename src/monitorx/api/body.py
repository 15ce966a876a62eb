"""Reading request bodies ourselves: size limits before parsing, gzip with a bound."""

from __future__ import annotations

import zlib

from fastapi import Request

from monitorx.errors import InvalidInput, PayloadTooLarge


class InvalidEncoding(InvalidInput):
    status = 400


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").lower().strip()
    if encoding in ("", "identity"):
        return body
    if encoding != "gzip":
        raise InvalidEncoding(f"Content-Encoding '{encoding}' is not supported; send gzip or nothing")
    # Bound the decompressed size too: a small gzip bomb must not exhaust memory.
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise InvalidEncoding(f"the body is not valid gzip: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(f"the decompressed body is over the limit of {limit} bytes")
    if not inflater.eof:
        raise InvalidEncoding("the gzip body is truncated")
    return out
