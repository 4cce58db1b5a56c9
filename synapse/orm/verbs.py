"""What can be done to a resource type, as mixins: a verb the API lacks is a method the class lacks.

On resources: ``Saveable`` (``obj.save()``, PATCH) and ``Deletable`` (``obj.delete()``). On
managers: ``Gettable`` (``get(id)`` and ``fetch(id, **params)`` on the detail route) and
``Creatable`` (``create(**fields)``, ``bulk_create(items)``). Listing is what every manager does
(it is the unfiltered QuerySet of its type) unless ``options.listable`` is False.

A type the API cannot delete has no ``delete`` in ``dir()``, and ``client.projects.create`` is
an ``AttributeError`` naming the missing route, before any request. ``verbs(Model)`` reads
the verbs back from the classes (the meta-tests compare them with API.md).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from synapse.errors import NotFound, ValidationError
from synapse.orm.build import MalformedAnswer, build
from synapse.orm.manager import BULK_BATCH, Manager, Q, lazy_object, named_not_found
from synapse.orm.queryset import query_value
from synapse.orm.registry import manager_class
from synapse.orm.resource import Resource
from synapse.orm.schema import compiled

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BULK_BATCH", "Creatable", "Deletable", "Gettable", "Saveable", "verbs"]

R = TypeVar("R", bound=Resource)
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._~-]*")  # a code or code@version, never "." or "/"


def verbs(model: type[Resource]) -> frozenset[str]:
    """The verbs ``model`` offers: ``get``, ``list``, ``create``, ``update``, ``delete``.

    Read from the classes: the resource's mixins, its registered manager's mixins, and
    ``options.listable``.
    """
    found = set()
    if model.options.list_path:
        found.add("list")
    manager = manager_class(model)
    if manager is not None and issubclass(manager, Gettable):
        found.add("get")
    if manager is not None and callable(getattr(manager, "create", None)):
        found.add("create")
    if issubclass(model, Saveable):
        found.add("update")
    if issubclass(model, Deletable):
        found.add("delete")
    return frozenset(found)


# ---- resources ----


class Saveable(Resource):
    """A resource the API updates (``PATCH <path>{id}/``): adds ``save()``."""

    def save(self) -> Self:
        """Send the changed fields with one PATCH (no request when nothing changed).

        Raises:
            ValidationError: a read-only field was changed (before any request), or the server
                refused the values.
        """
        changes = self._changes()
        if not changes:
            return self
        read_only = sorted(set(changes) & self.options.read_only)
        if read_only:
            raise ValidationError(
                400, f"{type(self).__name__}: read-only fields changed: {', '.join(read_only)}",
                errors={k: ["This field is read-only."] for k in read_only},
            )
        manager = self._manager()
        raw = manager._write("PATCH", manager._detail_path(self._ident), json=changes)
        self._merge(raw, replace=True)
        return self


class Deletable(Resource):
    """A resource the API deletes (``DELETE <path>{id}/``): adds ``delete()``."""

    def delete(self) -> None:
        """Delete the object on the server (one DELETE)."""
        manager = self._manager()
        manager._write("DELETE", manager._detail_path(self._ident))


# ---- managers ----


class Gettable(Manager[R, Q]):
    """A manager whose type has a detail route (``GET <path>{id}/``): adds ``get`` and ``fetch``."""

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
        client = self._require_client()
        model = self._model
        if lazy:
            return lazy_object(model, ident, client)
        raw, _ = self._fetch_raw(ident, use_cache=True)
        obj = build(model, raw, client, path=model.options.path or "")
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
        options = self._model.options
        if isinstance(id, str) and str not in options.id_types:
            if not _SEGMENT.fullmatch(id):
                raise ValueError(f"{self._model.__name__} id {id!r:.60} is not a valid path segment")
            ident: Any = id
        else:
            ident = self._check_id(id)
        query = dict(options.detail_params)
        query.update({key: query_value(key, value) for key, value in params.items() if value is not None})
        path = self._detail_path(ident)
        client = self._require_client()
        try:
            raw = client.transport.get(path, params=query or None)
        except NotFound as exc:
            raise named_not_found(exc, self._model.__name__, ident) from None
        if not isinstance(raw, dict):
            raise MalformedAnswer(f"GET {path}: expected a {self._model.__name__} object", path=path)
        return build(self._model, raw, client, path=options.path or "")

    def _check_related(self, obj: R) -> None:
        plans = compiled(self._model)
        for key, value in self._fixed.items():
            plan = plans.get(key)
            held = obj.__dict__.get(plan.attr) if plan is not None else None
            if held is not None and query_value(key, held) != value:
                raise NotFound(404, f"{self._model.__name__} {obj._ident} does not belong to {key}={value}")


class Creatable(Manager[R, Q]):
    """A manager whose type the API creates (``POST <path>``): adds ``create`` and ``bulk_create``."""

    def _prepare(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and render one create body (before any request)."""
        model = self._model
        body: dict[str, Any] = dict(self._create_defaults)
        body.update(fields)
        known = set(compiled(model)) | model.options.create_extra
        unknown = sorted(set(body) - known)
        if unknown:
            raise TypeError(
                f"{model.__name__} has no field {', '.join(map(repr, unknown))}; "
                f"fields: {', '.join(sorted(known))}"
            )
        missing = [name for name in model.options.create_fields if body.get(name) is None]
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
            ValidationError: a required field is missing (before any request) or the server
                refused the values.
            TypeError: an unknown field name (before any request).
        """
        if args:
            raise TypeError(f"{type(self).__name__}.create() takes keyword arguments only")
        path = self._model.options.path or ""
        body = self._prepare(fields)
        raw = self._write("POST", path, json=body)
        if isinstance(raw, list) and len(raw) == 1:
            raw = raw[0]
        return build(self._model, raw, self._require_client(), path=path)

    def bulk_create(self, items: Iterable[Mapping[str, Any]], *, batch_size: int = BULK_BATCH) -> list[R]:
        """Create many objects: one POST with a JSON list per ``batch_size`` items.

        Every item is validated before the first request.

        Raises:
            ValidationError: an item lacks a required field (before any request).
            ValueError: ``batch_size`` is not between 1 and 1000.
        """
        path = self._model.options.path or ""
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


def _wire_value(value: Any) -> Any:
    if isinstance(value, Resource):
        return value._ident
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_wire_value(v) for v in value]
    return value
