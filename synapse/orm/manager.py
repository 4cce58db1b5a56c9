"""``Manager``: the entry point of one resource type (``client.tasks``, ``project.tasks``).

A manager is the unfiltered ``QuerySet`` of its type plus the verbs that are not queries:
``get``, ``create``, ``bulk_create``. Which verbs work is declared on the resource (``_verbs``);
calling one the API does not offer raises ``MethodNotAllowed`` before any request. A *related*
manager (``project.tasks``, built by a ``Children`` relation) carries its parent filter, which
``create`` and ``bulk_create`` fill in.

Caching: ``get(id)`` reads through the client's cache (key: resource class and id; the raw JSON
is cached, each ``get`` returns a new object); ``get(id, lazy=True)`` sends nothing. Every write
sent through a manager or a resource clears the cache, since a write may change other objects
too (a new task changes its project's ``task_count``).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from synapse.errors import MethodNotAllowed, NotFound, ValidationError
from synapse.orm.build import MalformedAnswer, build
from synapse.orm.queryset import QuerySet, query_value
from synapse.orm.registry import manager_class, register_manager
from synapse.orm.resource import Resource
from synapse.orm.schema import compiled

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.orm.session import Session

__all__ = ["BULK_BATCH", "Manager", "manager_for"]

R = TypeVar("R", bound=Resource)
BULK_BATCH = 1000  # API.md: units and tasks are created in batches of up to 1000
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._~-]*")  # a code or code@version, never "." or "/"


def manager_for(client: Session, model: type[R]) -> Manager[R]:
    """Return the registered manager of ``model`` bound to ``client`` (a plain ``Manager`` if none)."""
    cls = manager_class(model)
    if cls is None:
        return Manager(client, model)
    return typing.cast("Manager[R]", cls(client))


class Manager(QuerySet[R]):
    """All objects of one resource type: its QuerySet's methods plus ``get``/``create``/``bulk_create``.

    Subclass it per resource with ``_model = TheResource`` (that registers it), and add the
    type's own operations as methods. Query methods (``filter()``, ``order_by()``, ``fields()``,
    ``expand()``, ``with_params()``, ``all()``, slicing) return a plain QuerySet, which has no
    ``create``: put the query-level operations on a ``QuerySet`` subclass and list it as a base
    after ``Manager`` (``class TaskManager(Manager[Task], TaskQuerySet)``); that class is
    the one the query methods return (``_queryset_class``).

    Args:
        client: the client the objects are read and written through.
        model: the resource class (default: the subclass's ``_model``).
    """

    def __init__(self, client: Session | None, model: type[R] | None = None) -> None:
        model = model or type(self).__dict__.get("_model")
        if model is None:
            raise TypeError(f"{type(self).__name__} needs a model")
        super().__init__(client, model)

    _queryset_class: type[QuerySet[Any]] = QuerySet

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
    def _check_verb(self, verb: str, method: str, path: str) -> None:
        if verb not in self._model._verbs:
            names = {"get": "read one by one", "create": "created", "list": "listed"}
            raise MethodNotAllowed(
                405,
                f"{self._model.__name__} objects cannot be {names.get(verb, verb + 'd')} through the API "
                f"(API.md has no {method} {path}); no request was sent",
                method=method,
                path=path,
            )

    def _check_id(self, ident: Any) -> Any:
        model = self._model
        if isinstance(ident, model):
            return ident._ident
        if isinstance(ident, bool) or not isinstance(ident, model._id_type):
            expected = model._id_type
            kinds = expected if isinstance(expected, tuple) else (expected,)
            names = " or ".join(t.__name__ for t in kinds)
            raise TypeError(
                f"a {model.__name__} id must be {names}, got {type(ident).__name__} {ident!r:.40}"
            )
        return ident

    def _detail_path(self, ident: Any) -> str:
        return f"{self._model._path}{ident}/"

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
            raw = client.transport.get(path, params=dict(model._detail_params) or None)
        except NotFound as exc:
            raise _named_not_found(exc, model.__name__, ident) from None
        if not isinstance(raw, dict):
            raise MalformedAnswer(f"GET {path}: expected a {model.__name__} object, got {type(raw).__name__}",
                                  path=path)
        cache.set(model.__name__, ident, raw, since=since)
        return raw, False

    def _write(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one write (the client empties its cache after every write exchange)."""
        return self._require_client().transport.request(method, path, **kwargs)

    # ---- verbs ----
    def get(self, id: Any, *, lazy: bool = False) -> R:  # type: ignore[override]
        """Return the object with this id: one GET, or none when it is cached.

        Args:
            id: the object's id (an int for most types).
            lazy: send no request now; the object loads on the first read of a missing field
                (a cached object is returned whole).

        Raises:
            TypeError: ``id`` has the wrong type (before any request).
            NotFound: no such object (or not visible to this token).
        """
        ident = self._check_id(id)
        self._check_verb("get", "GET", f"{self._model._path or ''}{{id}}/")
        client = self._require_client()
        model = self._model
        if lazy:
            raw = client.cache.get(model.__name__, ident)
            if raw is not None:
                return build(model, raw, client)
            return _stub(model, ident, client)
        raw, _ = self._fetch_raw(ident, use_cache=True)
        obj = build(model, raw, client, path=model._path or "")
        if self._fixed:
            self._check_related(obj)
        return obj

    def fetch(self, id: Any, **params: Any) -> R:
        """Read one object with extra query parameters on its detail route: one GET, never cached.

        ``client.tasks.fetch(5, expand="data_unit")`` sends ``GET tasks/5/?expand=data_unit``.
        A string id is accepted where the route takes one (a plugin code, ``code@version``).

        Raises:
            TypeError: ``id`` has the wrong type, or a parameter value cannot be sent.
            ValueError: a string id that cannot be a path segment (before any request).
            NotFound: no such object (or not visible to this token).
        """
        kinds = self._model._id_type if isinstance(self._model._id_type, tuple) else (self._model._id_type,)
        if isinstance(id, str) and str not in kinds:
            if not _SEGMENT.fullmatch(id):
                raise ValueError(f"{self._model.__name__} id {id!r:.60} is not a valid path segment")
            ident: Any = id
        else:
            ident = self._check_id(id)
        self._check_verb("get", "GET", f"{self._model._path or ''}{{id}}/")
        query = dict(self._model._detail_params)
        query.update({key: query_value(key, value) for key, value in params.items() if value is not None})
        path = self._detail_path(ident)
        client = self._require_client()
        try:
            raw = client.transport.get(path, params=query or None)
        except NotFound as exc:
            raise _named_not_found(exc, self._model.__name__, ident) from None
        if not isinstance(raw, dict):
            raise MalformedAnswer(f"GET {path}: expected a {self._model.__name__} object", path=path)
        return build(self._model, raw, client, path=self._model._path or "")

    def _check_related(self, obj: R) -> None:
        from synapse.errors import NotFound

        plans = compiled(self._model)
        for key, value in self._fixed.items():
            plan = plans.get(key)
            held = obj.__dict__.get(plan.attr) if plan is not None else None
            if held is not None and query_value(key, held) != value:
                raise NotFound(404, f"{self._model.__name__} {obj._ident} does not belong to {key}={value}")

    def _prepare(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and render one create body (before any request)."""
        model = self._model
        body: dict[str, Any] = dict(self._create_defaults)
        body.update(fields)
        known = set(compiled(model)) | model._create_extra
        unknown = sorted(set(body) - known)
        if unknown:
            raise TypeError(
                f"{model.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"fields: {', '.join(sorted(known))}"
            )
        missing = [name for name in model._create_fields if body.get(name) is None]
        if missing:
            raise ValidationError(
                400,
                f"{model.__name__}: missing required field(s) {', '.join(missing)}; no request was sent",
                errors={name: ["This field is required."] for name in missing},
            )
        return {key: _wire_value(value) for key, value in body.items()}

    def create(self, *args: Any, **fields: Any) -> R:
        """Create one object with one POST and return it.

        Args:
            *args: not accepted (a TypeError names the mistake).
            **fields: wire field names and values (resources are sent as their id); a related
                manager fills its parent field.

        Raises:
            MethodNotAllowed: the API cannot create this type (before any request).
            ValidationError: a required field is missing (before any request) or the server
                refused the values.
            TypeError: an unknown field name (before any request).
        """
        if args:
            raise TypeError(f"{type(self).__name__}.create() takes keyword arguments only")
        path = self._model._path or ""
        self._check_verb("create", "POST", path)
        body = self._prepare(fields)
        raw = self._write("POST", path, json=body)
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        return build(self._model, raw, self._require_client(), path=path)

    def bulk_create(self, items: Iterable[Mapping[str, Any]], *, batch_size: int = BULK_BATCH) -> list[R]:
        """Create many objects: one POST with a JSON list per ``batch_size`` items.

        Every item is validated before the first request.

        Raises:
            MethodNotAllowed: the API cannot create this type (before any request).
            ValidationError: an item lacks a required field (before any request).
        """
        path = self._model._path or ""
        self._check_verb("create", "POST", path)
        if not 1 <= batch_size <= BULK_BATCH:
            raise ValueError(f"batch_size must be between 1 and {BULK_BATCH}")
        bodies = [self._prepare(item) for item in items]
        client = self._require_client()
        created: list[R] = []
        for start in range(0, len(bodies), batch_size):
            answer = self._write("POST", path, json=bodies[start : start + batch_size])
            rows = answer if isinstance(answer, list) else [answer]
            created.extend(build(self._model, raw, client, path=path) for raw in rows)
        return created


def _named_not_found(exc: NotFound, model: str, ident: Any) -> NotFound:
    """``exc`` with a message naming the resource and the id: ``Project 999 not found``."""
    server = str(exc.detail or "").strip()
    detail = f"{model} {ident} not found"
    if server and server != "Not found.":
        detail += f" (server: {server})"
    named = NotFound(exc.status_code, detail, errors=exc.errors, method=exc.method, path=exc.path,
                     body=exc.body)
    named.__dict__.update({k: v for k, v in exc.__dict__.items() if k not in named.__dict__})
    return named


def _wire_value(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, Resource):
        return value._ident
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_wire_value(v) for v in value]
    return value


def _stub(model: type[R], ident: Any, client: Session) -> R:
    """A lazy object: only its id, bound to the client; loads on the first missing field."""
    obj = model.__new__(model)
    d = obj.__dict__
    d[model._id_attr] = ident
    d["_extra"] = None
    d["_snapshot"] = {}
    d["_client"] = client
    return obj
