"""Field plans: how each wire key of a resource class becomes an attribute, computed once per class.

``plan_field`` reads one field's declared type into a ``FieldPlan`` (used by ``to_dict``,
``save()`` diffs and the display); ``build_steps`` turns a class's plans into the short tuple
of steps (``Step``) that ``synapse.orm.build`` loops over for every row. A key that needs no work (a
scalar under its own name: most keys) has no step: the row's dict copy already holds it.
"""

from __future__ import annotations

import datetime as _dt
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import attrs

from synapse.orm.values import CONTAINERS, converter, id_stub, id_types, json_copy

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

__all__ = [
    "CONTAINER",
    "CONVERTED",
    "COPY",
    "DATETIME",
    "FK",
    "HOOK",
    "PARENT",
    "PASS",
    "RENAMED",
    "RESOURCE",
    "RESOURCES",
    "BuildPlan",
    "FieldPlan",
    "LazyCopy",
    "Step",
    "build_steps",
    "plan_field",
]

# Field kinds (FieldPlan.kind): how a value is read, diffed and written back.
PASS: Final = 0  # scalars: kept as sent
COPY: Final = 1  # JSON containers: deep-copied (the raw answer stays pristine)
HOOK: Final = 2  # a converter hook (datetimes, nested resources)
FK: Final = 3  # a parent id: an int, or an embedded object when the list was expanded

# Step kinds (Step.kind): what the build loop does with a key the row sent.
RENAMED: Final = 0  # a scalar under another key: moved to its attribute
CONTAINER: Final = 1  # a dict or list: left in the snapshot, copied on first read (``LazyCopy``)
DATETIME: Final = 2  # an ISO 8601 string: parsed
PARENT: Final = 3  # a parent id: checked, read tolerantly, or an embedded parent object built
RESOURCE: Final = 4  # a nested resource (an object, or a bare id: an unloaded object)
RESOURCES: Final = 5  # a list of nested resources (objects or bare ids)
CONVERTED: Final = 6  # any other declared type: the converter's hook

_SCALARS = (int, str, bool, float, type(None))


@attrs.frozen
class FieldPlan:
    """How one wire key becomes one attribute.

    Attributes:
        attr: the attribute name on the resource (``project_id``).
        wire: the key in the JSON object (``project``).
        kind: ``PASS``, ``COPY``, ``HOOK`` or ``FK``.
        hook: the structure function for ``HOOK``.
        unhook: the unstructure function used by ``to_dict`` (None: copy the value as it is).
        is_datetime: compared by value in ``save()`` diffs (``Z`` and ``+00:00`` are equal).
        nested: for ``HOOK``: ``RESOURCE``, ``RESOURCES`` or ``CONVERTED`` (which ``Step`` it makes).
    """

    attr: str
    wire: str
    kind: int
    hook: Callable[[Any], Any] | None = None
    unhook: Callable[[Any], Any] | None = None
    is_datetime: bool = False
    nested: int = CONVERTED


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
    """Compile the plan of one field from its resolved type (done once per class).

    Args:
        attr: the attribute name.
        wire: the key in the JSON object.
        tp: the field's declared type (``str | None``, ``list[FileSpecification]``...).
        fk: the field holds a parent's id (``Parent``).
    """
    if fk:
        return FieldPlan(attr, wire, FK)
    if _is_scalar_type(tp):
        return FieldPlan(attr, wire, PASS)
    if _is_json_type(tp):
        return FieldPlan(attr, wire, COPY)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    inner = args[0] if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1 else tp
    hook, nested = _bind_structure(inner)
    return FieldPlan(
        attr,
        wire,
        HOOK,
        hook=hook,
        unhook=converter.unstructure,
        is_datetime=inner is _dt.datetime,
        nested=nested,
    )


