"""The resource engine: the ``Resource`` base class and how a resource is declared.

How to add a resource
=====================
A resource module is mostly declarations. A complete example (``synapse/resources/tasks.py``
is the real one)::

    from __future__ import annotations

    import datetime as dt
    from typing import TYPE_CHECKING, Any

    from synapse.orm.filters import IDS, Filters
    from synapse.orm.resource import NOT_LOADED, Children, Manager, Parent, Resource, resource

    if TYPE_CHECKING:  # only for the type checker: relations name their models as strings
        from synapse.resources.projects import Project


    @resource                                  # attrs class + compiled wire plan + registry
    class Widget(Resource):
        \"\"\"A widget of a project (``widgets/{id}/``).\"\"\"

        _path = "widgets/"                     # detail route: widgets/{id}/
        _list_path = "sdk/widgets/"            # list route when it differs (default: _path)
        _detail_params = {"expand": "parts"}   # query sent with every detail GET (optional)
        _verbs = frozenset({"get", "list", "create", "update", "delete"})
        _repr_fields = ("name",)               # <Widget 3 'Blue'>
        _create_fields = ("project", "name")   # required by create(), checked before a request
        _create_extra = frozenset({"groups"})  # create-only body keys that are not fields
        _filters = Filters("project", "name", id=IDS, ordering=("id", "name"))  # what lists take
        _read_only = frozenset({"id", "created"})  # save() refuses to send these (default shown)

        id: int                                # the only field without a default
        project_id: int = NOT_LOADED           # wire key "project": see Parent below
        name: str = NOT_LOADED                 # every other field defaults to NOT_LOADED
        meta: dict[str, Any] = NOT_LOADED      # containers are copied, so save() sees edits
        created: dt.datetime | None = NOT_LOADED   # parsed from ISO 8601

        # widget.project -> a lazy Project, resolved through the cache
        project: ClassVar[Parent[Project]] = Parent("Project")
        # widget.parts -> PartManager filtered on widget=<id>; create() fills it in
        parts: ClassVar[Children[PartManager]] = Children("Part", fk="widget")


    class WidgetManager(Manager[Widget]):
        \"\"\"``client.widgets``: ...\"\"\"

        _model = Widget                        # registers the manager for the model

Custom operations are ordinary methods built on a few engine helpers (see ``tasks.py``):

- on a resource: ``self._require_client()`` (the bound client), ``self._manager()`` (its
  manager), ``manager._write(method, path, json=..., params=...)`` (send a write, clear the
  cache), ``manager._detail_path(id)``, ``self._merge(raw, replace=True)`` (take a full answer),
  ``self._check_verb("update", "PATCH")``;
- on a manager: ``self._require_client()``, ``self._check_id(id)``,
  ``self._fetch_raw(id, use_cache=True)`` (``(raw, from_cache)``), ``self._write(...)``,
  ``build(Model, raw, client)`` (from ``synapse.orm.build``) to turn an answer into
  a bound object, ``self._related(fk, value, create=True)``.

Non-default identity: ``_id_type = str`` (job ids are UUID strings; declare ``id: str``),
``_id_attr = "pgh_id"`` (the field that identifies the object), ``_cursor_ordering = "-pgh_id"``
(the ordering sent with ``iterator(cursor=True)``). Override ``Manager.get`` when an id has
another form (``releases.get("1.0.0")``), keeping the signature ``get(id, *, lazy=False)``.

Rules: field types must be resolvable at run time (no ``TYPE_CHECKING``-only names in field
annotations; relations use strings). A ``Parent`` named ``x`` stores its id in the field
``x_id`` whose wire key is ``x`` (declare that field). Add the module's name to
``synapse/resources/__init__.py`` ``_MODULES`` and a cached property on ``Client`` below the
``# --- managers (object model) ---`` marker. ``tests/unit/test_meta.py`` checks the rest.

Objects: a row from a list with ``fields(...)`` or ``get(id, lazy=True)`` is *partial*: the
fields it lacks are absent, and the first read of one sends one GET (logged at DEBUG on the
``synapse.resources`` logger) and fills every missing field. Resources compare equal by type
and id. Pickling drops the client (no token ever travels with a pickled resource): an
unpickled resource is unbound until ``client.bind(obj)``.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from synapse.errors import ConfigurationError, MethodNotAllowed, ValidationError
from synapse.orm.build import (
    COPY,
    FK,
    NOT_LOADED,
    BuildPlan,
    FieldPlan,
    MalformedAnswer,
    build,
    converter,
    json_copy,
    parse_datetime,
)
from synapse.orm.filters import Filters
from synapse.orm.registry import register_model
from synapse.orm.schema import LazyPlans, compiled

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform

    from synapse.orm.session import Session
else:

    def dataclass_transform(**_: Any) -> Any:
        return lambda f: f


__all__ = [
    "NOT_LOADED",
    "VERBS",
    "MalformedAnswer",
    "Resource",
    "field",
    "resource",
]

logger = logging.getLogger("synapse.resources")

VERBS = frozenset({"get", "list", "create", "update", "delete"})
R = TypeVar("R", bound="Resource")


def field(*, wire: str | None = None, default: Any = NOT_LOADED) -> Any:
    """Declare a field whose wire key differs from its attribute name.

    Args:
        wire: the key in the JSON object.
        default: leave it to ``NOT_LOADED`` (absent until the server sends it).
    """
    return attrs.field(default=default, metadata={"wire": wire} if wire else {})


@dataclass_transform(field_specifiers=(attrs.field, field))
def resource(cls: type[R]) -> type[R]:
    """Make ``cls`` a resource: an attrs class (no generated eq/repr) checked and registered.

    Raises:
        TypeError: a declaration is inconsistent (unknown verb, repr field that is not a field).
    """
    cls = attrs.define(slots=False, eq=False, repr=False, order=False, on_setattr=attrs.setters.NO_OP)(cls)
    unknown = set(cls._verbs) - VERBS
    if unknown:
        raise TypeError(f"{cls.__name__}._verbs: unknown verbs {sorted(unknown)}; use {sorted(VERBS)}")
    names = {a.name for a in attrs.fields(typing.cast(Any, cls))}
    for name in (*cls._repr_fields, cls._id_attr):
        if name not in names:
            raise TypeError(f"{cls.__name__}: {name!r} is declared but is not a field")
    if cls._verbs and not cls._path:
        raise TypeError(f"{cls.__name__} declares verbs but no _path")
    register_model(cls)
    return cls


class Resource:
    """Base of every resource: a typed view of one JSON object of the API, bound to a client.

    Subclasses are declared with ``@resource`` (see the module docstring). Attributes starting
    with ``_`` are engine state; everything else is a field, a relation or a method.
    """

    # ---- declarations (override in subclasses) ----
    _path: ClassVar[str | None] = None
    _list_path: ClassVar[str | None] = None
    _detail_params: ClassVar[Mapping[str, str]] = {}
    _verbs: ClassVar[frozenset[str]] = frozenset()
    _repr_fields: ClassVar[tuple[str, ...]] = ()
    _create_fields: ClassVar[tuple[str, ...]] = ()
    _create_extra: ClassVar[frozenset[str]] = frozenset()
    _filters: ClassVar[Filters] = Filters()  # the list route's filters and orderings (orm/filters.py)
    _read_only: ClassVar[frozenset[str]] = frozenset({"id", "created"})
    _id_attr: ClassVar[str] = "id"
    _id_type: ClassVar[type | tuple[type, ...]] = int
    _cursor_ordering: ClassVar[str] = "-id"

    # ---- compiled on first use (see schema.py) ----
    _plans: ClassVar[dict[str, FieldPlan]]  # by wire key
    _attr_plans: ClassVar[dict[str, FieldPlan]]  # by attribute
    _relation_models: ClassVar[dict[str, type[Resource]]]  # fk attribute -> related model
    _build_plan: ClassVar[BuildPlan]

    if TYPE_CHECKING:  # instance state set by the engine (not attrs fields)
        _extra: dict[str, Any] | None
        _snapshot: Mapping[str, Any]
        _client: Session | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Compiled lazily: field types may name classes defined later in the module.
        cls._plans = LazyPlans(cls)
        cls._attr_plans = LazyPlans(cls, by_attr=True)
        cls._relation_models = LazyPlans(cls, relations=True)

    def __attrs_post_init__(self) -> None:
        # Built by hand (Widget(id=1, name="x")): drop the NOT_LOADED defaults, start unbound.
        d = self.__dict__
        for key in [k for k, v in d.items() if v is NOT_LOADED]:
            del d[key]
        d.setdefault("_extra", None)
        d.setdefault("_snapshot", {})
        d.setdefault("_client", None)

    # ---- identity ----
    @property
    def _ident(self) -> Any:
        return self.__dict__[self._id_attr]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(self._ident == other._ident)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._ident))

    # ---- reading ----
    if not TYPE_CHECKING:  # keep mypy strict: unknown attributes stay type errors

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                raise AttributeError(name)
            return self._missing(name)

    def _missing(self, name: str) -> Any:
        """Read a field the object lacks: complete the object once, or explain the error."""
        cls = type(self)
        d = self.__dict__
        plans = compiled(cls, by_attr=True)
        if name in plans:
            if d.get("_client") is None:
                raise AttributeError(
                    f"{cls.__name__}.{name} is not loaded and this object is not bound to a client "
                    f"(unpickled or built by hand): call client.bind(obj) first"
                )
            if not d.get("_complete"):
                self._complete(reason=name)
                if self._peek(name) is not NOT_LOADED:
                    return getattr(self, name)
            d[name] = None  # a full answer without the key
            return None
        extra = d.get("_extra")
        if extra and name in extra:
            return extra[name]
        if name in dir(cls) and d.get("_client") is None:
            # A relation's descriptor raised AttributeError (no client), and Python fell back here:
            # keep its advice rather than claiming the attribute does not exist.
            raise AttributeError(
                f"{cls.__name__}.{name} needs a client (this object is unbound): call client.bind(obj) first"
            )
        raise AttributeError(f"{cls.__name__} has no attribute {name!r}; fields: {', '.join(sorted(plans))}")

    def _peek(self, name: str) -> Any:
        """The field's value if the object holds it, else ``NOT_LOADED``; never sends a request.

        A container not read yet is returned from the snapshot, uncopied: do not modify it.
        """
        d = self.__dict__
        if name in d:
            return d[name]
        plan = compiled(type(self), by_attr=True).get(name)
        snapshot = d.get("_snapshot")
        if plan is not None and plan.kind == COPY and snapshot and plan.wire in snapshot:
            return snapshot[plan.wire]
        return NOT_LOADED

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        if not name.startswith("_") and name not in compiled(cls, by_attr=True):
            descriptor = getattr(cls, name, None)
            if not hasattr(descriptor, "__set__"):
                raise AttributeError(
                    f"{cls.__name__} has no field {name!r}; fields: "
                    f"{', '.join(sorted(compiled(cls, by_attr=True)))}"
                )
        object.__setattr__(self, name, value)

    def __dir__(self) -> list[str]:
        extra = self.__dict__.get("_extra") or {}
        return sorted(set(super().__dir__()) | set(compiled(type(self), by_attr=True)) | set(extra))

    @property
    def _loaded_fields(self) -> list[str]:
        return [a for a in compiled(type(self), by_attr=True) if self._peek(a) is not NOT_LOADED]

    @property
    def is_loaded(self) -> bool:
        """True when every field is present (no read will send a request)."""
        return bool(self.__dict__.get("_complete")) or len(self._loaded_fields) == len(
            compiled(type(self), by_attr=True)
        )

    def _require_client(self) -> Session:
        client = self.__dict__.get("_client")
        if client is None:
            raise ConfigurationError(
                f"this {type(self).__name__} is not bound to a client (unpickled or built by hand): "
                f"call client.bind(obj) first"
            )
        return typing.cast("Session", client)

    def _manager(self) -> Any:
        from synapse.orm.manager import manager_for

        return manager_for(self._require_client(), type(self))

    def _complete(self, *, reason: str) -> None:
        """Fill every missing field with one GET (or a cache hit); keeps local edits."""
        manager = self._manager()
        raw, from_cache = manager._fetch_raw(self._ident, use_cache=True)
        logger.debug(
            "completing partial %s%s: reading %r %s",
            type(self).__name__,
            f" {self._ident}",
            reason,
            "from the cache" if from_cache else f"sent GET {manager._detail_path(self._ident)}",
        )
        self._merge(raw, replace=False)

    def _merge(self, raw: Any, *, replace: bool) -> None:
        """Take fields from a full answer: all of them (``replace``) or only the missing ones."""
        cls = type(self)
        fresh = build(cls, raw, self.__dict__.get("_client"), path=cls._path or "")
        d = self.__dict__
        if replace:
            client = d.get("_client")
            d.clear()
            d.update(fresh.__dict__)
            d["_client"] = client
        else:
            for key, value in fresh.__dict__.items():
                if key not in d:
                    d[key] = value
            snapshot = dict(raw)
            snapshot.update(d.get("_snapshot") or {})
            d["_snapshot"] = snapshot
            if fresh._extra:
                d["_extra"] = {**fresh._extra, **(d.get("_extra") or {})}
        snapshot = d.get("_snapshot") or {}
        for plan in compiled(cls, by_attr=True).values():
            if plan.attr not in d and plan.wire not in snapshot:
                d[plan.attr] = None
        d["_complete"] = True

    # ---- writing ----
    def _changes(self) -> dict[str, Any]:
        """Wire dict of the fields that differ from what the server last sent."""
        d = self.__dict__
        snapshot: Mapping[str, Any] = d.get("_snapshot") or {}
        changes: dict[str, Any] = {}
        for plan in compiled(type(self), by_attr=True).values():
            if plan.attr not in d:
                continue
            if plan.attr == self._id_attr and plan.wire not in snapshot:
                continue  # a lazy or hand-built object: its id names it, it is not a change
            current = d[plan.attr]
            before = snapshot.get(plan.wire)
            if plan.kind == FK:
                if isinstance(before, dict):
                    before = before.get("id")
                if current != before:
                    changes[plan.wire] = current
            elif plan.is_datetime:
                if current != (parse_datetime(before) if before is not None else None):
                    changes[plan.wire] = converter.unstructure(current)
            else:
                wire_value = _unstructure(plan, current)
                if wire_value != before:
                    changes[plan.wire] = wire_value
        for key, value in (d.get("_extra") or {}).items():
            if value != snapshot.get(key):
                changes[key] = json_copy(value)
        return changes

    def to_dict(self) -> dict[str, Any]:
        """Return the object as the API sends it (wire keys; unknown fields kept unchanged).

        Only loaded fields are included; no request is sent. A related object the server
        embedded (a row listed with ``expand=``) stays embedded, as its own ``to_dict()``.
        """
        d = self.__dict__
        snapshot: Mapping[str, Any] = d.get("_snapshot") or {}
        out: dict[str, Any] = {}
        for plan in compiled(type(self), by_attr=True).values():
            value = self._peek(plan.attr)
            if value is NOT_LOADED:
                continue
            if plan.is_datetime and value is not None:
                before = snapshot.get(plan.wire)
                if isinstance(before, str) and parse_datetime(before) == value:
                    out[plan.wire] = before  # round-trip the server's own spelling
                    continue
            if plan.kind == FK and isinstance(snapshot.get(plan.wire), dict):
                embedded = d.get("_rel_" + plan.attr)
                if isinstance(embedded, Resource) and embedded._ident == value:
                    out[plan.wire] = embedded.to_dict()  # the server embedded it (expand=): keep it so
                    continue
            out[plan.wire] = _unstructure(plan, value)
        for key, value in (d.get("_extra") or {}).items():
            out[key] = json_copy(value)
        return out

    def refresh(self) -> Self:
        """Reload every field from the server (bypassing the cache, then refreshing it).

        Local unsaved edits are discarded. Returns the object itself.
        """
        manager = self._manager()
        raw, _ = manager._fetch_raw(self._ident, use_cache=False)
        self._merge(raw, replace=True)
        return self

    def save(self) -> Self:
        """Send the changed fields with one PATCH (no request when nothing changed).

        Raises:
            MethodNotAllowed: the API cannot update this type (raised before any request).
            ValidationError: a read-only field was changed (before any request), or the server
                refused the values.
        """
        self._check_verb("update", "PATCH")
        changes = self._changes()
        if not changes:
            return self
        read_only = sorted(set(changes) & self._read_only)
        if read_only:
            raise ValidationError(
                400, f"{type(self).__name__}: read-only fields changed: {', '.join(read_only)}",
                errors={k: ["This field is read-only."] for k in read_only},
            )
        manager = self._manager()
        raw = manager._write("PATCH", manager._detail_path(self._ident), json=changes)
        self._merge(raw, replace=True)
        return self

    def delete(self) -> None:
        """Delete the object on the server.

        Raises:
            MethodNotAllowed: the API cannot delete this type (raised before any request).
        """
        self._check_verb("delete", "DELETE")
        manager = self._manager()
        manager._write("DELETE", manager._detail_path(self._ident))

    def _check_verb(self, verb: str, method: str) -> None:
        if verb not in self._verbs:
            raise MethodNotAllowed(
                405,
                f"{type(self).__name__} objects cannot be {_PAST[verb]} through the API "
                f"(API.md has no {method} route for them); no request was sent",
                method=method,
                path=f"{self._path or ''}{{id}}/",
            )

    def bind(self, client: Session) -> Self:
        """Attach ``client`` to this object (after unpickling) and return it."""
        self.__dict__["_client"] = client
        return self

    # ---- copying and pickling: never the client (it holds credentials) ----
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_client" and not k.startswith("_rel_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__["_client"] = None

    def __copy__(self) -> Self:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        new = type(self).__new__(type(self))
        new.__dict__.update({k: json_copy(v) for k, v in self.__dict__.items() if k != "_client"})
        new.__dict__["_client"] = self.__dict__.get("_client")
        return new

    # ---- display (never sends a request) ----
    def __repr__(self) -> str:
        from synapse.display import resource_repr

        return resource_repr(self)

    def _repr_html_(self) -> str:
        from synapse.display import resource_html

        return resource_html(self)


_PAST = {"get": "read", "list": "listed", "create": "created", "update": "updated", "delete": "deleted"}


def _unstructure(plan: FieldPlan, value: Any) -> Any:
    if value is None:
        return None
    if plan.unhook is not None:
        return plan.unhook(value)
    return json_copy(value)


def _structure_resource(cls: type[Resource]) -> Any:
    def structure(value: Any, _: Any) -> Any:
        return build(cls, value, None)

    return structure


converter.register_structure_hook_factory(
    lambda t: isinstance(t, type) and issubclass(t, Resource), _structure_resource
)
converter.register_unstructure_hook_func(
    lambda t: isinstance(t, type) and issubclass(t, Resource), lambda obj: obj.to_dict()
)
