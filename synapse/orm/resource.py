"""The resource engine: the ``Resource`` base class and how a resource is declared.

How to add a resource
=====================
A resource module is mostly declarations: one ``options``, the fields, the relations, and the
verb mixins the API allows. A complete example (the tests run it as a doctest;
``synapse/resources/tasks.py`` is a real one):

>>> import datetime as dt
>>> from typing import TYPE_CHECKING, Any, ClassVar
>>> from synapse.orm.filters import IDS, Filters
>>> from synapse.orm.options import ResourceOptions
>>> from synapse.orm.relations import Children, Parent
>>> from synapse.orm.resource import NOT_LOADED, resource
>>> from synapse.orm.verbs import Creatable, Deletable, Gettable, Saveable, verbs
>>> @resource                                   # attrs class + checked options + registry
... class Widget(Saveable, Deletable):          # widget.save(), widget.delete(): PATCH, DELETE
...     \"\"\"A widget of a project (``widgets/{id}/``).\"\"\"
...
...     options = ResourceOptions(
...         path="widgets/",                    # detail route: widgets/{id}/
...         list_path="sdk/widgets/",           # list route when it differs (default: path)
...         detail_params={"expand": "parts"},  # query sent with every detail GET (optional)
...         repr_fields=("name",),              # <Widget 3 'Blue'>
...         create_fields=("project", "name"),  # required by create(), checked before a request
...         create_extra=("groups",),           # create-only body keys that are not fields
...         filters=Filters("project", "name", id=IDS, ordering=("id", "name")),  # what lists take
...         read_only=("id", "created"),        # save() refuses to send these (default shown)
...     )
...
...     id: int                                 # the only field without a default
...     name: str = NOT_LOADED                  # every other field defaults to NOT_LOADED
...     meta: dict[str, Any] = NOT_LOADED       # containers are copied, so save() sees edits
...     created: dt.datetime | None = NOT_LOADED    # parsed from ISO 8601
...
...     # widget.project -> a lazy Project; Parent makes the field project_id (wire key "project")
...     project: ClassVar[Parent[Project]] = Parent("Project")
...     # widget.parts -> the Part manager filtered on widget=<id>; its create() fills it in
...     parts: ClassVar[Children[PartManager]] = Children("Part", fk="widget")
...
...     if TYPE_CHECKING:  # optional: names the field Parent makes, for type checkers only
...         project_id: int = NOT_LOADED
>>> class WidgetManager(Gettable[Widget], Creatable[Widget]):
...     \"\"\"``client.widgets``: list, read, create, update and delete widgets.\"\"\"
...
...     _model = Widget                         # registers the manager of the model

What the declarations give:

>>> sorted(verbs(Widget))                       # from the mixins, not from a list of names
['create', 'delete', 'get', 'list', 'update']
>>> Widget.options.list_path, Widget.options.cursor_ordering
('sdk/widgets/', '-id')
>>> widget = Widget(id=3, name="Blue", project_id=7)   # by hand: unbound, nothing sent
>>> widget
<Widget 3 'Blue'>
>>> widget.to_dict()                            # the wire keys: Parent's field is sent as "project"
{'id': 3, 'project': 7, 'name': 'Blue'}
>>> "save" in dir(widget), "create" in dir(WidgetManager)
(True, True)
>>> from synapse.orm.build import build
>>> row = build(Widget, {"id": 4, "project": 7, "created": "2024-05-01T12:00:00Z", "colour": "red"}, None)
>>> row.project_id, row.created.year, row.colour  # unknown keys are kept
(7, 2024, 'red')

A type the API cannot delete does not inherit ``Deletable``: it has no ``delete`` to find in
``dir()`` or completion, and a manager without ``Creatable`` has no ``create``
(``client.projects.create`` is an ``AttributeError`` saying why).

Then add the module's name to ``synapse/resources/__init__.py`` ``_MODULES`` and a cached
property on ``Client`` below the ``# --- managers (object model) ---`` marker;
``tests/unit/test_meta.py`` checks the rest.

The verbs: ``Saveable`` (``obj.save()``, PATCH) and ``Deletable`` (``obj.delete()``) on the
resource; ``Gettable`` (``manager.get(id)``, ``manager.fetch(id, **params)`` on the detail
route) and ``Creatable`` (``manager.create(**fields)``, ``manager.bulk_create(items)``) on the
manager. Every manager lists (it is the unfiltered ``QuerySet`` of its type) unless the options
say ``listable=False``. A manager without ``Gettable`` still looks inside its list:
``client.ground_truths.all().get(5)``.

Custom operations are ordinary methods built on a few engine helpers (see ``tasks.py``):

- on a resource: ``self._require_client()`` (the bound client), ``self._manager()`` (its
  manager), ``manager._write(method, path, json=..., params=...)`` (send a write, clear the
  cache), ``manager._detail_path(id)``, ``self._merge(raw, replace=True)`` (take a full answer);
- on a manager: ``self._require_client()``, ``self._check_id(id)``,
  ``self._fetch_raw(id, use_cache=True)`` (``(raw, from_cache)``), ``self._write(...)``,
  ``build(Model, raw, client)`` (from ``synapse.orm.build``) to turn an answer into
  a bound object, ``self._related(fk, value, create=True)``.

Non-default identity: ``ResourceOptions(id_type=str)`` (job ids are UUID strings; declare
``id: str``), ``id_attr="pgh_id"`` (the field that identifies the object; the cursor ordering
follows: ``-pgh_id``). Override ``get`` when an id has another form (``releases.get("1.0.0")``),
keeping the signature ``get(id, *, lazy=False)``.

Rules: field types must be resolvable at run time (no ``TYPE_CHECKING``-only names in field
annotations; relations use strings).
A ``Parent`` named ``x`` makes the field ``x_id`` whose wire key is ``x``: do not declare that
field again (``@resource`` refuses it); a ``TYPE_CHECKING`` block may name it for type checkers.

Objects: a row from a list with ``fields(...)`` or ``get(id, lazy=True)`` is *partial*: the
fields it lacks are absent, and the first read of one sends one GET (logged at DEBUG on the
``synapse.resources`` logger) and fills every missing field. Resources compare equal by type
and id. Pickling drops the client (no token ever travels with a pickled resource): an
unpickled resource is unbound until ``client.bind(obj)``.
"""

