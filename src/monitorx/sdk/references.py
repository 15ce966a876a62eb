"""Uploading a reference dataset (e.g. the training data) from a model's code or notebook.

Unlike recording, this is a deliberate, synchronous call: it raises when the upload fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from monitorx.sdk import runtime


class ReferenceUploadError(RuntimeError):
    """The server refused the reference, or could not be reached."""


def _rows(data: Any) -> list[dict[str, Any]]:
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas (or pandas-like) DataFrame
        return list(data.to_dict(orient="records"))
    if isinstance(data, Mapping):  # columns: name -> values
        names = list(data)
        return [dict(zip(names, row, strict=True)) for row in zip(*(data[n] for n in names), strict=True)]
    if isinstance(data, Iterable):
        return [dict(r) for r in data]
    raise TypeError("data must be a DataFrame, a list of row dicts, or a dict of columns")


def _plain(value: Any) -> Any:
    """numpy scalars and NaN as JSON values (NaN is a missing value)."""
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def upload_reference(
    model: str,
    data: Any,
    name: str,
    *,
    url: str | None = None,
    api_key: str | None = None,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """Upload ``data`` (a DataFrame, a list of row dicts, or a dict of columns) as ``model``'s reference.

    It becomes the active reference: drift is measured against it from now on. ``url`` and
    ``api_key`` default to those given to :func:`monitorx.init`, then to ``MONITORX_URL`` /
    ``MONITORX_API_KEY``. Returns the server's description of the stored reference.

    >>> monitorx.upload_reference("fraud", training_df, name="train-2026-11")
    """
    config = runtime.current_config()
    url = url or (config.url if config else None) or os.environ.get("MONITORX_URL")
    api_key = api_key or (config.api_key if config else None) or os.environ.get("MONITORX_API_KEY")
    if not url:
        raise ReferenceUploadError("no server URL: pass url=, call monitorx.init, or set MONITORX_URL")
    rows = [{k: _plain(v) for k, v in row.items()} for row in _rows(data)]
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    try:
        r = httpx.post(
            f"{url.rstrip('/')}/api/v1/models/{model}/references",
            params={"name": name},
            content=json.dumps(rows).encode(),
            headers=headers,
            timeout=timeout_s,
        )
    except httpx.HTTPError as exc:
        raise ReferenceUploadError(f"could not reach {url}: {exc}") from exc
    if r.status_code != 201:
        try:
            message = r.json().get("message", r.text)
        except ValueError:
            message = r.text
        raise ReferenceUploadError(f"the server answered {r.status_code}: {message}")
    result: dict[str, Any] = r.json()
    return result
