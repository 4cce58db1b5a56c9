"""Decoding response bodies and turning error answers into ``ClientError`` subclasses.

Free of ``requests``: it works on the status, headers and bytes the transport hands over, so
hostile or broken answers (an HTML 502 page, invalid JSON, deep nesting) can be tested directly.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from synapse.errors import ClientError, RateLimited, error_for_status

__all__ = ["decode_body", "error_from_answer", "parse_error_body"]

_MAX_DETAIL = 300  # characters of a text or HTML body kept as ``detail``
_MAX_DEPTH = 32  # nesting followed when flattening field errors
_MAX_FIELDS = 200  # field entries kept from one error body
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")


def decode_body(content: bytes, content_type: str | None, status: int) -> Any:
    """Decode a response body: JSON when it says so, None when empty, text otherwise.

    Args:
        content: the raw body.
        content_type: the ``Content-Type`` header, if any.
        status: the HTTP status (204 never has a body).

    Returns:
        The decoded JSON value (a JSON content type, or none and a body that starts like
        JSON); ``None`` for 204 or an empty body; the text for anything else, including a
        body that does not parse.
    """
    if status == 204 or not content:
        return None
    kind = (content_type or "").lower()
    # A missing Content-Type is sniffed: JSON when the body starts like JSON.
    if "json" in kind or (not kind and content.lstrip()[:1] in (b"{", b"[")):
        try:
            # bytes in: json detects UTF-8/16/32 itself, no charset guessing (it is slow).
            return json.loads(content)
        except (ValueError, RecursionError):
            pass
    return _text(content, kind)


def parse_error_body(body: Any, reason: str | None = None) -> tuple[Any, dict[str, list[str]]]:
    """Return ``(detail, field_errors)`` from a decoded DRF error body.

    Shapes: ``{"detail": ...}``; field errors ``{"field": ["msg"], "non_field_errors": [...]}``
    (nested serializers and list items flattened to ``"items.1.files"``); a list of messages;
    text or HTML (a proxy's error page: its title or first words); nothing (the reason phrase).
    """
    if body is None or body == "":
        return (reason or None), {}
    if isinstance(body, str):
        return _short_text(body) or reason or None, {}
    if isinstance(body, dict) and "detail" in body:
        detail = body["detail"]
        return (detail if isinstance(detail, str) else _summary(_flatten(detail, ""))), {}
    errors = _flatten(body, "")
    return _summary(errors) or reason or None, errors


def error_from_answer(
    status: int,
    body: Any,
    *,
    reason: str | None,
    method: str,
    path: str,
    retry_after: float | None = None,
    redact: Callable[[str], str] = str,
) -> ClientError:
    """Build the ``ClientError`` subclass for an error answer.

    Args:
        status: the HTTP status (>= 400).
        body: the decoded body (see ``decode_body``).
        reason: the HTTP reason phrase, used when the body says nothing.
        method: the request's method.
        path: the request's path, already redacted.
        retry_after: the parsed ``Retry-After``, if any.
        redact: removes credentials from text; applied to the whole body (a server that
            echoes a token must not leak it through the error).

    Returns:
        The error, ready to raise.
    """
    body = _scrub(body, redact)
    detail, errors = parse_error_body(body, reason)
    cls = error_for_status(status)
    kwargs: dict[str, Any] = {"errors": errors, "method": method, "path": path, "body": body}
    if issubclass(cls, RateLimited):
        error: ClientError = cls(status, detail, retry_after=retry_after, **kwargs)
    else:
        error = cls(status, detail, **kwargs)
        error.retry_after = retry_after
    return error


def _scrub(value: Any, redact: Callable[[str], str], depth: int = 0) -> Any:
    """``value`` with every string passed through ``redact`` (a server may echo a token)."""
    if isinstance(value, str):
        return redact(value)
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, dict):
        return {_scrub(k, redact, depth + 1): _scrub(v, redact, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, redact, depth + 1) for v in value]
    return value


def _text(content: bytes, content_type: str) -> str:
    match = re.search(r"charset=([\w.:-]+)", content_type)
    encoding = match.group(1) if match else "utf-8"
    try:
        return content.decode(encoding, errors="replace")
    except LookupError:  # an unknown charset name
        return content.decode("utf-8", errors="replace")


def _short_text(text: str) -> str:
    if "<" in text and ">" in text:
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", text)
        text = html.unescape(text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _flatten(value: Any, prefix: str, depth: int = 0) -> dict[str, list[str]]:
    """``{"a": {"b": ["x"]}, "items": [{}, {"f": ["y"]}]}`` -> ``{"a.b": ["x"], "items.1.f": ["y"]}``."""
    key = prefix or "non_field_errors"
    if depth > _MAX_DEPTH:
        return {key: ["(nested too deep)"]}
    if _scalar(value):
        return {key: [_short_text(str(value))]}
    out: dict[str, list[str]] = {}

    def merge(more: dict[str, list[str]]) -> None:
        for k, v in more.items():
            if len(out) < _MAX_FIELDS or k in out:
                out.setdefault(k, []).extend(v)

    if isinstance(value, dict):
        for name, item in value.items():
            merge(_flatten(item, f"{prefix}.{name}" if prefix else str(name), depth + 1))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if _scalar(item):
                merge({key: [_short_text(str(item))]})
            else:
                merge(_flatten(item, f"{prefix}.{index}" if prefix else str(index), depth + 1))
    else:
        out[key] = [_short_text(str(value))]
    return out


def _summary(errors: dict[str, list[str]]) -> str:
    """One readable line: non-field messages first, then ``field: message`` pairs."""
    parts = list(errors.get("non_field_errors", []))
    parts += [f"{field}: {' '.join(msgs)}" for field, msgs in errors.items() if field != "non_field_errors"]
    return _short_text("; ".join(parts))
