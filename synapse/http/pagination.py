"""Pagination: the page envelope of API.md and iteration that follows ``next`` lazily."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import attrs

from synapse.errors import PaginationError
from synapse.http.responses import decode_body

if TYPE_CHECKING:
    from synapse.config import Config

__all__ = ["Page", "PaginationMixin", "parse_page"]


@attrs.frozen
class Page:
    """One page of a list: its items and the links around it (``count`` is None in cursor mode).

    Attributes:
        results: The page's items.
        count: The list's length (None in cursor mode or when the server gives none).
        next: The URL of the next page, or None on the last.
        previous: The URL of the previous page, or None.
        content: The body as the server sent it (bytes), when asked for with ``content=True``;
            otherwise None. Not part of equality or the repr.
    """

    results: list[Any]
    count: int | None
    next: str | None
    previous: str | None
    content: bytes | None = attrs.field(default=None, eq=False, repr=False)


def parse_page(body: Any, path: str, content: bytes | None = None) -> Page:
    """Read a page envelope (``{"count", "next", "previous", "results"}``, or a bare list).

    Args:
        body: The decoded answer.
        path: The route, for the error message.
        content: The body as received, kept on the page (see ``Page.content``).

    Raises:
        PaginationError: the answer is not a page.
    """
    if isinstance(body, list):
        return Page(results=body, count=len(body), next=None, previous=None, content=content)
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        got = type(body).__name__
        raise PaginationError(f"GET {path}: expected a page with 'results', got {got}", path=path)
    count = body.get("count")
    next_url, previous = body.get("next"), body.get("previous")
    if next_url is not None and not isinstance(next_url, str):
        raise PaginationError(f"GET {path}: the page's 'next' is not a URL", path=path)
    return Page(
        results=body["results"],
        count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        next=next_url or None,
        previous=previous if isinstance(previous, str) else None,
        content=content,
    )



class PaginationMixin:
    """``iter_pages``, ``iter_items`` and ``count`` for a class that has ``request`` and ``url``."""

    config: Config

    if TYPE_CHECKING:  # provided by the transport
        request: Callable[..., Any]
        send: Callable[..., Any]
        get: Callable[..., Any]
        url: Callable[[str], str]
        _path: Callable[[str], str]

    def iter_pages(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None,
        cursor: bool = False, content: bool = False,
    ) -> Iterator[Page]:
        """Yield pages lazily, following ``next`` verbatim (same origin only).

        ``next`` may be absolute or relative (resolved against the page that gave it).

        Args:
            path: the list route, e.g. ``"projects/"``.
            params: filters; ``page_size`` defaults to the client's.
            page_size: items per page (overrides ``params``).
            cursor: ask for cursor pagination (``pagination=cursor``; give an ``ordering``).
            content: keep each page's body as received on ``Page.content`` (for a caller that
                stores pages as they came, without encoding them again).

        Yields:
            One ``Page`` per request; no request is sent before the first ``next()``.

        Raises:
            UnsafeURLError: a ``next`` link points to another origin (it is not followed).
        """
        query = dict(params or {})
        if page_size is not None or "page_size" not in query:
            query["page_size"] = page_size or self.config.page_size
        if cursor:
            query.setdefault("pagination", "cursor")
        url = self.url(path)
        body, raw = self._get_page(url, query, content)
        while True:
            page = parse_page(body, self._path(url), raw)
            yield page
            if not page.next:
                return
            # A relative link resolves against the page it came from (RFC 3986); the origin
            # check raises before our token could leave the configured origin.
            try:
                joined = urljoin(url, page.next)
            except ValueError:  # an invalid IPv6 literal: url() refuses it as it stands
                joined = page.next
            next_url = self.url(joined)
            if next_url == url:
                shown = self._path(url)
                raise PaginationError(f"GET {shown}: the next link points to the same page", path=shown)
            url = next_url
            body, raw = self._get_page(url, None, content)

    def _get_page(
        self, url: str, params: Mapping[str, Any] | None, content: bool
    ) -> tuple[Any, bytes | None]:
        """The decoded answer of one page request, and its body as received when ``content``."""
        if not content:
            return self.request("GET", url, params=params), None
        response = self.send("GET", url, params=params)
        raw: bytes = response.content
        return decode_body(raw, response.headers.get("Content-Type"), response.status_code), raw

    def iter_items(
        self, path: str, params: Mapping[str, Any] | None = None, *, page_size: int | None = None,
        cursor: bool = False,
    ) -> Iterator[Any]:
        """Yield the items of every page, fetching each page only as the iterator advances."""
        for page in self.iter_pages(path, params, page_size=page_size, cursor=cursor):
            yield from page.results

    def count(self, path: str, params: Mapping[str, Any] | None = None) -> int:
        """Return ``count`` of the list with one request (``page_size=1``).

        Raises:
            PaginationError: the answer has no ``count`` (cursor pagination has none).
        """
        body = self.get(path, params={**(params or {}), "page_size": 1})
        if isinstance(body, list):
            return len(body)
        if isinstance(body, dict) and isinstance(body.get("count"), int):
            return int(body["count"])
        shown = self._path(self.url(path))
        raise PaginationError(f"GET {shown}: the answer has no count", path=shown)