def _bind_structure(tp: Any) -> tuple[Callable[[Any], Any], int]:
    """The converter of a value of type ``tp``, and its step kind."""
    fn = converter.get_structure_hook(tp)
    ref = _referenced(tp)
    if ref is None:
        return (lambda value: fn(value, tp)), CONVERTED
    model, many = ref
    if many:

        def structure_many(value: Any) -> Any:
            # Tolerant reader: a relation sent unexpanded (ids where the detail route embeds
            # objects) becomes unloaded related objects, each holding its id.
            ids = [id_stub(model, v) for v in value] if type(value) is list else id_stub(model, value)
            return fn(ids, tp)

        return structure_many, RESOURCES

    def structure_one(value: Any) -> Any:
        return fn(id_stub(model, value), tp)  # a bare id: an unloaded object (tolerant reader)

    return structure_one, RESOURCE


def _referenced(tp: Any) -> tuple[Any, bool] | None:
    """``(resource class, is a list)`` when ``tp`` is a resource or a list of them, else None."""
    many = typing.get_origin(tp) is list
    inner = typing.get_args(tp)[0] if many and typing.get_args(tp) else tp
    if isinstance(inner, type) and isinstance(getattr(inner, "_id_attr", None), str) and hasattr(
        inner, "_id_type"
    ):
        return inner, many
    return None


class Step(NamedTuple):
    """One key of a row that needs work when a row is built (a tuple: the loop unpacks it).

    Attributes:
        wire: the key in the JSON object.
        attr: the attribute it lands under.
        kind: ``RENAMED``, ``CONTAINER``, ``DATETIME``, ``PARENT``, ``RESOURCE``, ``RESOURCES``
            or ``CONVERTED``.
        renamed: ``attr`` differs from ``wire`` (the key is moved, not replaced in place).
        convert: the converter: the datetime or nested hook, the related class for ``PARENT``.
        ids: the id types a ``PARENT`` value is kept as without a second look.
    """

    wire: str
    attr: str
    kind: int
    renamed: bool
    convert: Any
    ids: tuple[type, ...]


def build_steps(
    plans: Mapping[str, FieldPlan], relation_models: Mapping[str, type[Resource]]
) -> tuple[Step, ...]:
    """The steps of a class, from its field plans by wire key (done once per class).

    Args:
        plans: the field plans by wire key.
        relation_models: the related class of each parent-id attribute (``FK`` plans).
    """
    steps: list[Step] = []
    for p in plans.values():
        renamed = p.attr != p.wire
        if p.kind == PASS:
            if renamed:
                steps.append(Step(p.wire, p.attr, RENAMED, True, None, ()))
        elif p.kind == COPY:
            steps.append(Step(p.wire, p.attr, CONTAINER, renamed, None, ()))
        elif p.kind == FK:
            related = relation_models[p.attr]
            steps.append(Step(p.wire, p.attr, PARENT, renamed, related, id_types(related)))
        elif p.is_datetime:
            steps.append(Step(p.wire, p.attr, DATETIME, renamed, p.hook, ()))
        else:
            steps.append(Step(p.wire, p.attr, p.nested, renamed, p.hook, ()))
    return tuple(steps)


@attrs.frozen
class BuildPlan:
    """The per-class recipe ``synapse.orm.build`` follows, compiled once from the field plans.

    Attributes:
        known: every wire key the class declares (any other key of a row is kept in extras).
        steps: the keys that need work, in order (see ``Step``).
        fn: the class's builder, ``fn(raw, client, path) -> instance`` (the loop over ``steps``).
    """

    known: frozenset[str]
    steps: tuple[Step, ...]
    fn: Callable[[Any, Any, str], Any] = attrs.field(repr=False)


class LazyCopy:
    """Class-level descriptor of a container field: copy it from the snapshot on first read.

    A non-data descriptor, so once the copy sits in the instance ``__dict__`` reads no longer
    reach it. When the snapshot lacks the key, the field is missing: the resource completes
    itself (see ``Resource._missing``).

    Args:
        attr: the attribute name.
        wire: the key in the snapshot.
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
            if type(value) in CONTAINERS:
                value = json_copy(value)
            d[self.attr] = value
            return value
        return obj._missing(self.attr)
