"""One HTTP POST to a user-entered URL: resolved and checked once, sent to that address, no redirects."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

import httpx

from monitorx.services.alerting.channels.base import Outcome, SendContext
from monitorx.services.alerting.ssrf import Refused, target

MAX_RESPONSE_BYTES = 4096  # receivers are untrusted: keep what the log needs, not what they send
USER_AGENT = "MonitorX-Alerting/1"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def post(url: str, body: bytes, headers: Mapping[str, str], ctx: SendContext) -> Outcome:
    """POST ``body``; 2xx is success, 429/5xx/timeouts may be retried, anything else may not."""
    try:
        t = target(url, ctx.allow)
    except Refused as exc:
        return Outcome(False, retryable=False, error=str(exc))
    parsed = httpx.URL(url)
    default_port = 443 if t.scheme == "https" else 80
    host_header = t.host if t.port == default_port else f"{t.host}:{t.port}"
    pinned = parsed.copy_with(host=t.address, port=t.port)
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
        "Host": host_header,
    }
    try:
        # trust_env=False: no proxy from the environment may carry the request somewhere unchecked.
        with (
            httpx.Client(timeout=ctx.timeout_s, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", pinned, content=body, headers=all_headers, extensions={"sni_hostname": t.host}
            ) as resp,
        ):
            text = _read_some(resp)
            status = resp.status_code
            retry_after = _retry_after(resp.headers.get("retry-after"))
    except httpx.TimeoutException as exc:
        return Outcome(False, retryable=True, error=f"timed out after {ctx.timeout_s:g}s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return Outcome(False, retryable=True, error=f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return Outcome(True, status=status, response=text)
    retryable = status == 429 or status >= 500 or status == 408
    why = "redirects are not followed" if 300 <= status < 400 else f"HTTP {status}"
    return Outcome(False, retryable=retryable, status=status, response=text, error=why, retry_after=retry_after)


def _read_some(resp: httpx.Response) -> str:
    got = b""
    for chunk in resp.iter_bytes():
        got += chunk
        if len(got) >= MAX_RESPONSE_BYTES:
            break
    return got[:MAX_RESPONSE_BYTES].decode("utf-8", "replace")
