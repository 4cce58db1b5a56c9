"""Building resources from rows: ``build(Task, raw, client)`` and the per-class ``builder``.

A row is structured without calling ``__init__``: its dict is copied once, then a plain loop
runs over the class's *steps* (``synapse.orm.plan``), which name only the keys that need work
(a renamed key, a container, a timestamp, a parent id, a nested resource); every other key is
already in place. A list page of 1,000 tasks costs microseconds per row, and a partial row
(``fields=...``) leaves the fields it lacks absent, so that reading one later completes the
object (see ``Resource.__getattr__``).

Containers (``meta``, ``data``, ``tags``, ``configuration``) are copied *on first read*: the raw
answer is kept as the object's pristine snapshot (what ``save()`` diffs against, possibly shared
with the cache), and a ``LazyCopy`` descriptor gives the object its own deep copy the first time
the attribute is read. Rows that are only counted, or read for a scalar, never pay for copying
their annotations.

Tolerant reader: what a backend sends for a known field is read, never refused (an unexpanded
relation as an id, an id as an int or its digits, a missing key); only a row that cannot be read
at all is ``MalformedAnswer``, naming the route.
"""

from __future__ import annotations

import datetime as _dt
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar

import cattrs

from synapse.errors import MalformedAnswer
from synapse.orm.plan import (
    CONTAINER,
    CONVERTED,
    COPY,
    DATETIME,
    FK,
    PARENT,
    RENAMED,
    RESOURCE,
    RESOURCES,
    BuildPlan,
    FieldPlan,
    LazyCopy,
    Step,
    build_steps,
    plan_field,
)
from synapse.orm.values import (
    CONTAINERS,
    NOT_LOADED,
    as_id,
    check_ident,
    converter,
    format_datetime,
    id_types,
    json_copy,
    parse_datetime,
    shown,
)

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

R = TypeVar("R", bound="Resource")

# Re-exported: the engine's modules and the resources import these from here.
__all__ = [
    "COPY",
    "FK",
    "NOT_LOADED",
    "BuildPlan",
    "FieldPlan",
    "LazyCopy",
    "MalformedAnswer",
    "build",
    "build_plan",
    "builder",
    "converter",
    "format_datetime",
    "json_copy",
    "parse_datetime",
    "plan_field",
]

_ABSENT: Final[Any] = object()  # "the row did not send this key"
_fromisoformat = _dt.datetime.fromisoformat  # accepts "Z" from Python 3.11; 3.10 takes the slow path


def build(cls: type[R], raw: Any, client: Any, *, path: str = "") -> R:
    """Structure one JSON object into a bound ``cls`` instance without calling ``__init__``.

    Known keys become attributes, unknown keys are kept as extras (and written back by
    ``to_dict()``), the raw object is kept as the pristine snapshot. Keys the server did not
    send stay absent (the object is partial).

    Args:
        cls: the resource class.
        raw: the decoded JSON object.
        client: the client the object is bound to (``None``: unbound).
        path: the route the row came from, named by errors.

    Returns:
        The object.

    Raises:
        MalformedAnswer: ``raw`` is not a JSON object, lacks the id, or a value cannot be read.
    """
    built: R = builder(cls)(raw, client, path)
    return built


def builder(cls: type[R]) -> Callable[[Any, Any, str], R]:
    """Return ``cls``'s builder, ``fn(raw, client, path)``: ``build`` without its lookup.

    For loops over many rows of one class (a list page).
    """
    plan = cls.__dict__.get("_build_plan")
    if plan is None:
        cls._plans.get("")  # compiles the class on first use
        plan = cls.__dict__["_build_plan"]
    fn: Callable[[Any, Any, str], R] = plan.fn
    return fn


def build_plan(
    cls: type[Resource], plans: Mapping[str, FieldPlan], relation_models: Mapping[str, type[Resource]]
) -> BuildPlan:
    """Compile the ``BuildPlan`` of ``cls`` from its field plans by wire key (once per class).

    Args:
        cls: the resource class (its id attribute and id types are read here).
        plans: the field plans by wire key.
        relation_models: the related class of each parent-id attribute (``FK`` plans).
    """
    known = frozenset(plans)
    steps = build_steps(plans, relation_models)
    return BuildPlan(known=known, steps=steps, fn=_row_builder(cls, known, steps))


