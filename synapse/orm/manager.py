"""``Manager``: the entry point of one resource type (``client.tasks``, ``project.tasks``).

A manager is the unfiltered ``QuerySet`` of its type plus the verbs that are not queries. Which
verbs it has comes from its mixins (``synapse.orm.verbs``): ``Gettable`` adds ``get``/``fetch``,
``Creatable`` adds ``create``/``bulk_create``; a manager without them has no such method
(``client.projects.create`` is an ``AttributeError`` naming the route API.md lacks). A
*related* manager (``project.tasks``, built by a ``Children`` relation) carries its parent
filter, which ``create`` and ``bulk_create`` fill in.

Caching: ``get(id)`` reads through the client's cache (key: resource class and id; the raw JSON
is cached, each ``get`` returns a new object); ``get(id, lazy=True)`` sends nothing. Every write
sent through a manager or a resource clears the cache, since a write may change other objects
too (a new task changes its project's ``task_count``).
"""

from __future__ import annotations

import inspect
import typing
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, overload

from synapse.errors import NotFound
from synapse.orm.build import MalformedAnswer
from synapse.orm.queryset import QuerySet, query_value
from synapse.orm.registry import manager_class, register_manager
from synapse.orm.resource import Resource

if TYPE_CHECKING:
    from typing_extensions import Self, TypeVar as DefaultTypeVar

    from synapse.orm.session import Session

__all__ = ["BULK_BATCH", "Manager", "lazy_object", "manager_for"]

R = TypeVar("R", bound=Resource)
if TYPE_CHECKING:
    Q = DefaultTypeVar("Q", bound="QuerySet[Any]", default="QuerySet[R]")
else:  # at run time a plain type variable: Manager.__class_getitem__ fills in the default
    Q = TypeVar("Q")
"""The QuerySet class a manager's query methods return (``Manager[Task, TaskQuerySet]``); by
default the plain ``QuerySet`` of the manager's resource."""
BULK_BATCH = 1000  # API.md: units and tasks are created in batches of up to 1000


def manager_for(client: Session, model: type[R]) -> Manager[R]:
    """Return the registered manager of ``model`` bound to ``client`` (a plain ``Manager`` if none)."""
    cls = manager_class(model)
    if cls is None:
        return Manager(client, model)
    return typing.cast("Manager[R]", cls(client))


class _NotOffered:
    """A QuerySet method a manager does not have until a verb mixin gives it (``get``).

    Reading it raises ``AttributeError`` naming the route API.md lacks, so ``hasattr`` is False
    and ``dir()`` does not list it.
    """

    def __init__(self, done: str, method: str, mixin: str, advice: str = "") -> None:
        self.done, self.method, self.mixin, self.advice = done, method, mixin, advice
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __get__(self, obj: object | None, owner: type[Any]) -> NoReturn:
        model = getattr(obj, "_model", None) or owner.__dict__.get("_model")
        raise AttributeError(_not_offered(owner.__name__, self.name, model, self))


def _not_offered(manager: str, name: str, model: Any, verb: _NotOffered) -> str:
    what = model.__name__ if model is not None else "these"
    path = model.options.path if model is not None else None
    route = f"{verb.method} {path or ''}{'{id}/' if verb.method == 'GET' else ''}"
    return (
        f"{manager!r} object has no attribute {name!r}: {what} objects cannot be {verb.done} through "
        f"the API (API.md has no {route}){verb.advice}"
    )


_GET = _NotOffered("read one by one", "GET", "Gettable", "; look inside the list: .all().get(id)")
_CREATE = _NotOffered("created", "POST", "Creatable")


