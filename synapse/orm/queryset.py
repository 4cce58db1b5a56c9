"""``QuerySet``: a lazy, immutable, chainable query over one list route of the API.

Building a QuerySet sends nothing: ``filter()``, ``order_by()``, ``fields()``, ``expand()``,
``with_params()`` and slicing return new QuerySets. Filter and ordering names are checked
against the resource's declaration (``synapse.orm.filters``) before any request: an unknown
name is a ``ValidationError`` naming the closest valid ones. Requests are sent by iterating,
indexing, ``count()``, ``exists()`` (and ``bool(qs)``), ``first()``, ``get()`` and the bulk writes.

Result policy: a QuerySet keeps **no result cache**. Each iteration is a fresh walk of the list
that streams page by page, holding one page at a time (memory stays flat in the number of
rows); iterate twice and you fetch twice, ``count()`` twice and you ask twice. The one
exception is the notebook preview (``_repr_html_``): its first rows are fetched once per
QuerySet object; ``refresh()`` returns a copy without them.

Iteration costs only the pages: ``list(qs)`` sends the page requests and nothing else.
``len(qs)`` raises ``TypeError`` (use ``qs.count()``, one request), so Python's ``list()``
never asks for a count first.

Slices map onto ``page``/``page_size``: ``qs[:250]`` with a page size of 100 reads pages 1-3
(3 requests), ``qs[10]`` reads one row (1 request), ``qs[20:30]`` reads one page of 10.
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from synapse.errors import ConfigurationError, NotFound, SynapseError
from synapse.http.pagination import Page

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.orm.resource import Resource
    from synapse.orm.session import Session

__all__ = ["QuerySet"]

R = TypeVar("R", bound="Resource")

# Parameters the QuerySet owns; a filter() naming them would break slicing or the row shape.
_RESERVED = {"page": "slicing", "page_size": "slicing", "pagination": "iterator(cursor=True)",
             "fields": "fields()", "expand": "expand()"}
_MAX_PAGE = 1000  # API.md: the server caps page_size at 1000
_PREVIEW_ROWS = 10


def query_value(key: str, value: Any) -> str:
    """Render one filter value as the query string carries it.

    Lists, tuples and sets are joined with commas; resources become their id; booleans are
    ``true``/``false``; datetimes ISO 8601.

    Raises:
        TypeError: the value cannot be sent (None, a dict, an arbitrary object).
    """
    from synapse.orm.resource import Resource

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, Resource):
        return str(value._ident)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return ",".join(query_value(key, v) for v in items)
    raise TypeError(
        f"filter {key}={value!r:.60}: expected a str, int, float, bool, datetime, resource or a list "
        f"of them, got {type(value).__name__}"
    )


def _note_progress(
    exc: SynapseError, done: int, unit: str, resume: str | None, *, resume_page: int | None = None
) -> None:
    """Tell an error raised part way through a walk how far the walk got and how to go on.

    Sets ``exc.rows_read`` (``unit="row"``) or ``exc.resume_page``, and, when something was
    read, adds a note to the error (shown under its traceback; Python >= 3.11) naming the call
    that goes on from there.
    """
    if unit == "row":
        exc.rows_read = done
    if resume_page is not None:
        exc.resume_page = resume_page
    add_note = getattr(exc, "add_note", None)
    if done and add_note is not None:
        read = f"{done} {unit}(s) of this QuerySet were read before the error"
        add_note(f"{read}; {resume}" if resume else read)


def _as_is(raw: Any, client: Session, path: str) -> Any:
    """The row as decoded (what ``raw_rows`` and ``raw_pages`` make of each row)."""
    return raw


def _invalid_page(exc: NotFound) -> bool:
    """Whether a 404 is the page-number pagination's "Invalid page." (a page past the end)."""
    return "invalid page" in str(exc.detail).lower()


