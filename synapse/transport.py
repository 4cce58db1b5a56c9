"""The one place the SDK speaks HTTP: auth, timeouts, retries, errors, pagination, redaction.

CONTRACT STUB: the foundation work implements it; the public names and signatures are fixed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import attrs

from synapse.config import Config, RetryPolicy

__all__ = ["Page", "RequestEvent", "Transport"]


@attrs.frozen
class Page:
    """One page of a list: its items and the links around it (``count`` is None in cursor mode)."""

    results: list[Any]
    count: int | None
    next: str | None
    previous: str | None


@attrs.frozen
class RequestEvent:
    """What a request hook receives after each HTTP exchange (no headers, no token)."""

    method: str
    path: str
    status: int | None
    elapsed_ms: float
    attempt: int
    error: BaseException | None = None


class Transport:
    """Sends requests to one backend origin and returns decoded JSON or raises a typed error.

    Args:
        config: the resolved settings (base URL, credentials, timeouts, retry policy).
        session: a ``requests.Session`` to use instead of a new one (tests).
        sleep: how to wait between retries (tests inject a fake).
        clock: a monotonic clock (tests inject a fake).
    """

    config: Config
    base_url: str  # always ends with "/"
    last_response: Any  # the last requests.Response, for inspection in a REPL

    def __init__(
        self,
        config: Config,
        *,
        session: Any = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        raise NotImplementedError

    def url(self, path: str) -> str:
        """Return the absolute URL for ``path`` (relative to ``base_url``, or an absolute URL
        of the same origin); raise ``UnsafeURLError`` for another origin."""
        raise NotImplementedError

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        retry: RetryPolicy | bool | None = None,
    ) -> Any:
        """Send one logical request (with retries) and return the decoded body.

        JSON body -> decoded object; 204 or empty -> None; non-JSON -> text.
        Raises ``ClientError`` subclasses, ``TransportError``, ``UnsafeURLError``.
        ``retry=False`` sends once; ``None`` uses the client's policy.
        """
        raise NotImplementedError

    def send(self, method: str, path: str, *, stream: bool = False, **kwargs: Any) -> Any:
        """Like ``request`` but return the ``requests.Response`` (errors still raised);
        for downloads and event streams."""
        raise NotImplementedError

    def get(self, path: str, **kwargs: Any) -> Any:
        """``request("GET", ...)``."""
        raise NotImplementedError

    def post(self, path: str, **kwargs: Any) -> Any:
        """``request("POST", ...)``."""
        raise NotImplementedError

    def put(self, path: str, **kwargs: Any) -> Any:
        """``request("PUT", ...)``."""
        raise NotImplementedError

    def patch(self, path: str, **kwargs: Any) -> Any:
        """``request("PATCH", ...)``."""
        raise NotImplementedError

    def delete(self, path: str, **kwargs: Any) -> Any:
        """``request("DELETE", ...)``."""
        raise NotImplementedError

    def iter_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None,
        cursor: bool = False,
    ) -> Iterator[Page]:
        """Yield pages lazily, following ``next`` verbatim (same origin only)."""
        raise NotImplementedError

    def iter_items(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None,
        cursor: bool = False,
    ) -> Iterator[Any]:
        """Yield the items of every page, fetching each page only as the iterator advances."""
        raise NotImplementedError

    def count(self, path: str, params: Mapping[str, Any] | None = None) -> int:
        """Return ``count`` of the list with one request (``page_size=1``)."""
        raise NotImplementedError

    def add_hook(self, hook: Callable[[RequestEvent], None]) -> None:
        """Call ``hook`` after every HTTP exchange (each attempt)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the pooled connections."""
        raise NotImplementedError