class Manager(QuerySet[R], Generic[R, Q]):
    """All objects of one resource type: its QuerySet's methods plus the verbs of its mixins.

    Subclass it per resource with ``_model = TheResource`` (that registers it), list the verb
    mixins the API offers (``class ProjectManager(Gettable[Project])``, ``synapse.orm.verbs``),
    and add the type's own operations as methods. Query methods (``filter()``, ``order_by()``,
    ``fields()``, ``expand()``, ``with_params()``, ``all()``, slicing) return a plain QuerySet,
    which has no ``create``: put the query-level operations on a ``QuerySet`` subclass and list
    it as the last base (``class TaskManager(Gettable[Task], Creatable[Task], TaskQuerySet)``);
    that class is the one the query methods return (``_queryset_class``). The plain
    ``QuerySet.get`` (a lookup inside the list) stays on those QuerySets.

    For type checkers the query methods return ``Q``: name the QuerySet subclass as the second
    type argument (``class TaskManager(Gettable[Task, TaskQuerySet], Creatable[Task,
    TaskQuerySet], TaskQuerySet)``); ``Manager[Project]`` means ``Manager[Project,
    QuerySet[Project]]``.

    Args:
        client: the client the objects are read and written through.
        model: the resource class (default: the subclass's ``_model``).
    """

    if TYPE_CHECKING:  # what the query methods return on a manager: its QuerySet class, not Self

        def all(self) -> Q:  # type: ignore[override]
            """Every object of the type, as a QuerySet (no request)."""

        def filter(self, **params: Any) -> Q:  # type: ignore[override]
            """A QuerySet narrowed by the declared filters (see ``QuerySet.filter``; no request)."""

        def with_params(self, **params: Any) -> Q:  # type: ignore[override]
            """A QuerySet with unchecked query parameters (see ``QuerySet.with_params``)."""

        def order_by(self, *fields: str) -> Q:  # type: ignore[override]
            """A QuerySet ordered by ``fields`` (see ``QuerySet.order_by``; no request)."""

        def fields(self, *names: str) -> Q:  # type: ignore[override]
            """A QuerySet of partial rows (see ``QuerySet.fields``; no request)."""

        def expand(self, *names: str) -> Q:  # type: ignore[override]
            """A QuerySet whose rows embed related objects (see ``QuerySet.expand``)."""

        def refresh(self) -> Q:  # type: ignore[override]
            """The same query as a QuerySet, without a cached preview."""

        def bind(self, client: Session) -> Q:  # type: ignore[override]
            """The same query as a QuerySet bound to ``client``."""

        @overload  # type: ignore[override]
        def __getitem__(self, index: int) -> R: ...

        @overload
        def __getitem__(self, index: slice) -> Q: ...

        def __getitem__(self, index: int | slice) -> R | Q:
            """``manager[10]`` fetches one row; ``manager[10:20]`` is a lazy QuerySet of those rows."""

    else:
        def __class_getitem__(cls, params: Any) -> Any:
            # ``Manager[Task]`` is ``Manager[Task, QuerySet[Task]]``, the default type checkers read
            # from Q (Python before 3.13 has no type variable defaults at run time).
            args = params if isinstance(params, tuple) else (params,)
            if len(args) == 1 and len(getattr(cls, "__parameters__", ())) == 2:
                args = (args[0], QuerySet[args[0]])
            return super().__class_getitem__(args)

    def __init__(self, client: Session | None, model: type[R] | None = None) -> None:
        model = model or type(self).__dict__.get("_model")
        if model is None:
            raise TypeError(f"{type(self).__name__} needs a model")
        super().__init__(client, model)

    _queryset_class: type[QuerySet[Any]] = QuerySet

    if not TYPE_CHECKING:
        get = _GET  # Gettable gives it; without it, a manager has no get(id)

        def __getattr__(self, name: str) -> Any:
            # Also reached when a _NotOffered descriptor raised: Python then retries here.
            verb = inspect.getattr_static(type(self), name, None)
            if not isinstance(verb, _NotOffered):
                verb = _CREATE if name in ("create", "bulk_create") else None
            if name == "bulk_create" and callable(getattr(type(self), "create", None)):
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute 'bulk_create': create them one by one"
                )
            if verb is not None:
                model = self.__dict__.get("_model")
                raise AttributeError(_not_offered(type(self).__name__, name, model, verb))
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        return [
            name for name in super().__dir__()
            if not isinstance(inspect.getattr_static(type(self), name, None), _NotOffered)
        ]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_queryset_class" not in cls.__dict__:
            # The first QuerySet class in the MRO that is not a manager: what queries return.
            cls._queryset_class = next(
                base for base in cls.__mro__ if issubclass(base, QuerySet) and not issubclass(base, Manager)
            )
        model = cls.__dict__.get("_model")
        if model is not None:
            register_manager(model, cls)

    def _clone(self, **changes: Any) -> Self:
        # A query on a manager is a QuerySet: no create(), and get() stays inside its filters.
        qs_class = type(self)._queryset_class
        new = qs_class.__new__(qs_class)
        new.__dict__.update(self.__dict__)
        new._preview = None
        for key, value in changes.items():
            setattr(new, key, value)
        return typing.cast("Self", new)

    def _related(self, fk: str, value: Any, *, create: bool) -> Self:
        return QuerySet._clone(
            self,
            _fixed={**self._fixed, fk: query_value(fk, value)},
            _create_defaults={**self._create_defaults, fk: value} if create else self._create_defaults,
        )

    # ---- plumbing shared with resources ----
    def _check_id(self, ident: Any) -> Any:
        model = self._model
        if isinstance(ident, model):
            return ident._ident
        kinds = model.options.id_types
        if isinstance(ident, bool) or not isinstance(ident, kinds):
            names = " or ".join(t.__name__ for t in kinds)
            raise TypeError(
                f"a {model.__name__} id must be {names}, got {type(ident).__name__} {ident!r:.40}"
            )
        return ident

    def _detail_path(self, ident: Any) -> str:
        return f"{self._model.options.path}{ident}/"

    def _fetch_raw(self, ident: Any, *, use_cache: bool) -> tuple[dict[str, Any], bool]:
        """Return ``(raw JSON, came from the cache)`` for one object; fills the cache."""
        client = self._require_client()
        cache = client.cache
        model = self._model
        if use_cache:
            raw = cache.get(model.__name__, ident)
            if raw is not None:
                return raw, True
        path = self._detail_path(ident)
        since = cache.generation  # a write during this read keeps its answer out of the cache
        try:
            raw = client.transport.get(path, params=dict(model.options.detail_params) or None)
        except NotFound as exc:
            raise named_not_found(exc, model.__name__, ident) from None
        if not isinstance(raw, dict):
            raise MalformedAnswer(f"GET {path}: expected a {model.__name__} object, got {type(raw).__name__}",
                                  path=path)
        cache.set(model.__name__, ident, raw, since=since)
        return raw, False

    def _write(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one write (the client empties its cache after every write exchange)."""
        return self._require_client().transport.request(method, path, **kwargs)


def named_not_found(exc: NotFound, model: str, ident: Any) -> NotFound:
    """``exc`` with a message naming the resource and the id: ``Project 999 not found``."""
    server = str(exc.detail or "").strip()
    detail = f"{model} {ident} not found"
    if server and server != "Not found.":
        detail += f" (server: {server})"
    named = NotFound(exc.status_code, detail, errors=exc.errors, method=exc.method, path=exc.path,
                     body=exc.body)
    named.__dict__.update({k: v for k, v in exc.__dict__.items() if k not in named.__dict__})
    return named


def lazy_object(model: type[R], ident: Any, client: Session) -> R:
    """The object with this id, sending nothing: whole from the cache, else a lazy ``stub``."""
    from synapse.orm.build import build

    raw = client.cache.get(model.__name__, ident)
    if raw is not None:
        return build(model, raw, client)
    return stub(model, ident, client)


def stub(model: type[R], ident: Any, client: Session) -> R:
    """A lazy object: only its id, bound to the client; loads on the first missing field."""
    obj = model.__new__(model)
    d = obj.__dict__
    d[model.options.id_attr] = ident
    d["_extra"] = None
    d["_snapshot"] = {}
    d["_client"] = client
    return obj