def _check_ident(model: type[Resource], ident: Any) -> Any:
    """Return ``ident`` (an object's id, or the id of an object of ``model``) checked for its type."""
    from synapse.orm.resource import Resource

    if isinstance(ident, model):
        return ident._ident
    kinds = model.options.id_types
    if isinstance(ident, (bool, Resource)) or not isinstance(ident, kinds):
        names = " or ".join(t.__name__ for t in kinds)
        raise TypeError(f"a {model.__name__} id must be {names}, got {type(ident).__name__} {ident!r:.40}")
    return ident


def _describe(query: Mapping[str, Any]) -> str:
    shown = [f"{key}={value}" for key, value in query.items() if key not in ("fields", "expand")]
    return ", ".join(shown) if shown else "no filters"


def _window(low: int, high: int | None, page_size: int) -> tuple[int, int, int]:
    """Choose ``(page_size, first_page, skip)`` to read rows ``[low, high)`` in the fewest requests.

    A range that fits in one page of some size ``s`` <= the page size is read with one request;
    otherwise pages of ``page_size`` from the one holding ``low``.
    """
    if high is not None:
        span = high - low
        for size in range(span, min(page_size, _MAX_PAGE) + 1):
            if low // size == (high - 1) // size:
                return size, low // size + 1, low % size
    return page_size, low // page_size + 1, low % page_size


