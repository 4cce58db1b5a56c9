"""What handlers exchange with the app: replies, API errors in DRF shapes, JSON encoding."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

__all__ = [
    "ApiError",
    "Reply",
    "bad_request",
    "dumps",
    "field_error",
    "forbidden",
    "not_found",
    "status_line",
]

_STATUS_LINES: dict[int, str] = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


def status_line(status: int) -> str:
    """``200`` -> ``"200 OK"``."""
    return _STATUS_LINES.get(status) or f"{status} Unknown"


def dumps(value: Any) -> bytes:
    """Encode a JSON answer compactly."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class Reply:
    """An answer: a status, a JSON body (or raw bytes, or a byte stream) and extra headers.

    Args:
        status: the HTTP status.
        body: a JSON-encodable value; ``None`` with status 204 means no body.
        headers: extra response headers.
        raw: raw bytes to send instead of JSON.
        stream: an iterable of byte chunks to stream (chunked transfer), instead of a body.
        content_type: the Content-Type of ``raw`` or ``stream``.
    """

    __slots__ = ("body", "content_type", "headers", "raw", "status", "stream")

    def __init__(
        self,
        status: int = 200,
        body: Any = None,
        *,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        stream: Iterable[bytes] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        self.stream = stream
        self.content_type = content_type


class ApiError(Exception):
    """An error answer, raised by handlers; any open transaction is rolled back.

    Args:
        status: the HTTP status (4xx).
        body: the DRF-shaped body, e.g. ``{"detail": "Not found."}`` or field errors.
        headers: extra headers (``Retry-After``, ``Allow``).
    """

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})

    def reply(self) -> Reply:
        """This error as a reply."""
        return Reply(self.status, self.body, headers=self.headers)


def not_found(detail: str = "Not found.") -> ApiError:
    """A 404 in DRF's shape."""
    return ApiError(404, {"detail": detail})


def forbidden() -> ApiError:
    """A 403 in DRF's shape."""
    return ApiError(403, {"detail": "You do not have permission to perform this action."})


def bad_request(errors: Mapping[str, Any]) -> ApiError:
    """A 400 with field errors ``{"field": ["message", ...]}`` (or a ``detail``)."""
    return ApiError(400, dict(errors))


def field_error(field: str, message: str) -> ApiError:
    """A 400 naming one field."""
    return ApiError(400, {field: [message]})
