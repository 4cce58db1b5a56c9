"""What every mixin of the flat client shares: the constructor, listing, ``exists``, tagging.

The flat client keeps the original SDK's shapes on top of the object model:

- getters return the object as a plain dict (``Resource.to_dict()``: the wire's keys and values);
- ``list_*`` returns the first page's envelope ``{"count", "next", "previous", "results"}``, or
  with ``list_all=True`` a ``(generator, count)`` pair: the first page is read at call time (it
  gives ``count``), the next ones as the generator advances, one page held at a time;
- ``params`` of a list become QuerySet calls: ``page``/``page_size`` pick the page, ``fields``
  and ``expand`` (comma lists) narrow or embed, the rest are filters sent as they are (lists
  joined with commas, ``None`` values left out).

It never builds a request itself: every call goes through ``synapse.Client``'s managers and
services. Its ``Client`` has the cache turned off, as the original SDK read on every call.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from synapse.client import Client
from synapse.clients._url_conversion import UrlConversion
from synapse.errors import NotFound

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.http.pagination import Page
    from synapse.orm.queryset import QuerySet
    from synapse.orm.resource import Resource
    from synapse.orm.tagging import TagsQuerySet

__all__ = ["BaseClient", "Conversion", "ListAnswer", "Params", "Stream"]

Params = Mapping[str, Any] | None
#: ``timeout=``: seconds, ``(connect, read)``, or the original ``{"connect": 5, "read": 30}``.
Timeout = float | tuple[float, float] | Mapping[str, float] | None
#: ``url_conversion=``: ``{"files_fields": [...], "coerce": None, "is_list": True}``.
Conversion = Mapping[str, Any] | None
#: What ``list_all=True`` returns: a generator of rows and the count.
Stream = tuple[Iterator[dict[str, Any]], "int | None"]
#: A ``list_*`` answer: the first page's envelope, or ``(generator, count)`` with ``list_all``.
ListAnswer = dict[str, Any] | Stream


class BaseClient:
    """The flat client's shared part: settings, the underlying ``synapse.Client``, listing.

    Args:
        base_url: the backend's base URL (None: ``SYNAPSE_BASE_URL`` or the config file).
        api_token: the API token (else ``SYNAPSE_API_TOKEN``/``SYNAPSE_ACCESS_TOKEN``).
        agent_token: the agent token (else ``SYNAPSE_AGENT_TOKEN``).
        tenant: the tenant code (else ``SYNAPSE_TENANT``).
        access_token: the original SDK's name for ``api_token``.
        token: a personal user token (sent as ``Authorization: Token ...``, with a tenant).
        timeout: seconds, a ``(connect, read)`` pair, or the original ``{"connect", "read"}`` dict.

    Raises:
        ConfigurationError: no base URL or no credential was found, or a setting is invalid.
        TypeError: ``api_token`` and ``access_token`` were both given and differ.
    """

    def __init__(
        self,
        base_url: str | None,
        api_token: str | None = None,
        *,
        agent_token: str | None = None,
        tenant: str | None = None,
        access_token: str | None = None,
        token: str | None = None,
        timeout: Timeout = None,
    ) -> None:
        if api_token is not None and access_token is not None and api_token != access_token:
            raise TypeError("api_token and access_token are the same setting: give one of them")
        self._client = Client(
            base_url,
            api_token if api_token is not None else access_token,
            agent_token=agent_token,
            tenant=tenant,
            user_token=token,
            timeout=_timeout(timeout),
            cache_ttl=0,
        )

    @property
    def client(self) -> Client:
        """The underlying ``synapse.Client``: the object model, for code moving off the flat API."""
        return self._client

    @property
    def base_url(self) -> str:
        """The backend's base URL (ends with ``/``)."""
        return self._client.base_url

    @property
    def page_size(self) -> int:
        """Rows per page when ``list_all=True`` walks a list (the client's ``page_size``)."""
        return self._client.config.page_size

    def close(self) -> None:
        """Close the connections (the client reconnects if used again)."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url} ({self._client.config.describe_credentials()})>"

    def exists(self, api_name: str, *args: Any, **kwargs: Any) -> bool:
        """Call ``api_name`` (a getter or a ``list_*`` method); say whether it found anything.

        ``exists("get_project", 1)`` is False on a 404; ``exists("list_tasks", {"project": 1})``
        is False for an empty list.

        Raises:
            AttributeError: no such public method.
            ClientError: any error but a 404.
        """
        method = getattr(self, api_name, None) if not api_name.startswith("_") else None
        if not callable(method) or api_name == "exists":
            raise AttributeError(f"{type(self).__name__} has no method {api_name!r}")
        try:
            answer = method(*args, **kwargs)
        except NotFound:
            return False
        if isinstance(answer, tuple) and len(answer) == 2:
            rows, count = answer
            close = getattr(rows, "close", None)
            if close is not None:
                close()
            return bool(count)
        if isinstance(answer, dict) and isinstance(answer.get("results"), list):
            count = answer.get("count")
            return bool(count) if isinstance(count, int) else bool(answer["results"])
        return answer is not None

    # ---- helpers for the mixins ----
    def _one(self, obj: Resource, conversion: UrlConversion | None = None) -> dict[str, Any]:
        data = obj.to_dict()
        if conversion:
            conversion.apply(self._client, data)
        return data

    def _page(
        self, qs: QuerySet[Any], params: Params = None, url_conversion: Conversion = None
    ) -> dict[str, Any]:
        """The first page's envelope ``{"count", "next", "previous", "results"}``."""
        return typing.cast("dict[str, Any]", self._listing(qs, params, url_conversion))

    def _listing(
        self,
        qs: QuerySet[Any],
        params: Params = None,
        url_conversion: Conversion = None,
        list_all: bool = False,
        default_fields: tuple[str, ...] = (),
    ) -> ListAnswer:
        """The first page's envelope, or ``(generator, count)``; see the module docstring.

        The method's default ``files_fields`` (the original SDK's) apply to ``list_all`` only, as
        they did there; a ``url_conversion`` passed by the caller applies to both forms.
        """
        conversion = UrlConversion.parse(url_conversion, default_fields)
        qs, page, page_size = _narrow(qs, params)
        pages = qs.pages(page=page, page_size=page_size)
        first = next(pages)  # the first page now: it carries ``count``
        if list_all:
            return self._stream(first, pages, conversion), first.count
        _close(pages)
        envelope_conversion = conversion if url_conversion is not None else None
        return {
            "count": first.count,
            "next": first.next,
            "previous": first.previous,
            "results": [self._one(obj, envelope_conversion) for obj in first.results],
        }

    def _stream(
        self, first: Page | None, rest: Iterator[Page], conversion: UrlConversion
    ) -> Iterator[dict[str, Any]]:
        try:
            page = first
            first = None  # hold one page at a time
            while page is not None:
                rows = page.results
                page = None
                for obj in rows:
                    yield self._one(obj, conversion)
                del rows
                page = next(rest, None)
        finally:
            _close(rest)

    def _set_tags(
        self, qs: TagsQuerySet[Any], data: Mapping[str, Any], params: Params, id_key: str
    ) -> dict[str, Any]:
        """``set_tags_*``: ``{"ids", "tags", "action"}`` or ``{id_key, "tag_ids"}`` (original docs).

        Without ids, ``params`` select the objects (their ids are listed first); with both, the
        ids are narrowed by ``params``.
        """
        if not isinstance(data, Mapping):
            example = "{'ids': [1], 'tags': [2], 'action': 'add'}"
            raise TypeError(f"set_tags takes a dict like {example}, got {data!r:.60}")
        body = dict(data)
        ids = _pop_either(body, "ids", id_key)
        tags = _pop_either(body, "tags", "tag_ids")
        action = body.pop("action", "add")
        if body:
            raise TypeError(f"set_tags: unknown keys {', '.join(sorted(map(str, body)))}")
        if tags is None:
            raise TypeError("set_tags needs 'tags' (or 'tag_ids'): the tag ids to add or remove")
        if ids is None and not params:
            raise TypeError(f"set_tags needs 'ids' (or {id_key!r}), or params selecting the objects")
        if params:
            narrowed = _narrow(qs.filter(id__in=list(ids)) if ids is not None else qs, params)[0]
            ids = narrowed.ids()
        chosen = list(ids or ())
        qs.set_tags(tags, action, ids=chosen)
        return {"ids": chosen, "tags": list(tags), "action": action}