from __future__ import annotations

import inspect
import logging
import sys
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from synapse.errors import ConfigurationError
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
from synapse.orm.options import ResourceOptions
from synapse.orm.registry import register_model
from synapse.orm.relations import Parent
from synapse.orm.schema import LazyPlans, compiled

if TYPE_CHECKING:
    from typing_extensions import Self, dataclass_transform

    from synapse.orm.session import Session
else:

    def dataclass_transform(**_: Any) -> Any:
        return lambda f: f


__all__ = [
    "NOT_LOADED",
    "MalformedAnswer",
    "Resource",
    "ResourceOptions",
    "field",
    "resource",
]

logger = logging.getLogger("synapse.resources")

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

    Each ``Parent`` relation declared on ``cls`` adds its id field (``project`` makes
    ``project_id``, wire key ``project``).

    Raises:
        TypeError: a declaration is inconsistent (a repr field that is not a field, a verb
            without a route, a ``Parent``'s id field declared by hand).
    """
    _add_parent_fields(cls)
    cls._declared_in = sys._getframe(1).f_globals  # where string annotations are evaluated (schema.py)
    cls = attrs.define(slots=False, eq=False, repr=False, order=False, on_setattr=attrs.setters.NO_OP)(cls)
    options = cls.options
    names = {a.name for a in attrs.fields(typing.cast(Any, cls))}
    for name in (*options.repr_fields, options.id_attr):
        if name not in names:
            raise TypeError(f"{cls.__name__}: {name!r} is declared but is not a field")
    if not options.path and (hasattr(cls, "save") or hasattr(cls, "delete")):
        raise TypeError(f"{cls.__name__} can be saved or deleted but its options have no path")
    register_model(cls)
    return cls


def _add_parent_fields(cls: type[Any]) -> None:
    """Add the id field of every ``Parent`` declared on ``cls``, right after the id field."""
    parents = [rel for rel in vars(cls).values() if isinstance(rel, Parent)]
    if not parents:
        return
    own: dict[str, Any] = dict(inspect.get_annotations(cls))
    for rel in parents:
        if rel.id_attr in own:
            raise TypeError(
                f"{cls.__name__}.{rel.id_attr} is declared twice: the relation {rel.name} = "
                f"Parent({rel.model!r}) makes it (wire key {rel.wire!r}); remove the field"
            )
    made = {rel.id_attr: Any for rel in parents}  # a FK's values are typed by the related model
    id_attr = cls.options.id_attr
    annotations: dict[str, Any] = {}
    for name, annotation in own.items():
        annotations[name] = annotation
        if name == id_attr:
            annotations.update(made)
    annotations.update(made)  # no own id field (inherited): at the end
    cls.__annotations__ = annotations
    for rel in parents:
        setattr(cls, rel.id_attr, attrs.field(default=NOT_LOADED, metadata={"wire": rel.wire}))


class Resource:
    """Base of every resource: a typed view of one JSON object of the API, bound to a client.

    Subclasses are declared with ``@resource`` (see the module docstring). Attributes starting
    with ``_`` are engine state; everything else is a field, a relation or a method. Every
    resource can be refreshed, compared, copied, pickled, shown and turned into a dict; what
    else it can do comes from the verb mixins (``synapse.orm.verbs``).

    Attributes:
        options: the type's declaration: routes, display, create body, identity.
    """

    options: ClassVar[ResourceOptions] = ResourceOptions()

    # ---- derived from ``options`` by __init_subclass__, for the row builder (build.py) ----
    _id_attr: ClassVar[str] = "id"
    _id_type: ClassVar[type | tuple[type, ...]] = int
    _declared_in: ClassVar[dict[str, Any]]  # the globals of the class body (set by @resource)

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
        legacy = sorted(name for name in _LEGACY_NAMES if name in cls.__dict__)
        if legacy:
            given = ", ".join(f"{_LEGACY_NAMES[name]}=..." for name in legacy)
            raise TypeError(
                f"{cls.__name__} declares {', '.join(legacy)}: declare options = ResourceOptions({given}) "
                f"instead (verbs are the mixins Saveable, Deletable, Gettable, Creatable)"
            )
        options = cls.options
        if not isinstance(options, ResourceOptions):
            raise TypeError(f"{cls.__name__}.options must be a ResourceOptions, got {type(options).__name__}")
        cls._id_attr = options.id_attr
        cls._id_type = options.id_type
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
        return self.__dict__.get(self.options.id_attr, NOT_LOADED)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        if self._ident is NOT_LOADED or other._ident is NOT_LOADED:
            return self is other  # a row that came without its id is only itself
        return bool(self._ident == other._ident)

    def __hash__(self) -> int:
        if self._ident is NOT_LOADED:
            return id(self)
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
            if d.get(cls.options.id_attr, NOT_LOADED) is NOT_LOADED:
                # The row came without its id (a narrowed list of the real backend): nothing can
                # complete it, so what it lacks reads as None, as a full answer without the key.
                return None
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
        if name in _VERB_METHODS:
            done, method = _VERB_METHODS[name]
            raise AttributeError(
                f"{cls.__name__} has no attribute {name!r}: {cls.__name__} objects cannot be {done} "
                f"through the API (API.md has no {method} {cls.options.path or ''}{{id}}/)"
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
        fresh = build(cls, raw, self.__dict__.get("_client"), path=cls.options.path or "")
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
            if plan.attr == self.options.id_attr and plan.wire not in snapshot:
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


# The class attributes of the former declaration style, and what replaces each.
_LEGACY_NAMES = {
    "_path": "path", "_list_path": "list_path", "_detail_params": "detail_params", "_tags_path": "tags_path",
    "_verbs": "<mixins>", "_repr_fields": "repr_fields", "_create_fields": "create_fields",
    "_create_extra": "create_extra", "_filters": "filters", "_read_only": "read_only",
    "_id_attr": "id_attr", "_id_type": "id_type", "_cursor_ordering": "cursor_ordering",
}

# The methods a verb mixin adds (synapse.orm.verbs): named in the error when a type lacks them.
_VERB_METHODS = {"save": ("updated", "PATCH"), "delete": ("deleted", "DELETE")}


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
