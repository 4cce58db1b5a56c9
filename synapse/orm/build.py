"""The one cattrs converter: JSON from the wire to resources and back.

Resources are attrs classes, but rows are structured through a per-class *plan* compiled once
(wire key -> attribute, hook) and generated into one straight-line function per class
instead of calling ``__init__``: a list page of 1,000 tasks must
cost microseconds per row, and a partial row (``fields=...``) must leave the fields it lacks
absent, so that reading one later completes the object (see ``Resource.__getattr__``).
The plan's hooks come from this converter (``converter.get_structure_hook``), and the converter
structures any ``Resource`` subclass through the plan, so ``converter.structure(raw, Task)``
and the managers give the same object.

Values the converter does not need to touch (ints, strings, bools, ``None``) are passed
through. Containers (dicts, lists: ``meta``, ``data``, ``tags``, ``configuration``) are copied
*on first read*: the raw answer is kept as the object's pristine snapshot (what ``save()``
diffs against, possibly shared with the cache), and a ``LazyCopy`` descriptor gives the object
its own deep copy the first time the attribute is read. Rows that are only counted, or read
for a scalar, never pay for copying their annotations.
"""

from __future__ import annotations

import datetime as _dt
import linecache
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
import cattrs

from synapse.errors import MalformedAnswer
from synapse.http import redaction

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

R = TypeVar("R", bound="Resource")

__all__ = [
    "NOT_LOADED",
    "BuildPlan",
    "FieldPlan",
    "MalformedAnswer",
    "converter",
    "format_datetime",
    "json_copy",
    "parse_datetime",
]


class _NotLoaded:
    """The default of every resource field: "the server has not told us yet".

    It never stays on an instance: the attribute is removed instead, so that reading it falls
    through to ``Resource.__getattr__``, which completes the object with one GET. Typed ``Any``
    where it is used as a default so that ``title: str = NOT_LOADED`` passes ``mypy --strict``.
    """

    _instance: _NotLoaded | None = None

    def __new__(cls) -> _NotLoaded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LOADED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Final[Any] = _NotLoaded()


_CONTAINERS = (dict, list)


def json_copy(value: Any) -> Any:
    """Return a deep copy of a JSON value (dicts and lists copied, scalars shared).

    Several times faster than ``copy.deepcopy`` on decoded JSON.

    Raises:
        MalformedAnswer: the value is nested too deeply to copy (a hostile answer can be
            parsed at a depth the copy, two frames per level, cannot reach).
    """
    try:
        return _json_copy(value)
    except RecursionError:
        raise MalformedAnswer("a JSON value from the server is nested too deeply") from None


