"""What every mixin of the flat client shares: the constructor, reading, listing, errors.

The flat client keeps the original SDK's wire and shapes on top of the object model:

- every call sends what the original sent: the payload dict as given (keys the client does not
  know go to the server, which decides), to the route the manager of that type names;
- it returns what the server answered, as the original did: the decoded JSON (plain dicts and
  lists, no objects built and unbuilt), or the text of a ``text/plain`` answer;
- ``list_*`` returns the first page's envelope ``{"count", "next", "previous", "results"}``, or
  with ``list_all=True`` a ``(generator, count)`` pair: the first page is read at call time (it
  gives ``count``), the next ones as the generator advances, one page held at a time; the rows
  come straight from the transport's page iterator;
- ``params`` of a list: ``page``/``page_size`` pick the page, ``fields`` and ``expand`` (comma
  lists or lists) narrow or embed, the rest are the manager's filters sent as they are (lists
  joined with commas, ``None`` values left out);
- every failure is a ``ClientError``, as in the original: no answer at all raises
  ``ClientConnectionError``, ``ClientResponseIncompleteError`` or ``ClientTimeoutError``
  (``synapse.clients._errors``), each also a ``TransportError``.

Routes and filters come from the object model's declarations; uploads, downloads and job logs
go through its services. The underlying ``Client`` has the cache turned off, as the original
SDK read on every call.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from synapse.client import Client
from synapse.clients._errors import facade_errors, mapped_iteration
from synapse.clients._url_conversion import UrlConversion
from synapse.errors import NotFound
from synapse.orm.queryset import query_value

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.http.pagination import Page
    from synapse.orm.manager import Manager
    from synapse.orm.queryset import QuerySet
    from synapse.orm.resource import Resource

__all__ = ["Answer", "BaseClient", "Conversion", "ListAnswer", "Params", "Stream"]

Params = Mapping[str, Any] | None
#: ``timeout=``: seconds, ``(connect, read)``, or the original ``{"connect": 5, "read": 30}``.
Timeout = float | tuple[float, float] | Mapping[str, float] | None
#: ``url_conversion=``: ``{"files_fields": [...], "coerce": None, "is_list": True}``.
Conversion = Mapping[str, Any] | None
#: What the server answered: decoded JSON (a dict, or a list), the text of a non-JSON answer, or None.
Answer = Any
#: What ``list_all=True`` returns: a generator of rows and the count.
Stream = tuple[Iterator[dict[str, Any]], "int | None"]
#: A ``list_*`` answer: the first page's envelope, or ``(generator, count)`` with ``list_all``.
ListAnswer = dict[str, Any] | Stream

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._~-]*")  # an id, a code or code@version; never "." or "/"
_BATCH = 1000  # API.md: units and tasks are created in batches of up to 1000


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every public method of a mixin (and of a user's subclass) keeps the original error
        # contract: a TransportError leaves it as the matching ClientError subclass.
        super().__init_subclass__(**kwargs)
        for name, member in list(vars(cls).items()):
            if not name.startswith("_") and inspect.isfunction(member):
                setattr(cls, name, facade_errors(member))

    # ---- helpers for the mixins ----
    def _one(self, obj: Resource) -> dict[str, Any]:
        """An object a service returned, as the wire's dict."""
        return obj.to_dict()

    def _get(
        self, manager: Manager[Any, Any], pk: Any, params: Params = None,
        conversion: UrlConversion | None = None,
    ) -> Answer:
        """``GET`` the detail route of ``manager``'s type (with its declared detail query) as is."""
        query = dict(manager._model.options.detail_params)
        query.update(_query(params))
        answer = self._client.transport.get(manager._detail_path(_ident(pk)), params=query or None)
        if conversion and isinstance(answer, dict):
            conversion.apply(self._client, answer)
        return answer

    def _send(self, method: str, path: str, json: Any = None, params: Params = None) -> Answer:
        """Send one write with the body as given; return the server's answer as is."""
        return self._client.transport.request(method, path, json=json, params=_query(params) or None)

    def _create_many(self, path: str, data: Any) -> Answer:
        """``POST path`` one object, or a list in batches of 1000 (answers concatenated)."""
        if isinstance(data, Mapping):
            return self._send("POST", path, dict(data))
        items = _items(data)
        if len(items) <= _BATCH:
            return self._send("POST", path, items)
        created: list[Any] = []
        for start in range(0, len(items), _BATCH):
            answer = self._send("POST", path, items[start : start + _BATCH])
            created.extend(answer if isinstance(answer, list) else [answer])
        return created

    def _page(self, qs: QuerySet[Any], params: Params = None, path: str | None = None) -> dict[str, Any]:
        """The first page's envelope ``{"count", "next", "previous", "results"}``."""
        return typing.cast("dict[str, Any]", self._listing(qs, params, path=path))

    def _listing(
        self,
        qs: QuerySet[Any],
        params: Params = None,
        url_conversion: Conversion = None,
        list_all: bool = False,
        default_fields: tuple[str, ...] = (),
        *,
        path: str | None = None,
    ) -> ListAnswer:
        """The first page's envelope, or ``(generator, count)``; see the module docstring.

        The rows are the server's, from the transport's page iterator: no objects are built.
        The method's default ``files_fields`` (the original SDK's) apply to ``list_all`` only, as
        they did there; a ``url_conversion`` passed by the caller applies to both forms.

        Args:
            qs: the manager (or QuerySet) whose route and filters the list uses.
            params: the original ``params``.
            url_conversion: the original ``url_conversion``.
            list_all: return ``(generator, count)`` instead of the first page.
            default_fields: the method's ``files_fields`` for ``list_all``.
            path: another list route of the same type (a row view such as ``sdk/tasks/data/``).
        """
        conversion = UrlConversion.parse(url_conversion, default_fields)
        route, query, page_size = _narrow(qs, params)
        pages = self._client.transport.iter_pages(path or route, query, page_size=page_size)
        first = next(pages)  # the first page now: it carries ``count``
        if list_all:
            return mapped_iteration(self._stream(first, pages, conversion)), first.count
        _close(pages)
        results = first.results
        if url_conversion is not None and conversion:
            for row in results:
                if isinstance(row, dict):
                    conversion.apply(self._client, row)
        return {"count": first.count, "next": first.next, "previous": first.previous, "results": results}

    def _stream(self, first: Page | None, rest: Iterator[Page], conversion: UrlConversion) -> Iterator[Any]:
        client = self._client
        apply = conversion.apply if conversion else None
        try:
            page = first
            first = None  # hold one page at a time
            while page is not None:
                rows = page.results
                page = None
                if apply is None:
                    yield from rows
                else:
                    for row in rows:
                        if isinstance(row, dict):
                            apply(client, row)
                        yield row
                del rows
                page = next(rest, None)
        finally:
            _close(rest)

    def _set_tags(self, qs: QuerySet[Any], data: Mapping[str, Any], params: Params, id_key: str) -> Answer:
        """``set_tags_*``: one ``POST <type>/set_tags/?<params>`` with ``data`` as given.

        ``{id_key, "tag_ids"}`` (the original documentation's form) is sent as ``{"ids", "tags"}``
        (the wire's names); every other key goes as given, and the server resolves ``params``.
        """
        if not isinstance(data, Mapping):
            example = "{'ids': [1], 'tags': [2], 'action': 'add'}"
            raise TypeError(f"set_tags takes a dict like {example}, got {data!r:.60}")
        body = dict(data)
        for name, alias in (("ids", id_key), ("tags", "tag_ids")):
            if alias in body:
                if name in body:
                    raise TypeError(f"give {name!r} or {alias!r}, not both")
                body[name] = body.pop(alias)
        return self._send("POST", qs._model.options.tags_path, body, params)


