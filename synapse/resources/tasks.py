"""Tasks: the unit of annotation work (list ``sdk/tasks/``, detail ``tasks/{id}/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.orm.manager import BULK_BATCH, Manager
from synapse.orm.relations import Children, Parent
from synapse.orm.resource import NOT_LOADED, resource
from synapse.orm.tagging import TaggableResource, TagsQuerySet

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.resources.assignments import AssignmentManager
    from synapse.resources.data import DataUnit
    from synapse.resources.projects import Project

__all__ = ["ANNOTATION_SCHEMAS", "Task", "TaskManager"]

ANNOTATION_SCHEMAS = ("dm_schema_v1", "any")


@resource
class Task(TaggableResource):
    """One data unit to annotate in a project, with its annotation (``data``) and status.

    ``task.project`` and ``task.data_unit`` are lazy related objects; ``task.assignments`` the
    assignments of the task.
    """

    _path = "tasks/"
    _list_path = "sdk/tasks/"
    _tags_path = "tasks/set_tags/"
    _verbs = frozenset({"get", "list", "create", "update", "delete"})
    _repr_fields = ("status_label",)
    _create_fields = ("project", "data_unit")
    _filters = (
        "project", "id", "id__in", "id__gt", "id__gte", "id__lt", "id__lte", "status_label",
        "status_review", "is_discarded", "tags", "assignments", "labelers", "reviewers",
        "created__gt", "created__gte", "created__lt", "created__lte", "ordering",
    )

    id: int
    project_id: int = NOT_LOADED
    data_unit_id: int = NOT_LOADED
    data: Any = NOT_LOADED
    meta: dict[str, Any] | None = NOT_LOADED
    status_label: str | None = NOT_LOADED
    status_review: str | None = NOT_LOADED
    is_discarded: bool = NOT_LOADED
    tags: list[int] = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    project: ClassVar[Parent[Project]] = Parent("Project")
    data_unit: ClassVar[Parent[DataUnit]] = Parent("DataUnit")
    assignments: ClassVar[Children[AssignmentManager]] = Children("Assignment", fk="tasks", create=False)

    def annotate(self, data: Any, schema: str | None = None) -> Self:
        """Replace the task's annotation (``PUT tasks/{id}/annotate_task_data/``) and reload it.

        Args:
            data: the annotation object.
            schema: ``"dm_schema_v1"`` to validate against that schema, ``"any"`` to skip
                validation, None for the server's default.

        Raises:
            ValueError: an unknown ``schema`` (before any request).
            ValidationError: the server refused the annotation.
        """
        if schema is not None and schema not in ANNOTATION_SCHEMAS:
            raise ValueError(f"schema must be one of {ANNOTATION_SCHEMAS} or None, got {schema!r}")
        manager = self._manager()
        raw = manager._write(
            "PUT",
            f"{manager._detail_path(self.id)}annotate_task_data/",
            json=data,
            params={"schema": schema} if schema else None,
        )
        if isinstance(raw, dict):
            self._merge(raw, replace=True)
        return self


class TaskManager(Manager[Task], TagsQuerySet[Task]):
    """``client.tasks`` and ``project.tasks``: query, create, tag and update tasks."""

    _model = Task

    def create(self, *args: Any, **fields: Any) -> Task:
        """Create one task (``POST tasks/`` with a one-item list; the server answers a list).

        Args:
            *args: not accepted.
            **fields: ``project`` (filled by ``project.tasks``), ``data_unit``, and optional fields.
        """
        if args:
            raise TypeError("TaskManager.create() takes keyword arguments only")
        return self.bulk_create([fields])[0]

    def bulk_create(
        self,
        items: Iterable[Mapping[str, Any]] | None = None,
        *,
        batch_size: int = BULK_BATCH,
        data_units: Iterable[Any] | None = None,
        project: Any = None,
    ) -> list[Task]:
        """Create many tasks: one POST per ``batch_size`` (at most 1000).

        Args:
            items: task bodies (``{"data_unit": 789}``; ``project`` filled when known).
            batch_size: tasks per request.
            data_units: unit ids (or ``DataUnit`` objects), one task each: the short form.
            project: the project, when the manager is not ``project.tasks``.
        """
        bodies: list[dict[str, Any]] = [dict(item) for item in items or ()]
        bodies.extend({"data_unit": unit} for unit in data_units or ())
        if project is not None:
            for body in bodies:
                body.setdefault("project", project)
        return super().bulk_create(bodies, batch_size=batch_size)