class QuerySet(Generic[R]):
    """A lazy query over the list route of a resource type (see the module docstring)."""

    _model: type[R]

    def __init__(
        self,
        client: Session | None,
        model: type[R],
        *,
        params: Mapping[str, str] | None = None,
        fixed: Mapping[str, str] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._model = model
        self._params: dict[str, str] = dict(params or {})
        self._fixed: dict[str, str] = dict(fixed or {})  # a related manager's parent filter
        self._create_defaults: dict[str, Any] = dict(create_defaults or {})
        self._ordering: tuple[str, ...] = ()
        self._fields: tuple[str, ...] = ()
        self._expand: tuple[str, ...] = ()
        self._low = 0
        self._high: int | None = None
        self._preview: list[R] | None = None

    # ---- building (no request) ----
    def _clone(self, **changes: Any) -> Self:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._preview = None
        for key, value in changes.items():
            setattr(new, key, value)
        return new

    def _require_unsliced(self, what: str) -> None:
        if self._low or self._high is not None:
            raise TypeError(f"cannot {what} a QuerySet once it has been sliced; {what} first, then slice")

    def all(self) -> Self:
        """Return a copy of this QuerySet (no request)."""
        return self._clone()

    def filter(self, **params: Any) -> Self:
        """Return a QuerySet narrowed by the filters the resource declares (no request).

        Later values replace earlier ones for the same key. ``ordering=`` is ``order_by()``.
        Names are checked against the resource's ``options.filters`` declaration; a filter the SDK
        does not declare goes through :meth:`with_params`.

        Raises:
            ValidationError: an unknown filter or ordering name (with the closest valid names).
            TypeError: a value cannot be sent, or the QuerySet is sliced.
            ValueError: a parameter belongs to a QuerySet method, or contradicts the parent filter.
        """
        declared = self._model.options.filters
        declared.check((key for key in params if key not in _RESERVED and key != "ordering"),
                       self._model.__name__)
        if "ordering" in params:
            ordering = query_value("ordering", params["ordering"]).split(",")
            declared.check_ordering(ordering, self._model.__name__)
        return self._add_params(params)

    def with_params(self, **params: Any) -> Self:
        """Return a QuerySet with extra query parameters sent **unchecked** (no request).

        The visible door for a filter the server knows but the resource does not declare yet:
        ``client.tasks.with_params(priority=2)``. Nothing checks the names: a misspelt one is
        ignored by the server and widens the selection.

        Raises:
            TypeError: a value cannot be sent, or the QuerySet is sliced.
            ValueError: a parameter belongs to a QuerySet method, or contradicts the parent filter.
        """
        return self._add_params(params)

    def _add_params(self, params: Mapping[str, Any]) -> Self:
        self._require_unsliced("filter")
        new_params = dict(self._params)
        ordering = self._ordering
        for key, value in params.items():
            if key in _RESERVED:
                raise ValueError(f"{key!r} is not a filter: use {_RESERVED[key]}")
            if key == "ordering":
                ordering = tuple(query_value(key, value).split(","))
                continue
            text = query_value(key, value)
            if key in self._fixed and self._fixed[key] != text:
                raise ValueError(f"this QuerySet is already limited to {key}={self._fixed[key]}, not {text}")
            new_params[key] = text
        return self._clone(_params=new_params, _ordering=ordering)

    def order_by(self, *fields: str) -> Self:
        """Return a QuerySet ordered by ``fields`` (``"-created"`` for descending); none clears it.

        Raises:
            ValidationError: a field the resource's list route cannot order by (before any request).
            TypeError: a name is not a string, or the QuerySet is sliced.
        """
        self._require_unsliced("order")
        for name in fields:
            if not isinstance(name, str) or not name.lstrip("-"):
                raise TypeError(f"order_by() takes field names, got {name!r}")
        self._model.options.filters.check_ordering(fields, self._model.__name__)
        return self._clone(_ordering=tuple(fields))

    def fields(self, *names: str) -> Self:
        """Return a QuerySet whose rows carry only ``names`` (plus the id); rows are partial.

        Reading a field a row lacks completes that row with one GET (logged at DEBUG).

        Raises:
            ValueError: a name is not a field of the resource.
        """
        from synapse.orm.schema import compiled

        known = set(compiled(self._model))
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(
                f"{self._model.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"fields: {', '.join(sorted(known))}"
            )
        chosen = tuple(dict.fromkeys((self._model.options.id_attr, *names))) if names else ()
        return self._clone(_fields=chosen)

    def expand(self, *names: str) -> Self:
        """Return a QuerySet whose rows embed the named related objects (``expand("data_unit")``)."""
        for name in names:
            if not isinstance(name, str) or not name:
                raise TypeError(f"expand() takes relation names, got {name!r}")
        return self._clone(_expand=tuple(dict.fromkeys((*self._expand, *names))))

    def refresh(self) -> Self:
        """Return the same query without the cached notebook preview."""
        return self._clone()

    def bind(self, client: Session) -> Self:
        """Return a copy of this QuerySet bound to ``client`` (after unpickling)."""
        return self._clone(_client=client)

    # ---- the query ----
    def _query(self) -> dict[str, Any]:
        params: dict[str, Any] = dict(self._fixed)
        params.update(self._params)
        if self._ordering:
            params["ordering"] = ",".join(self._ordering)
        if self._fields:
            params["fields"] = ",".join(self._fields)
        if self._expand:
            params["expand"] = ",".join(self._expand)
        return params

    def _require_client(self) -> Session:
        if self._client is None:
            raise ConfigurationError(
                f"this QuerySet of {self._model.__name__} is not bound to a client (it was unpickled): "
                f"use qs = client.bind(qs)"
            )
        return self._client

    def _list_path(self) -> str:
        options = self._model.options
        if not options.list_path:
            from synapse.errors import MethodNotAllowed

            raise MethodNotAllowed(
                405, f"{self._model.__name__} objects cannot be listed through the API; no request was sent",
                method="GET", path=options.path or "",
            )
        return options.list_path

    # ---- reading ----
    def iterator(self, *, cursor: bool = False, page_size: int | None = None) -> Iterator[R]:
        """Stream the rows page by page (one page in memory at a time).

        Args:
            cursor: use cursor pagination (``pagination=cursor``): stable while rows are added,
                no ``count``; the default ordering is the resource's (``-id``).
            page_size: rows per request (default: the client's ``page_size``; at most 1000).
        """
        # Imported here: synapse.resources imports this module, so a module-level import would
        # make ``from synapse.orm.queryset import QuerySet`` (and ``from synapse import QuerySet``) fail
        # in a fresh interpreter with a circular import.
        from synapse.orm.build import builder

        return self._walk(builder(self._model), cursor, page_size)

    def raw_rows(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Stream the server's rows as they were decoded (dicts), page by page; no objects are built.

        The same requests as :meth:`iterator` (filters, ordering, ``fields``, ``expand``, slices).
        For bulk readers that only pass the rows on; the dicts are fresh and the caller's to keep.

        Args:
            page_size: rows per request (default: the client's ``page_size``; at most 1000).
        """
        return self._walk(_as_is, False, page_size)

    def raw_pages(self, *, page_size: int | None = None) -> Iterator[Page]:
        """Stream the server's pages: each a ``Page`` of rows as decoded, with the body as received.

        The requests of :meth:`raw_rows`. ``results`` holds the page's rows inside the window
        (a slice may cut the first and last page); ``content`` is the whole body the server sent
        (bytes, so it may hold rows outside a slice), for a bulk reader that stores pages as they
        came without encoding them again.

        Args:
            page_size: rows per request (default: the client's ``page_size``; at most 1000).
        """
        return self._walk(_as_is, False, page_size, by_page=True)

    def _walk(
        self, make: Callable[[Any, Session, str], Any], cursor: bool, page_size: int | None,
        *, by_page: bool = False,
    ) -> Iterator[Any]:
        """The rows of the window, each made by ``make(raw, client, path)``; see :meth:`iterator`.

        ``by_page``: yield one ``Page`` per request instead (its rows in the window made, its
        body as received in ``content``). A ``page_size`` below 1 is a ``ValueError`` at the first
        step, before any request.
        """
        if page_size is not None and page_size < 1:
            raise ValueError(f"page_size starts at 1, got {page_size}")
        client = self._require_client()
        path = self._list_path()
        transport = client.transport
        size = min(page_size or client.config.page_size, _MAX_PAGE)
        low, high = self._low, self._high
        if high is not None and high <= low:
            return
        params = self._query()
        past_end_ok = False
        if cursor:
            params.setdefault("ordering", self._model.options.cursor_ordering)
            skip = low
            pages = transport.iter_pages(path, params, page_size=size, cursor=True, content=by_page)
        else:
            size, first_page, skip = _window(low, high, size)
            if first_page > 1:
                params["page"] = first_page
            pages = transport.iter_pages(path, params, page_size=size, content=by_page)
            past_end_ok = first_page > 1  # a slice that starts past the end is empty, not an error
        remaining = None if high is None else high - low
        read = 0
        obj = None
        try:
            for page in pages:
                made: list[Any] = []
                for raw in page.results:
                    if skip:
                        skip -= 1
                        continue
                    obj = make(raw, client, path)
                    if by_page:
                        made.append(obj)
                    else:
                        yield obj
                    read += 1
                    if remaining is not None:
                        remaining -= 1
                        if remaining == 0:
                            break
                if by_page:
                    yield attrs.evolve(page, results=made)
                if remaining == 0:
                    return
        except NotFound as exc:
            if past_end_ok and not read and _invalid_page(exc):
                return
            self._note_walk(exc, cursor, params, obj, read)
            raise
        except SynapseError as exc:
            self._note_walk(exc, cursor, params, obj, read)
            raise
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def _note_walk(
        self, exc: SynapseError, cursor: bool, params: Mapping[str, Any], obj: Any, read: int
    ) -> None:
        """Note on ``exc`` how many rows a walk read and how to go on."""
        if cursor:
            last = None if obj is None else obj.__dict__.get(self._model.options.id_attr)
            resume = self._cursor_resume(params.get("ordering"), last)
        else:
            resume = f"qs[{read}:] reads the rest"
        _note_progress(exc, read, "row", resume)

    def pages(self, *, page: int = 1, page_size: int | None = None) -> Iterator[Page]:
        """Stream the list page by page, each a ``Page`` (``results`` as objects, ``count``, links).

        Starts at page ``page`` and follows ``next``; each page is one request, sent when the
        iterator reaches it (one page in memory at a time).

        Args:
            page: the first page to read (1-based).
            page_size: rows per page (default: the client's ``page_size``; at most 1000).

        Raises:
            TypeError: the QuerySet is sliced (slice or page, not both).
            ValueError: ``page`` or ``page_size`` is below 1.
        """
        self._require_unsliced("page through")
        if page < 1 or (page_size is not None and page_size < 1):
            raise ValueError(f"page and page_size start at 1, got page={page}, page_size={page_size}")
        from synapse.orm.build import builder  # see iterator()

        client = self._require_client()
        path = self._list_path()
        params = self._query()
        if page > 1:
            params["page"] = page
        size = min(page_size or client.config.page_size, _MAX_PAGE)
        source = client.transport.iter_pages(path, params, page_size=size)
        make = builder(self._model)
        number = page
        try:
            for raw_page in source:
                rows = [make(raw, client, path) for raw in raw_page.results]
                yield Page(results=rows, count=raw_page.count, next=raw_page.next, previous=raw_page.previous)
                number += 1
        except SynapseError as exc:
            _note_progress(exc, number - page, "page", f"qs.pages(page={number}) goes on from there",
                           resume_page=number)
            raise
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[R]:
        return self.iterator()

    def _cursor_resume(self, ordering: Any, last: Any) -> str | None:
        """How to go on after ``last`` in a cursor walk (only for an ordering by the id alone)."""
        id_attr = self._model.options.id_attr
        if last is None or ordering not in (id_attr, f"-{id_attr}"):
            return None
        op = "lt" if ordering.startswith("-") else "gt"
        return f"qs.filter({id_attr}__{op}={last!r}).iterator(cursor=True) reads the rest"

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> Self: ...

    def __getitem__(self, index: int | slice) -> R | Self:
        """``qs[10]`` fetches one row; ``qs[10:20]`` is a lazy QuerySet over those rows.

        Raises:
            ValueError: a negative index or bound, or a step (not supported by page pagination).
            IndexError: the index is past the end.
            TypeError: the index is not an int or a slice.
        """
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("QuerySet slices do not support a step")
            for bound in (index.start, index.stop):
                if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                    raise TypeError(f"QuerySet slice bounds must be ints, got {bound!r}")
                if bound is not None and bound < 0:
                    raise ValueError(
                        "negative indexing is not supported (the server pages forwards): "
                        "reverse the order with order_by('-field') and slice from the start"
                    )
            start = self._low + (index.start or 0)
            stop = None if index.stop is None else self._low + index.stop
            if self._high is not None:
                stop = self._high if stop is None else min(stop, self._high)
            if stop is not None and stop < start:
                stop = start
            return self._clone(_low=start, _high=stop)
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError(f"QuerySet indices must be ints or slices, got {type(index).__name__}")
        if index < 0:
            raise ValueError(
                "negative indexing is not supported (the server pages forwards): "
                "use order_by('-field')[0] or qs[qs.count() - 1]"
            )
        position = self._low + index
        if self._high is not None and position >= self._high:
            raise IndexError("QuerySet index out of range")
        for obj in self._clone(_low=position, _high=position + 1):
            return obj
        raise IndexError(f"QuerySet index {index} out of range")

    def get(self, id: Any = None, **filters: Any) -> R:
        """Return the one object this QuerySet selects with ``id`` (and ``filters``): one request.

        ``client.projects.filter(title="x").get(1)`` lists with ``id=1`` and the QuerySet's
        filters, so an object outside them is not found. Without ``id``, ``filters`` must select
        exactly one object.

        Raises:
            NotFound: no object inside this QuerySet matches.
            ValueError: more than one object matches (without an id).
            ValidationError: an unknown filter name (before any request).
            TypeError: ``id`` has the wrong type, or the QuerySet is sliced.
        """
        model = self._model
        name = model.__name__
        if id is None:
            id = filters.pop(model.options.id_attr, None)
        qs = self.filter(**filters) if filters else self
        if id is not None:
            id = _check_ident(model, id)
            qs = qs._add_params({model.options.id_attr: id})
        elif not filters:
            raise TypeError(f"{type(self).__name__}.get() needs an id or filters, e.g. qs.get(5)")
        qs._require_unsliced("get from")
        id_attr = model.options.id_attr
        rows = [obj for obj in qs[:2].iterator() if id is None or obj.__dict__.get(id_attr) == id]
        if not rows:
            query = qs._query()
            what = f"{name} {id}" if id is not None else name
            raise NotFound(404, f"{what} not found inside this QuerySet ({_describe(query)})",
                           method="GET", path=self._list_path())
        if len(rows) > 1 and id is None:
            raise ValueError(f"more than one {name} matches {_describe(qs._query())}: add a filter or an id")
        return rows[0]

    def count(self) -> int:
        """Return how many rows the query selects: one request with ``page_size=1``."""
        client = self._require_client()
        total = int(client.transport.count(self._list_path(), self._query()))
        total = max(0, total - self._low)
        return total if self._high is None else min(total, self._high - self._low)

    def __len__(self) -> int:
        """Not supported: a length would cost a request (and ``list(qs)`` would send it first).

        Raises:
            TypeError: always; use ``qs.count()`` (one request).
        """
        raise TypeError(
            f"len() of a QuerySet of {self._model.__name__} would cost a request: use qs.count() "
            "(one request) or len(list(qs)) (all pages)"
        )

    def exists(self) -> bool:
        """Return whether the query selects any row: one request for one row."""
        return self.first() is not None

    def __bool__(self) -> bool:
        """``bool(qs)`` (``if qs:``) is ``qs.exists()``: one request for one row."""
        return self.exists()

    def first(self) -> R | None:
        """Return the first row, or None: one request for one row."""
        for obj in self[:1]:
            return obj
        return None

    def ids(self, *, page_size: int = _MAX_PAGE) -> list[Any]:
        """Return the ids the query selects, read page by page with ``fields=id``."""
        id_attr = self._model.options.id_attr
        return [obj.__dict__[id_attr] for obj in self.fields(id_attr).iterator(page_size=page_size)]

    # ---- display ----
    def __repr__(self) -> str:
        from synapse.display import queryset_repr

        return queryset_repr(self)

    def _repr_html_(self) -> str:
        from synapse.display import rows_html

        if self._preview is None:
            self._preview = list(self[:_PREVIEW_ROWS].iterator())
        title = html.escape(repr(self))
        return rows_html(self._preview, title=title, more=len(self._preview) == _PREVIEW_ROWS)

    def to_dataframe(self, columns: Iterable[str] | None = None) -> Any:
        """Return the rows as a ``pandas.DataFrame``, one column per field.

        Columns carry the attribute names (``project_id``), the names the notebook tables show.

        Args:
            columns: the fields to include (attribute or wire names); the request then asks
                only for them (``fields=``).

        Raises:
            ImportError: pandas is not installed (``pip install 'synapse-orm[pandas]'``).
        """
        from synapse.display import to_dataframe

        cols = list(columns) if columns is not None else None
        if not cols:
            return to_dataframe(self, None)
        plans = self._model._attr_plans
        wire = [plans[c].wire if c in plans else c for c in cols]
        attrs = [plans[c].attr if c in plans else next((p.attr for p in plans.values() if p.wire == c), c)
                 for c in cols]
        return to_dataframe(self.fields(*wire), attrs)

    # ---- pickling: never the client (it holds credentials) ----
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_client"] = None
        state["_preview"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