def _ident(pk: Any) -> Any:
    """An id for a detail route: an int, or a string that is one path segment (a code, a UUID)."""
    if isinstance(pk, bool) or not isinstance(pk, (int, str)):
        raise TypeError(f"an id must be an int or a string, got {type(pk).__name__} {pk!r:.40}")
    if isinstance(pk, str):
        if not _SEGMENT.fullmatch(pk):
            raise ValueError(f"id {pk!r:.60} is not a valid path segment")
        return quote(pk, safe="@")
    return pk


def _query(params: Params) -> dict[str, str]:
    """The original ``params`` as a query: lists joined with commas, ``None`` left out."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of query parameters, got {type(params).__name__}")
    return {str(key): query_value(str(key), value) for key, value in params.items() if value is not None}


def _items(data: Any) -> list[Any]:
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(f"expected a dict or a list of dicts, got {type(data).__name__}")
    return list(data)


def _pop_either(body: dict[str, Any], name: str, alias: str) -> Any:
    if name in body and alias in body:
        raise TypeError(f"give {name!r} or {alias!r}, not both")
    return body.pop(name, body.pop(alias, None))


def _narrow(qs: QuerySet[Any], params: Params) -> tuple[str, dict[str, Any], int | None]:
    """Apply the original ``params`` to a list: return its route, its query and the page size asked.

    Filters are sent as given, as the original sent them (the server ignores a name it does not
    know): through ``qs.with_params``, the object model's door for unchecked parameters.
    ``fields`` and ``expand`` are sent as given too.
    """
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of query parameters, got {type(params).__name__}")
    rest = {key: value for key, value in (params or {}).items() if value is not None}
    page = _positive(rest.pop("page", 1), "page")
    size = rest.pop("page_size", None)
    if "pagination" in rest:
        raise ValueError(
            "cursor pagination is not a flat-client option: use client.client.<manager>.iterator(cursor=True)"
        )
    fields = rest.pop("fields", None)
    expand = rest.pop("expand", None)
    if rest:
        qs = qs.with_params(**rest)
    query = qs._query()
    if fields:
        query["fields"] = ",".join(_names(fields))
    if expand:
        query["expand"] = ",".join(_names(expand))
    if page > 1:
        query["page"] = page
    return qs._list_path(), query, None if size is None else _positive(size, "page_size")


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
