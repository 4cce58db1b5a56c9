"""Relations between resources: ``task.project`` (``Parent``) and ``project.tasks`` (``Children``).

Both are declared on the resource class as ``ClassVar``s with the related model's *name*, so modules need
not import each other at run time; the annotation is for the type checker only. A ``Parent`` makes
its own id field (``project_id``, sent under the wire key ``project``)::

    project: ClassVar[Parent[Project]] = Parent("Project")                   # task.project -> Project
    tasks: ClassVar[Children[TaskManager]] = Children("Task", fk="project")    # project.tasks -> TaskManager
"""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from synapse.orm.registry import model_named

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

__all__ = ["Children", "Parent"]

T = TypeVar("T")
M = TypeVar("M")


class Parent(Generic[T]):
    """Child-to-parent relation: reading it gives the parent object, lazily and through the cache.

    The parent's id lives in the field ``<name>_id`` (wire key ``<name>``), which ``@resource``
    adds to the class: do not declare it. Reading the relation
    sends no request (the parent is a lazy object until one of its missing fields is read), and
    a list row fetched with ``expand=<name>`` gives the embedded object directly. Assigning a
    resource or an id changes ``<name>_id``. ``None`` when the id is null.

    Args:
        model: the parent resource class's name, e.g. ``"Project"``.
        id_attr: the field holding the id (default ``<name>_id``).
        wire: the wire key of that field (default ``<name>``).
    """

    def __init__(self, model: str, *, id_attr: str | None = None, wire: str | None = None) -> None:
        self.model = model
        self._id_attr = id_attr
        self._wire = wire
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self.id_attr = self._id_attr or f"{name}_id"
        self.wire = self._wire or name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Parent[T]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> T: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> Parent[T] | T:
        if obj is None:
            return self
        ident = getattr(obj, self.id_attr)  # may complete a partial object
        if ident is None:
            return typing.cast(T, None)
        d = obj.__dict__
        memo = d.get("_rel_" + self.id_attr)
        if memo is not None and memo._ident == ident:
            return typing.cast(T, memo)
        client = d.get("_client")
        if client is None:
            raise AttributeError(
                f"{type(obj).__name__}.{self.name} needs a client (this object is unbound): "
                f"call client.bind(obj) first"
            )
        from synapse.orm.manager import lazy_object

        related = lazy_object(model_named(self.model), ident, client)
        d["_rel_" + self.id_attr] = related
        return typing.cast(T, related)

    def __set__(self, obj: Resource, value: T | int | str | None) -> None:
        from synapse.orm.resource import Resource

        if isinstance(value, Resource):
            setattr(obj, self.id_attr, value._ident)
            obj.__dict__["_rel_" + self.id_attr] = value
        else:
            setattr(obj, self.id_attr, value)
            obj.__dict__.pop("_rel_" + self.id_attr, None)

    def __repr__(self) -> str:
        return f"Parent({self.model!r}, id_attr={getattr(self, 'id_attr', None)!r})"


class Children(Generic[M]):
    """Parent-to-children relation: a manager of the child model filtered on this object.

    ``project.tasks`` is ``client.tasks`` filtered by ``project=<project.id>``; its ``create()``
    and ``bulk_create()`` fill in ``project``. No request is sent to build it.

    Args:
        model: the child resource class's name, e.g. ``"Task"``.
        fk: the list filter (and create field) naming the parent, e.g. ``"project"``.
        key: the parent's attribute whose value goes in the filter (default its id).
        create: whether ``create()`` fills ``fk`` (False when the filter is not a field).
    """

    def __init__(self, model: str, *, fk: str, key: str | None = None, create: bool = True) -> None:
        self.model = model
        self.fk = fk
        self.key = key
        self.create = create
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Children[M]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> M: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> Children[M] | M:
        if obj is None:
            return self
        from synapse.orm.manager import manager_for
        from synapse.orm.resource import Resource

        assert isinstance(obj, Resource)
        client = obj._require_client()
        value = obj._ident if self.key is None else getattr(obj, self.key)
        manager = manager_for(client, model_named(self.model))
        return typing.cast(M, manager._related(self.fk, value, create=self.create))

    def __repr__(self) -> str:
        return f"Children({self.model!r}, fk={self.fk!r})"