def _row_builder(
    cls: type[Any], known: frozenset[str], steps: tuple[Step, ...]
) -> Callable[[Any, Any, str], Any]:
    """The builder of ``cls``: a loop over its steps, everything it reads bound once, here.

    The steps are grouped by kind once, here, and a row runs one short loop per kind (renamed
    scalars, containers, timestamps, parent ids, nested values: the order in which a malformed
    row's first bad field is reported) instead of asking every step what it is: one loop
    dispatching on the kind cost about 40% more per task row than straight-line code, these
    loops about 20%. Groups most classes lack (renamed keys, nested objects) are skipped
    when empty.
    """
    size = len(known)
    id_attr: str = cls._id_attr
    ids = id_types(cls)
    options = getattr(cls, "options", None)
    id_required = bool(getattr(options, "id_required", True))
    new = typing.cast("Callable[[type[Any]], Any]", cls.__new__)
    set_dict = _dict_setter(cls)
    kept = tuple(s.wire for s in steps if s.kind == CONTAINER and not s.renamed)
    moved = tuple((s.wire, s.attr) for s in steps if s.kind == RENAMED)
    moved_containers = tuple((s.wire, s.attr) for s in steps if s.kind == CONTAINER and s.renamed)
    datetimes = tuple((s.wire, s.attr, s.renamed, s.convert) for s in steps if s.kind == DATETIME)
    parents = tuple((s.wire, s.attr, s.renamed, s.convert, s.ids) for s in steps if s.kind == PARENT)
    nested_kinds = (RESOURCE, RESOURCES, CONVERTED)
    nested = tuple((s.wire, s.attr, s.renamed, s.convert) for s in steps if s.kind in nested_kinds)

    def build_row(raw: Any, client: Any, path: str = "") -> Any:
        if type(raw) is not dict:
            # The type only: a server echoing a request header would put a token in the value.
            raise MalformedAnswer(f"expected a {cls.__name__} object, got {type(raw).__name__}", path=path)
        d = dict(raw)
        extra = None
        if len(raw) > size or not known.issuperset(raw):
            extra = {key: json_copy(d.pop(key)) for key in raw.keys() - known}
        if moved:
            for wire, attr in moved:
                v = d.pop(wire, _ABSENT)
                if v is not _ABSENT:
                    d[attr] = v
        for wire in kept:  # a container stays in the snapshot only, copied on first read
            if type(d.get(wire)) in CONTAINERS:
                del d[wire]
        if moved_containers:
            for wire, attr in moved_containers:
                v = d.pop(wire, _ABSENT)
                if v is not _ABSENT and type(v) not in CONTAINERS:
                    d[attr] = v
        for wire, attr, renamed, convert in datetimes:
            v = d.pop(wire, _ABSENT) if renamed else d.get(wire, _ABSENT)
            if v is _ABSENT:
                continue
            if type(v) is str:
                try:
                    v = _fromisoformat(v)
                except ValueError:
                    v = _parse_or_raise(cls, attr, v, path)
            elif v is not None:
                v = _structure_or_raise(cls, attr, convert, v, path)
            d[attr] = v
        for wire, attr, renamed, related, parent_ids in parents:
            v = d.pop(wire, _ABSENT) if renamed else d.get(wire, _ABSENT)
            if v is _ABSENT:
                continue
            if type(v) not in parent_ids:
                v = _parent(cls, attr, related, v, client, path, d)
            d[attr] = v
        if nested:
            for wire, attr, renamed, convert in nested:
                v = d.pop(wire, _ABSENT) if renamed else d.get(wire, _ABSENT)
                if v is _ABSENT:
                    continue
                if v is not None:
                    v = _structure_or_raise(cls, attr, convert, v, path)
                d[attr] = v
        v = d.get(id_attr, NOT_LOADED)
        if type(v) not in ids and (v is not NOT_LOADED or id_required):
            d[id_attr] = check_ident(cls, v, path)  # (a row may lack it where options allow)
        d["_extra"] = extra
        d["_snapshot"] = raw
        d["_client"] = client
        obj = new(cls)
        set_dict(obj, d)
        return obj

    build_row.__qualname__ = f"build_row[{cls.__name__}]"
    return build_row


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
    types = id_types(related)
    value = as_id(types, value)
    if type(value) is bool or not isinstance(value, types):
        raise MalformedAnswer(
            f"{cls.__name__}.{attr}: expected a {related.__name__} id, got {type(value).__name__}", path=path
        )
    return value


def _parse_or_raise(cls: type[Any], attr: str, value: str, path: str) -> _dt.datetime:
    try:
        return parse_datetime(value)
    except MalformedAnswer as exc:
        raise MalformedAnswer(f"{cls.__name__}.{attr}: {exc}", path=path) from None


def _structure_or_raise(cls: type, attr: str, hook: Callable[[Any], Any], value: Any, path: str) -> Any:
    try:
        return hook(value)
    except (MalformedAnswer, cattrs.BaseValidationError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"{cls.__name__}.{attr}: {shown(exc, str)}", path=path) from None


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
