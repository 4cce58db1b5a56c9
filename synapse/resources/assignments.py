"""Assignments: a task given to a labeler (list ``sdk/assignments/``, detail ``assignments/{id}/``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.orm.filters import RANGE, Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.relations import Parent
from synapse.orm.resource import NOT_LOADED, resource
from synapse.orm.tagging import TaggableResource, TagsQuerySet
from synapse.orm.verbs import Gettable

if TYPE_CHECKING:
    from synapse.resources.projects import Project
    from synapse.resources.tasks import Task

__all__ = ["Assignment", "AssignmentManager", "AssignmentQuerySet"]


@resource
class Assignment(TaggableResource):
    """One task assigned to a labeler (and a reviewer), with its statuses and work.

    Read-only through the API except for tags: ``assignment.set_tags([3])``.
    """

    options = ResourceOptions(
        path="assignments/",
        list_path="sdk/assignments/",
        tags_path="assignments/set_tags/",
        repr_fields=("status_label",),
        filters=Filters(
            "project", "tasks", "users", "reviewers", "tags", "task_tags", "status_label", "status_review",
            "is_confirmed", "is_discarded", id=("exact", "in"), created=RANGE,
            ordering=("id", "created", "task", "status_label"),
        ),
    )

    id: int
    user: int | None = NOT_LOADED
    reviewer: int | None = NOT_LOADED
    status_label: str | None = NOT_LOADED
    status_review: str | None = NOT_LOADED
    is_confirmed: bool = NOT_LOADED
    is_discarded: bool = NOT_LOADED
    data: Any = NOT_LOADED
    tags: list[int] = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    project: ClassVar[Parent[Project]] = Parent("Project")
    task: ClassVar[Parent[Task]] = Parent("Task")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        project_id: int = NOT_LOADED
        task_id: int = NOT_LOADED


class AssignmentQuerySet(TagsQuerySet[Assignment]):
    """A query over assignments: ``set_tags`` and ``data_rows`` on the selection."""

    def data_rows(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield ``{"id", "data"}`` for each assignment selected (``GET sdk/assignments/data/``).

        The narrow view for reading labelers' work: no ``Assignment`` is built. Sends nothing
        until iterated.

        Args:
            page_size: rows per request (default: the client's; at most 1000).
        """
        from synapse.resources.tasks import iter_rows

        return iter_rows(self, "sdk/assignments/data/", page_size)


class AssignmentManager(Gettable[Assignment, AssignmentQuerySet], AssignmentQuerySet):
    """``client.assignments``, ``project.assignments``, ``task.assignments``: query and tag."""

    _model = Assignment
