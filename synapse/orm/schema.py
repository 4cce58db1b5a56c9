"""Compiling a resource class: field types resolved, wire plan built, relations wired (once).

Done lazily, on the first object built or field looked up, because field types and relations
may name classes defined later (in the same module or another one).
"""

from __future__ import annotations

import sys
import threading
import typing
from typing import TYPE_CHECKING, Any

import attrs

from synapse.orm.build import COPY, FieldPlan, LazyCopy, build_plan, plan_field
from synapse.orm.registry import model_named

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

__all__ = ["LazyPlans", "compiled"]

_LOCK = threading.RLock()


class LazyPlans(dict[str, Any]):
    """Placeholder until the class's plans are compiled on first use (then replaced)."""

    def __init__(self, cls: type[Resource], *, by_attr: bool = False, relations: bool = False) -> None:
        super().__init__()
        self.owner = cls
        self.kind = "relations" if relations else "attr" if by_attr else "wire"

    def get(self, key: str, default: Any = None) -> Any:
        """Compile the owner class, then look ``key`` up in its real table."""
        _compile(self.owner)
        table = {"wire": "_plans", "attr": "_attr_plans", "relations": "_relation_models"}[self.kind]
        return getattr(self.owner, table).get(key, default)

    def __getitem__(self, key: str) -> Any:
        _compile(self.owner)
        table = {"wire": "_plans", "attr": "_attr_plans", "relations": "_relation_models"}[self.kind]
        return getattr(self.owner, table)[key]


def compiled(cls: type[Resource], *, by_attr: bool = False) -> dict[str, FieldPlan]:
    """Return the field plans of ``cls`` by wire key (or by attribute), compiling it if needed."""
    plans = cls._attr_plans if by_attr else cls._plans
    if type(plans) is LazyPlans:
        _compile(cls)
        plans = cls._attr_plans if by_attr else cls._plans
    return plans


def _compile(cls: type[Resource]) -> None:
    """Resolve field types and relations and build the wire plan of ``cls`` (once)."""
    with _LOCK:
        if type(cls.__dict__.get("_plans")) is LazyPlans:
            _compile_locked(cls)


def _compile_locked(cls: type[Resource]) -> None:
    from synapse.orm.relations import Parent

    hints = _field_types(cls)
    parents = {
        getattr(rel, "id_attr", ""): rel
        for klass in reversed(cls.__mro__)
        for rel in vars(klass).values()
        if isinstance(rel, Parent)
    }
    by_wire: dict[str, FieldPlan] = {}
    by_attr: dict[str, FieldPlan] = {}
    relation_models: dict[str, type[Resource]] = {}
    for attribute in attrs.fields(typing.cast(Any, cls)):
        name = attribute.name
        parent = parents.get(name)
        wire = attribute.metadata.get("wire") or (parent.wire if parent else name)
        plan = plan_field(name, wire, hints.get(name, Any), fk=parent is not None)
        if parent is not None:
            relation_models[name] = model_named(parent.model)
        by_wire[wire] = plan
        by_attr[name] = plan
    for plan in by_attr.values():
        if plan.kind == COPY:
            setattr(cls, plan.attr, LazyCopy(plan.attr, plan.wire))
    cls._relation_models = relation_models
    cls._attr_plans = by_attr
    cls._build_plan = build_plan(cls, by_wire, relation_models)
    cls._plans = by_wire  # last: its type tells whether the class is compiled


def _field_types(cls: type[Resource]) -> dict[str, Any]:
    """Evaluate the annotations of the attrs fields only.

    Relations are ClassVars whose names may exist only for the type checker.
    """
    types: dict[str, Any] = {}
    for attribute in attrs.fields(typing.cast(Any, cls)):
        owner = next(k for k in cls.__mro__ if attribute.name in vars(k).get("__annotations__", {}))
        annotation = vars(owner)["__annotations__"][attribute.name]
        if isinstance(annotation, str):
            # The globals the class was declared in (captured by @resource: an exec'd or doctest
            # namespace is no module), else its module's.
            namespace = owner.__dict__.get("_declared_in") or vars(sys.modules[owner.__module__])
            try:
                annotation = eval(annotation, dict(namespace), dict(vars(owner)))
            except NameError as exc:
                raise TypeError(
                    f"{owner.__name__}.{attribute.name}: its annotation {annotation!r} must be importable "
                    f"at run time ({exc})"
                ) from None
        types[attribute.name] = annotation
    return types
