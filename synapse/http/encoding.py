"""Encoding requests the way API.md "Bodies" and the DRF filters expect them."""

from __future__ import annotations

import datetime
import decimal
import json
import os
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["ReplayableBody", "dumps", "form_fields", "maybe_json", "query"]


def dumps(value: Any) -> bytes:
    """Encode a JSON body (compact, UTF-8, no NaN); dates, UUIDs, decimals and paths included."""
    return json.dumps(value, default=_default, allow_nan=False, separators=(",", ":")).encode("utf-8")


def query(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters: ``None`` dropped, booleans as ``true``/``false`` (DRF filters)."""
    if not params:
        return None
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple, set, frozenset)):
            value = ["true" if v is True else "false" if v is False else v for v in value]
        out[key] = value
    return out


def form_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Multipart fields (API.md "Bodies"): dicts JSON-encoded, lists repeated, booleans lower-case."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            value = json.dumps(value, default=_default)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        out[key] = value
    return out


def _default(value: Any) -> Any:
    """Encode the values JSON lacks: dates and times (ISO 8601), UUIDs, decimals, paths, sets."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, os.PathLike)):
        return os.fspath(value) if isinstance(value, os.PathLike) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def maybe_json(text: str) -> Any:
    """Parse ``text`` as JSON when it looks like an object or array (a mislabelled body)."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):
            return text
    return text


class ReplayableBody:
    """Whether a prepared body can be sent again, and how to rewind it.

    Bytes and text replay as they are; a seekable file is rewound to where it started; an
    iterator (a generated multipart stream) cannot be replayed.
    """

    def __init__(self, body: Any) -> None:
        self.body = body
        self.position: int | None = None
        self.replayable = body is None or isinstance(body, (bytes, str))
        if not self.replayable and hasattr(body, "seek") and hasattr(body, "tell"):
            try:
                self.position = body.tell()
                self.replayable = True
            except (OSError, ValueError):
                self.replayable = False

    def rewind(self) -> None:
        """Seek a file body back to where it started (no-op for bytes)."""
        if self.position is not None:
            self.body.seek(self.position)
