"""``emu.requests``: every request that reached the emulator, in arrival order."""

from __future__ import annotations

import fnmatch
import re
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, overload
from urllib.parse import parse_qsl

__all__ = ["REDACTED", "RequestLog", "RequestRecord"]

REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset(
    {"Synapse-Access-Token", "Authorization", "Synapse-Agent", "Synapse-Tenant", "Cookie"}
)


@dataclass
class RequestRecord:
    """One request as the server saw it.

    Attributes:
        method: the HTTP method, e.g. ``"POST"``.
        path: the path with its leading slash, e.g. ``"/tasks/12/"`` (no query string).
        query: the query parameters; a repeated parameter maps to a list of its values.
        headers: the request headers, credential values replaced by ``"<redacted>"``.
        body: the decoded JSON body, or ``None`` (no body, not JSON, or never read).
        form: the non-file fields of a multipart body, or ``None``.
        files: ``{part name: byte size}`` of a multipart body's file parts, or ``None``.
        status: the status sent back; ``None`` while in progress or when the connection was
            dropped on purpose.
        fault: the injected fault that hit this request (``"status"``, ``"delay"``,
            ``"drop_before"``, ``"drop_after"``, ``"rate_limit"``) or ``None``.
        applied: ``True`` once the handler ran to completion (for ``drop_after`` this
            proves the write was committed even though no answer was sent).
        time: arrival time on the emulator's clock (seconds since the epoch).
        duration: seconds spent handling it.
    """

    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any = None
    form: dict[str, Any] | None = None
    files: dict[str, int] | None = None
    status: int | None = None
    fault: str | None = None
    applied: bool = False
    time: float = 0.0
    duration: float = field(default=0.0, repr=False)

    @property
    def is_write(self) -> bool:
        """Whether the method is one that changes state."""
        return self.method in ("POST", "PUT", "PATCH", "DELETE")


_HEADER_NAMES: dict[str, str | None] = {}


def _header_name(key: str) -> str | None:
    """``HTTP_USER_AGENT`` -> ``User-Agent`` (``None`` for other environ keys); memoised."""
    name = _HEADER_NAMES.get(key, "")
    if name == "":
        if key.startswith("HTTP_"):
            name = "-".join(p.capitalize() for p in key[5:].split("_"))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = "-".join(p.capitalize() for p in key.split("_"))
        else:
            name = None
        if len(_HEADER_NAMES) < 10_000:
            _HEADER_NAMES[key] = name
    return name


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in environ.items():
        name = _header_name(key)
        if name is not None:
            out[name] = REDACTED if name in _SECRET_HEADERS else str(value)
    return out


def _query(qs: str) -> dict[str, Any]:
    if not qs:
        return {}
    out: dict[str, Any] = {}
    for key, value in parse_qsl(qs, keep_blank_values=True):
        if key in out:
            prev = out[key]
            out[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[key] = value
    return out


class RequestLog:
    """A thread-safe list of ``RequestRecord`` in arrival order (bounded by ``maxlen``).

    Reads take a snapshot: ``len(emu.requests)``, ``emu.requests[-1]``, iteration, and
    ``filter``/``count`` with a method, a path (glob such as ``"/tasks/*"`` or a compiled
    regex) and a status.
    """

    def __init__(self, maxlen: int | None = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self.enabled = True

    def start(self, environ: Mapping[str, Any], now: float) -> RequestRecord:
        """Record a request that just arrived (called by the app)."""
        record = RequestRecord(
            method=environ["REQUEST_METHOD"],
            path=environ.get("PATH_INFO") or "/",
            query=_query(environ.get("QUERY_STRING", "")),
            headers=_headers(environ),
            time=now,
        )
        with self._lock:
            self._records.append(record)
        return record

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()

    def filter(
        self,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        status: int | None = None,
    ) -> list[RequestRecord]:
        """The records matching every given criterion."""
        out = []
        for rec in self.snapshot():
            if method is not None and rec.method != method.upper():
                continue
            if status is not None and rec.status != status:
                continue
            if path is not None:
                if isinstance(path, re.Pattern):
                    if not path.search(rec.path):
                        continue
                elif not fnmatch.fnmatchcase(rec.path, path if path.startswith("/") else "/" + path):
                    continue
            out.append(rec)
        return out

    def count(
        self,
        method: str | None = None,
        path: str | re.Pattern[str] | None = None,
        status: int | None = None,
    ) -> int:
        """How many records match (see ``filter``)."""
        return len(self.filter(method, path, status))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(self.snapshot())

    @overload
    def __getitem__(self, index: int) -> RequestRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[RequestRecord]: ...

    def __getitem__(self, index: int | slice) -> RequestRecord | list[RequestRecord]:
        return self.snapshot()[index]

    def __repr__(self) -> str:
        return f"<RequestLog {len(self)} requests>"
