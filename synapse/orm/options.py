"""``ResourceOptions``: everything a resource type declares about its routes and fields, in one place.

A resource class sets one ``options = ResourceOptions(...)`` (see ``synapse.orm.resource``)
instead of a dozen class attributes; the engine, the display and the meta-tests read it as
``Task.options.path``, ``Task.options.repr_fields`` ... What can be *done* to a type is not an
option: it is the verb mixins the classes inherit (``synapse.orm.verbs``).
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping

import attrs

from synapse.orm.filters import Filters

__all__ = ["ResourceOptions"]


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _name_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(_names(value))


def _params(value: Mapping[str, str]) -> Mapping[str, str]:
    return types.MappingProxyType(dict(value))


@attrs.frozen(kw_only=True, eq=False)
class ResourceOptions:
    """The declaration of one resource type's routes, display, create body and identity.

    Attributes:
        path: the detail route's prefix: ``"tasks/"`` for ``tasks/{id}/`` (None: no route of its
            own, e.g. an object only ever embedded in another).
        list_path: the list route (default: ``path``); None when ``listable`` is False.
        listable: False when API.md has no list route for the type (``data_files/``).
        detail_params: query parameters sent with every detail GET (``{"expand": "..."}``).
        tags_path: the bulk tagging route (``"tasks/set_tags/"``) of a taggable type.
        repr_fields: the fields ``repr()`` shows after the id (``<Task 1 'completed'>``).
        create_fields: the fields ``create()`` requires, checked before any request.
        create_extra: body keys ``create()`` accepts that are not fields (``"groups"``).
        filters: the filters and orderings of the list route (``synapse.orm.filters``).
        read_only: wire keys ``save()`` refuses to send (default ``id`` and ``created``).
        id_attr: the field that identifies an object (default ``"id"``).
        id_type: the type (or types) of that field's values (default ``int``).
        cursor_ordering: the ordering sent with ``iterator(cursor=True)`` (default ``-<id_attr>``).
        id_required: False where the real backend may send rows without the id (ground-truth
            events without ``pgh_id``): such a row is read, unidentified, instead of refused.
    """

    path: str | None = None
    list_path: str | None = None
    listable: bool = True
    detail_params: Mapping[str, str] = attrs.field(factory=dict, converter=_params)
    tags_path: str | None = None
    repr_fields: tuple[str, ...] = attrs.field(default=(), converter=_names)
    create_fields: tuple[str, ...] = attrs.field(default=(), converter=_names)
    create_extra: frozenset[str] = attrs.field(default=frozenset(), converter=_name_set)
    filters: Filters = attrs.field(factory=Filters)
    read_only: frozenset[str] = attrs.field(default=frozenset({"id", "created"}), converter=_name_set)
    id_attr: str = "id"
    id_type: type | tuple[type, ...] = int
    cursor_ordering: str | None = None
    id_required: bool = True

    def __attrs_post_init__(self) -> None:
        # Frozen: the derived defaults are filled once, here.
        if not self.listable:
            object.__setattr__(self, "list_path", None)
        elif self.list_path is None:
            object.__setattr__(self, "list_path", self.path)
        if self.cursor_ordering is None:
            object.__setattr__(self, "cursor_ordering", f"-{self.id_attr}")

    @property
    def id_types(self) -> tuple[type, ...]:
        """``id_type`` as a tuple (for ``isinstance`` and messages)."""
        return self.id_type if isinstance(self.id_type, tuple) else (self.id_type,)