def _json_copy(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return {k: _json_copy(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if t is list:
        return [_json_copy(v) if type(v) in _CONTAINERS else v for v in value]
    return value


def _shown(value: Any, show: Callable[[Any], str] = repr) -> str:
    """A server value for an error message: credentials redacted (a server may echo a header), cut."""
    text = redaction.redact(show(value), redaction._secrets)
    return text if len(text) <= 60 else text[:59] + "…"


def parse_datetime(value: Any) -> _dt.datetime:
    """Parse an ISO 8601 timestamp from the wire (``Z`` accepted on every Python >= 3.10).

    Raises:
        MalformedAnswer: the value is not an ISO 8601 timestamp.
    """
    if isinstance(value, _dt.datetime):
        return value
    if not isinstance(value, str):
        raise MalformedAnswer(f"expected an ISO 8601 timestamp, got {type(value).__name__} {_shown(value)}")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise MalformedAnswer(f"expected an ISO 8601 timestamp, got {_shown(value)}") from None


def format_datetime(value: _dt.datetime) -> str:
    """Format a datetime for the wire (ISO 8601)."""
    return value.isoformat()


converter: Final = cattrs.Converter()
converter.register_structure_hook(_dt.datetime, lambda v, _: parse_datetime(v))
converter.register_unstructure_hook(_dt.datetime, format_datetime)

# Plan hook kinds. Hot loop branches on these small ints.
PASS: Final = 0  # scalars: kept as sent
COPY: Final = 1  # JSON containers: deep-copied (the raw answer stays pristine)
HOOK: Final = 2  # a converter hook (datetimes, nested resources)
FK: Final = 3  # a parent id: an int, or an embedded object when the list was expanded

_SCALARS = (int, str, bool, float, type(None))


@attrs.frozen
class FieldPlan:
    """How one wire key becomes one attribute.

    Attributes:
        attr: the attribute name on the resource (``project_id``).
        wire: the key in the JSON object (``project``).
        kind: ``PASS``, ``COPY``, ``HOOK`` or ``FK``.
        hook: the structure function for ``HOOK`` (and the related class's builder for ``FK``).
        unhook: the unstructure function used by ``to_dict`` (None: copy the value as it is).
        is_datetime: compared by value in ``save()`` diffs (``Z`` and ``+00:00`` are equal).
    """

    attr: str
    wire: str
    kind: int
    hook: Callable[[Any], Any] | None = None
    unhook: Callable[[Any], Any] | None = None
    is_datetime: bool = False


def _is_scalar_type(tp: Any) -> bool:
    if tp in _SCALARS:
        return True
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        return all(_is_scalar_type(a) for a in typing.get_args(tp))
    return origin is typing.Literal


def _is_json_type(tp: Any) -> bool:
    """True for types the converter would not change: JSON scalars, dicts, lists, Any."""
    if tp is Any or tp in (dict, list) or _is_scalar_type(tp):
        return True
    origin = typing.get_origin(tp)
    if origin in (dict, list, Mapping, typing.Union, types.UnionType):
        return all(_is_json_type(a) for a in typing.get_args(tp) if a is not type(None))
    return False


def plan_field(attr: str, wire: str, tp: Any, *, fk: bool = False) -> FieldPlan:
    """Compile the plan of one field from its resolved type (done once per class)."""
    if fk:
        return FieldPlan(attr, wire, FK)
    if _is_scalar_type(tp):
        return FieldPlan(attr, wire, PASS)
    if _is_json_type(tp):
        return FieldPlan(attr, wire, COPY)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    inner = args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1 else tp
    return FieldPlan(
        attr,
        wire,
        HOOK,
        hook=_bind_structure(inner),
        unhook=converter.unstructure,
        is_datetime=inner is _dt.datetime,
    )


def _bind_structure(tp: Any) -> Callable[[Any], Any]:
    fn = converter.get_structure_hook(tp)
    ref = _referenced(tp)
    if ref is None:
        return lambda value: fn(value, tp)
    model, many = ref

    def structure(value: Any) -> Any:
        # Tolerant reader: a relation sent unexpanded (an id, or a list of ids, where the detail
        # route embeds objects) becomes unloaded related objects, each holding its id.
        value = [_stub(model, v) for v in value] if many and type(value) is list else _stub(model, value)
        return fn(value, tp)

    return structure


def _referenced(tp: Any) -> tuple[Any, bool] | None:
    """``(resource class, is a list)`` when ``tp`` is a resource or a list of them, else None."""
    many = typing.get_origin(tp) is list
    inner = typing.get_args(tp)[0] if many and typing.get_args(tp) else tp
    if isinstance(inner, type) and isinstance(getattr(inner, "_id_attr", None), str) and hasattr(
        inner, "_id_type"
    ):
        return inner, many
    return None


def _stub(model: Any, value: Any) -> Any:
    """``{id attribute: value}`` for a bare id of ``model``; anything else unchanged."""
    if type(value) is bool or not isinstance(value, (int, str)):
        return value
    return {model._id_attr: _as_id(model._id_type, value)}


def _as_id(id_type: Any, value: Any) -> Any:
    """An id as the platform types it: a str id (jobs) may arrive as an int, an int id as digits."""
    types_ = id_type if isinstance(id_type, tuple) else (id_type,)
    if type(value) is bool or isinstance(value, types_):
        return value
    if str in types_ and type(value) is int:
        return str(value)
    if int in types_ and type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    return value


@attrs.frozen
class BuildPlan:
    """The per-class recipe ``build`` follows, compiled once from the field plans.

    ``fn`` is a function generated from the plans (as attrs and cattrs generate ``__init__``
    and structure hooks): straight-line code for each key that needs work (renamed, container,
    timestamp, parent id, nested structure), no loop, no dispatch on kinds, so a row costs
    about as much as copying its dict.

    Attributes:
        known: every wire key the class declares.
        fn: the generated builder, ``fn(raw, client, path) -> instance``.
        source: its source code (also shown in tracebacks).
    """

    known: frozenset[str]
    fn: Callable[[Any, Any, str], Any] = attrs.field(repr=False)
    source: str = attrs.field(repr=False)


def build_plan(
    cls: type[Resource], plans: Mapping[str, FieldPlan], relation_models: Mapping[str, type[Resource]]
) -> BuildPlan:
    """Compile the ``BuildPlan`` of ``cls`` from its plans by wire key.

    Args:
        cls: the resource class (its ``_id_attr`` and ``_id_type`` are read here).
        plans: the field plans by wire key.
        relation_models: the related class of each parent-id attribute (``FK`` plans).
    """
    values = list(plans.values())
    groups = {
        "renames": [p for p in values if p.kind == PASS and p.attr != p.wire],
        "copies": [p for p in values if p.kind == COPY],
        "datetimes": [p for p in values if p.kind == HOOK and p.is_datetime],
        "parents": [p for p in values if p.kind == FK],
        "hooks": [p for p in values if p.kind == HOOK and not p.is_datetime],
    }
    known = frozenset(plans)
    source, namespace = _builder_source(cls, known, groups, relation_models)
    filename = f"<synapse build {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    return BuildPlan(known=known, fn=namespace["build"], source=source)


def _builder_source(
    cls: type[Resource],
    known: frozenset[str],
    groups: Mapping[str, list[FieldPlan]],
    relation_models: Mapping[str, type[Resource]],
) -> tuple[str, dict[str, Any]]:
    """The source of ``cls``'s builder and the globals it runs with (see ``build``)."""
    ns: dict[str, Any] = {
        "cls": cls, "known": known, "ABSENT": _ABSENT, "NOT_LOADED": NOT_LOADED,
        "CONTAINERS": _CONTAINERS, "json_copy": json_copy, "fromiso": _fromisoformat,
        "new": cls.__new__, "set_dict": _dict_setter(cls), "not_an_object": _not_an_object,
        "parse_or_raise": _parse_or_raise, "structure_or_raise": _structure_or_raise,
        "parent": _parent, "check_ident": _check_ident,
    }

    def fix_up(p: FieldPlan, *body: str) -> list[str]:
        """Lines that take ``p``'s key (when sent), run ``body`` on ``v``, store ``v`` under its attribute."""
        take = f"d.get({p.wire!r}, ABSENT)" if p.attr == p.wire else f"d.pop({p.wire!r}, ABSENT)"
        return [f"    v = {take}", "    if v is not ABSENT:", *(f"        {line}" for line in body),
                f"        d[{p.attr!r}] = v"]

    def inexact(tp: type | tuple[type, ...], name: str) -> str:  # "v's type is not exactly the id type"
        ns[name] = tp
        return f"type(v) is not {name}" if isinstance(tp, type) else f"type(v) not in {name}"

    out = [
        "def build(raw, client, path=''):",
        "    if type(raw) is not dict:",
        "        not_an_object(cls, raw, path)",
        "    d = dict(raw)",
        "    extra = None",
        f"    if len(raw) > {len(known)} or not known.issuperset(raw):",
        "        extra = {key: json_copy(d.pop(key)) for key in raw.keys() - known}",
    ]
    for p in groups["renames"]:
        out += fix_up(p)
    for p in groups["copies"]:
        if p.attr == p.wire:  # a container stays in the snapshot only, copied on first read
            out += [f"    if type(d.get({p.wire!r})) in CONTAINERS:", f"        del d[{p.wire!r}]"]
        else:
            out += [
                f"    v = d.pop({p.wire!r}, ABSENT)",
                "    if v is not ABSENT and type(v) not in CONTAINERS:",
                f"        d[{p.attr!r}] = v",
            ]
    for i, p in enumerate(groups["datetimes"]):
        ns[f"hook_dt{i}"] = p.hook
        out += fix_up(
            p,
            "if type(v) is str:",
            "    try:",
            "        v = fromiso(v)",
            "    except ValueError:",
            f"        v = parse_or_raise(cls, {p.attr!r}, v, path)",
            "elif v is not None:",
            f"    v = structure_or_raise(cls, {p.attr!r}, hook_dt{i}, v, path)",
        )
    for i, p in enumerate(groups["parents"]):
        ns[f"rel{i}"] = related = relation_models[p.attr]
        out += fix_up(
            p,
            f"if {inexact(related._id_type, f'rel_id{i}')}:",
            f"    v = parent(cls, {p.attr!r}, rel{i}, v, client, path, d)",
        )
    for i, p in enumerate(groups["hooks"]):
        ns[f"hook{i}"] = p.hook
        hooked = f"    v = structure_or_raise(cls, {p.attr!r}, hook{i}, v, path)"
        out += fix_up(p, "if v is not None:", hooked)
    out += [
        f"    v = d.get({cls._id_attr!r}, NOT_LOADED)",
        f"    if {inexact(cls._id_type, 'id_type')}:",
        f"        d[{cls._id_attr!r}] = check_ident(cls, v, path)",
        "    d['_extra'] = extra",
        "    d['_snapshot'] = raw",
        "    d['_client'] = client",
        "    obj = new(cls)",
        "    set_dict(obj, d)",
        "    return obj",
    ]
    return "\n".join(out) + "\n", ns


_ABSENT: Final[Any] = object()  # "the server did not send this key", in generated builders


def build(cls: type[R], raw: Any, client: Any, *, path: str = "") -> R:
    """Structure one JSON object into a bound ``cls`` instance without calling ``__init__``.

    Known keys become attributes, unknown keys go to ``_extra``, the raw object is kept as the
    pristine snapshot. Keys the server did not send stay absent (the object is partial).
    The common case costs one dict copy plus a fix-up of the few keys that need work
    (containers, datetimes, parent ids, renamed keys).

    Raises:
        MalformedAnswer: ``raw`` is not a JSON object, lacks the id, or a value has the wrong type.
    """
    built: R = builder(cls)(raw, client, path)
    return built


def builder(cls: type[R]) -> Callable[[Any, Any, str], R]:
    """Return ``cls``'s compiled builder, ``fn(raw, client, path)``: ``build`` without its lookup.

    For loops over many rows of one class (a list page).
    """
    plan = cls.__dict__.get("_build_plan")
    if plan is None:
        cls._plans.get("")  # compiles the class on first use
        plan = cls.__dict__["_build_plan"]
    fn: Callable[[Any, Any, str], R] = plan.fn
    return fn


def _not_an_object(cls: type[Any], raw: Any, path: str) -> None:
    raise MalformedAnswer(
        # The type only: a server echoing a request header would put a token in the value.
        f"expected a {cls.__name__} object, got {type(raw).__name__}", path=path
    )


def _parent(
    cls: type[Any], attr: str, related: Any, value: Any, client: Any, path: str, d: dict[str, Any]
) -> Any:
    """A parent-id value that is not exactly of the id type: None, an embedded object, or bad."""
    if value is None:
        return None
    if type(value) is dict:  # expanded: keep the embedded object, store its id
        embedded = build(related, value, client, path=path)
        d["_rel_" + attr] = embedded
        return embedded._ident
    value = _as_id(related._id_type, value)
    if type(value) is bool or not isinstance(value, related._id_type):
        raise MalformedAnswer(
            f"{cls.__name__}.{attr}: expected a {related.__name__} id, got {type(value).__name__}", path=path
        )
    return value


def _check_ident(cls: type[Any], ident: Any, path: str) -> Any:
    """Return ``ident`` (not exactly of the id type) as a valid id, or raise.

    An int where the platform uses str ids (a job id) becomes its str, and digits where it
    uses int ids become the int: both are read, never refused.
    """
    ident = _as_id(cls._id_type, ident)
    if ident is NOT_LOADED or ident is None or type(ident) is bool or not isinstance(ident, cls._id_type):
        raise MalformedAnswer(
            f"a {cls.__name__} object needs {cls._id_attr!r} of type {_type_names(cls._id_type)}, "
            f"got {_shown(ident)}",
            path=path,
        )
    return ident


def _structure_or_raise(cls: type, attr: str, hook: Callable[[Any], Any], value: Any, path: str) -> Any:
    try:
        return hook(value)
    except (MalformedAnswer, cattrs.BaseValidationError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"{cls.__name__}.{attr}: {_shown(exc, str)}", path=path) from None


def _dict_setter(cls: type) -> Callable[[Any, dict[str, Any]], None]:
    """Return a function that sets an instance's ``__dict__`` directly.

    It bypasses the class's ``__setattr__`` (resources track writes there) and costs less than
    filling the empty dict ``__new__`` made.
    """
    for klass in cls.__mro__:
        descriptor = vars(klass).get("__dict__")
        if descriptor is not None and hasattr(descriptor, "__set__"):
            setter: Callable[[Any, dict[str, Any]], None] = descriptor.__set__
            return setter
    raise TypeError(f"{cls.__name__} instances have no __dict__")


class LazyCopy:
    """Class-level descriptor of a container field: copy it from the snapshot on first read.

    A non-data descriptor, so once the copy sits in the instance ``__dict__`` reads no longer
    reach it. When the snapshot lacks the key, the field is missing: the resource completes
    itself (see ``Resource._missing``).
    """

    def __init__(self, attr: str, wire: str) -> None:
        self.attr = attr
        self.wire = wire

    def __get__(self, obj: Any, owner: type[Any]) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        snapshot = d.get("_snapshot")
        if snapshot and self.wire in snapshot:
            value = snapshot[self.wire]
            if type(value) in _CONTAINERS:
                value = json_copy(value)
            d[self.attr] = value
            return value
        return obj._missing(self.attr)


_fromisoformat = _dt.datetime.fromisoformat  # accepts "Z" from Python 3.11; 3.10 takes the slow path


def _parse_or_raise(cls: type[Any], attr: str, value: str, path: str) -> _dt.datetime:
    try:
        return parse_datetime(value)
    except MalformedAnswer as exc:
        raise MalformedAnswer(f"{cls.__name__}.{attr}: {exc}", path=path) from None


def _type_names(tp: type | tuple[type, ...]) -> str:
    if isinstance(tp, tuple):
        return " or ".join(t.__name__ for t in tp)
    return tp.__name__
