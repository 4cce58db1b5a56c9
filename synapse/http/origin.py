"""Links stay on the configured backend: request paths resolved, other origins refused.

Every URL the transport sends to goes through ``OriginGuard.resolve``: a path of ours, a
``next`` link, an upload URL, a download link. One handed out by the server that leaves the
configured scheme, host and port raises ``UnsafeURLError`` before our credentials could go with
it. Kept apart from ``transport.py`` (and free of ``requests``) so the rule can be read, and
tested, on its own.

The one other door is deliberate and visible: ``OriginGuard.bare_url`` accepts an absolute
``http(s)`` URL of any host, for a request that carries no credentials at all
(``Transport.send(..., credentials=False)``): the pre-signed file URLs of a storage host.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from synapse.config import origin_of
from synapse.errors import UnsafeURLError

__all__ = ["OriginGuard"]


class OriginGuard:
    """Resolves paths against one base URL and refuses absolute URLs of any other origin.

    Args:
        base_url: the backend's base URL, ending with ``/``.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = origin_of(base_url)
        self._ours = urlsplit(base_url)

    def same_origin(self, url: str) -> bool:
        """Return True when ``url`` has the configured scheme, host and port."""
        return origin_of(url) == self.origin

    def resolve(self, path: str) -> str:
        """Return the absolute URL for ``path``; raise ``UnsafeURLError`` for another origin.

        ``path`` is relative to ``base_url``, or an absolute URL of the same origin. Relative
        paths resolve as in RFC 3986: ``"projects/"`` under the base URL, ``"/x/"`` from the
        origin's root. An ``http`` link to our own ``https`` host (a backend behind a TLS proxy
        that builds ``next`` links from the inner scheme) is upgraded to ``https``.
        """
        if not path.startswith(("http:", "https:", "//")) and ":" not in path.split("/", 1)[0]:
            return urljoin(self.base_url, path)
        try:
            absolute = urljoin(self.base_url, path)
            parts = urlsplit(absolute)
            port = parts.port
        except ValueError:  # an invalid port or IPv6 literal: no origin at all
            raise UnsafeURLError(
                f"refusing a malformed URL (invalid port or address) outside the configured origin "
                f"{self.origin}",
                expected_origin=self.origin,
            ) from None
        if self.same_origin(absolute):
            return absolute
        ours = self._ours
        if (
            parts.scheme == "http"
            and ours.scheme == "https"
            and (parts.hostname or "").lower() == ours.hostname
            and port in (None, ours.port)
        ):
            return urlunsplit(("https", ours.netloc, parts.path, parts.query, parts.fragment))
        theirs = origin_of(absolute)
        raise UnsafeURLError(
            f"refusing to send credentials to {theirs}: the server handed out a URL outside "
            f"the configured origin {self.origin}",
            url_origin=theirs,
            expected_origin=self.origin,
        )

    def bare_url(self, url: str) -> str:
        """Check ``url`` for a request sent without credentials, and return it.

        Any host is allowed (nothing secret goes with it), but only an absolute ``http`` or
        ``https`` URL with a host: a relative path, ``file:``, ``ftp:``, ``data:`` ... are refused.

        Raises:
            UnsafeURLError: not an absolute http(s) URL.
        """
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for an invalid port
        except ValueError:
            raise UnsafeURLError("refusing a malformed URL (invalid port or address)") from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            scheme = f"{parts.scheme}:" if parts.scheme else "a relative URL"
            raise UnsafeURLError(
                f"refusing to fetch {scheme} without credentials: only absolute http(s) URLs are fetched",
                url_origin=parts.scheme,
            )
        return url
