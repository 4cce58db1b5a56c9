"""Projects and their task tags (``projects/``, ``task_tags/``)."""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from synapse.orm.filters import Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.relations import Children, Parent
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Deletable, Gettable, Saveable

if TYPE_CHECKING:
    from synapse.resources.assignments import AssignmentManager
    from synapse.resources.data import DataCollection
    from synapse.resources.tasks import TaskManager
    from synapse.services.imports import ImportReport
    from synapse.services.stats import ProjectStats

__all__ = ["Project", "ProjectManager", "TaskTag", "TaskTagManager"]


@resource
class Project(Saveable, Deletable):
    """An annotation project: its configuration, its tasks, assignments and tags.

    ``project.tasks``, ``project.assignments`` and ``project.task_tags`` are managers filtered
    on the project; ``project.data_collection`` is the collection its tasks draw units from.
    API.md offers no route to create a project.
    """

    options = ResourceOptions(
        path="projects/",
        repr_fields=("title",),
        filters=Filters(
            "title", "category", "is_archived", "search", ordering=("id", "title", "created", "category")
        ),
        read_only={"id", "created", "task_count"},
    )

    id: int
    title: str = NOT_LOADED
    description: str | None = NOT_LOADED
    category: str = NOT_LOADED
    configuration: dict[str, Any] | None = NOT_LOADED
    settings: dict[str, Any] | None = NOT_LOADED
    is_archived: bool = NOT_LOADED
    task_count: int = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    data_collection: ClassVar[Parent[DataCollection | None]] = Parent("DataCollection")
    tasks: ClassVar[Children[TaskManager]] = Children("Task", fk="project")
    assignments: ClassVar[Children[AssignmentManager]] = Children("Assignment", fk="project", create=False)
    task_tags: ClassVar[Children[TaskTagManager]] = Children("TaskTag", fk="project")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        data_collection_id: int | None = NOT_LOADED

    def stats(self, *, page_size: int = 1000) -> ProjectStats:
        """The project's figures: tasks by status, assignments by annotator and status, time per task.

        Reads narrow rows (``fields=``) of ``sdk/tasks/`` and ``sdk/assignments/`` page by page;
        a plain dict with ``to_dataframe()`` and ``plot()`` (see ``synapse.services.stats``).

        Args:
            page_size: rows per request.
        """
        from synapse.services import stats

        return stats.project_stats(self._require_client().transport, self.id, page_size=page_size)


    def import_annotations(
        self,
        path: str | os.PathLike[str],
        format: str = "coco",
        match: Literal["file_name", "checksum", "task_id"] = "file_name",
        mode: Literal["merge", "replace"] = "merge",
        dry_run: bool = False,
        workers: int = 4,
        progress: Any = None,
    ) -> ImportReport:
        """Import annotations (predictions ...) from a dataset into this project's tasks.

        Items are matched to tasks by the unit's file name (as uploaded, or as an export names
        it), its checksum, or the task id; unmatched rows are reported, never guessed. ``merge``
        adds objects by id (objects without one get an id from their content, so importing twice
        changes nothing), ``replace`` makes each imported media item hold exactly the imported
        objects. See :mod:`synapse.services.imports`.

        Args:
            path: the dataset folder (or a COCO JSON file).
            format: ``coco``, ``yolo``, ``voc`` or ``dm``.
            match: ``file_name``, ``checksum`` or ``task_id``.
            mode: ``merge`` or ``replace``.
            dry_run: report what would change, write nothing.
            workers: tasks read and written in parallel.
            progress: a ``progress=`` argument (tasks).

        Returns:
            The report: matched, unmatched, changed, written and failed tasks.
        """
        from synapse.services import imports

        client = self._require_client()
        report = imports.import_annotations(
            client.transport, self.tasks.all(), path, format=format, match=match, mode=mode,
            dry_run=dry_run, workers=workers, progress=progress,
        )
        for task_id in report.written:
            client.cache.invalidate("Task", task_id)
        return report


class ProjectManager(Gettable[Project]):
    """``client.projects``: list, read, update and delete projects."""

    _model = Project


@resource
class TaskTag(Resource):
    """A tag of a project's tasks (``task_tags/{id}/``); read-only through the API."""

    options = ResourceOptions(
        path="task_tags/",
        repr_fields=("name",),
        filters=Filters("project", ordering=("id", "name", "created")),
    )

    id: int
    name: str = NOT_LOADED
    category: str = NOT_LOADED
    description: str | None = NOT_LOADED
    meta: dict[str, Any] | None = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    project: ClassVar[Parent[Project]] = Parent("Project")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        project_id: int = NOT_LOADED


class TaskTagManager(Gettable[TaskTag]):
    """``client.task_tags`` and ``project.task_tags``: list and read task tags."""

    _model = TaskTag