def _pop_either(body: dict[str, Any], name: str, alias: str) -> Any:
    if name in body and alias in body:
        raise TypeError(f"give {name!r} or {alias!r}, not both")
    return body.pop(name, body.pop(alias, None))


def _narrow(qs: QuerySet[Any], params: Params) -> tuple[QuerySet[Any], int, int | None]:
    """Apply the original ``params`` to a QuerySet; return it with the page and page size asked."""
    if params is None:
        return qs, 1, None
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of query parameters, got {type(params).__name__}")
    rest = {key: value for key, value in params.items() if value is not None}
    page = _positive(rest.pop("page", 1), "page")
    size = rest.pop("page_size", None)
    if "pagination" in rest:
        raise ValueError(
            "cursor pagination is not a flat-client option: use client.client.<manager>.iterator(cursor=True)"
        )
    fields = rest.pop("fields", None)
    if fields:
        qs = qs.fields(*_names(fields))
    expand = rest.pop("expand", None)
    if expand:
        qs = qs.expand(*_names(expand))
    if rest:
        qs = qs.filter(**rest)
    return qs, page, None if size is None else _positive(size, "page_size")


def _names(value: str | Iterable[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def _positive(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an integer, got {value!r:.40}") from None
    if number < 1 or isinstance(value, bool):
        raise ValueError(f"{name} must be 1 or more, got {value!r}")
    return number


def _timeout(value: Timeout) -> float | tuple[float, float] | None:
    """Accept the original ``{"connect": 5, "read": 30}`` form beside seconds and pairs."""
    if isinstance(value, Mapping):
        from synapse.config.sources import DEFAULT_TIMEOUT

        unknown = set(value) - {"connect", "read"}
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise TypeError(f"timeout keys are 'connect' and 'read', not {names}")
        return (float(value.get("connect", DEFAULT_TIMEOUT[0])), float(value.get("read", DEFAULT_TIMEOUT[1])))
    return value


def _close(iterator: Iterator[Any]) -> None:
    close = getattr(iterator, "close", None)
    if close is not None:
        close()
