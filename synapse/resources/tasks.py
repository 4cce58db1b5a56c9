"""Tasks: the unit of annotation work (list ``sdk/tasks/``, detail ``tasks/{id}/``)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.orm.filters import IDS, RANGE, Filters
from synapse.orm.manager import BULK_BATCH
from synapse.orm.options import ResourceOptions
from synapse.orm.queryset import QuerySet
from synapse.orm.relations import Children, Parent
from synapse.orm.resource import NOT_LOADED, resource
from synapse.orm.tagging import TaggableResource, TagsQuerySet
from synapse.orm.verbs import Creatable, Deletable, Gettable, Saveable

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from typing_extensions import Self

    from synapse.annotations import Document
    from synapse.resources.assignments import AssignmentManager
    from synapse.resources.data import DataUnit
    from synapse.resources.projects import Project
    from synapse.services.export import ExportReport
    from synapse.services.previews import TaskPicture
    from synapse.services.stats import ClassCounts

__all__ = ["ANNOTATION_SCHEMAS", "Task", "TaskManager", "TaskQuerySet", "iter_rows"]

ANNOTATION_SCHEMAS = ("dm_schema_v1", "any")


@resource
class Task(TaggableResource, Saveable, Deletable):
    """One data unit to annotate in a project, with its annotation (``data``) and status.

    ``task.project`` and ``task.data_unit`` are lazy related objects; ``task.assignments`` the
    assignments of the task.
    """

    options = ResourceOptions(
        path="tasks/",
        list_path="sdk/tasks/",
        tags_path="tasks/set_tags/",
        repr_fields=("status_label",),
        create_fields=("project", "data_unit"),
        filters=Filters(
            "project", "status_label", "status_review", "is_discarded", "tags", "assignments", "labelers",
            "reviewers", id=IDS, created=RANGE,
            ordering=("id", "created", "project", "data_unit", "status_label", "status_review"),
        ),
    )

    id: int
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

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        project_id: int = NOT_LOADED
        data_unit_id: int = NOT_LOADED

    @property
    def annotations(self) -> Document:
        """The task's ``data`` as a typed :class:`synapse.annotations.Document` (no request).

        An empty document when ``data`` is null; DM v1 (the wire format) or DM v2 are read.

        Raises:
            FormatError: ``data`` is not a DM document.
        """
        from synapse.annotations import Document

        data = self.data
        if data is NOT_LOADED or data is None:
            return Document()
        return Document.from_dm(data)

    def _media_id(self) -> str:
        """The media id a bare list of objects goes to: the unit's primary image spec, else ``image_1``."""
        from synapse.services.previews import primary_file

        try:
            unit = self.data_unit
            chosen = primary_file(unit.files if unit is not None else None)
        except Exception:  # no unit, or it cannot be read: the documented default
            chosen = None
        return chosen[0] if chosen is not None else "image_1"

    def annotate(self, data: Any, schema: str | None = None) -> Self:
        """Replace the task's annotation (``PUT tasks/{id}/annotate_task_data/``) and reload it.

        Args:
            data: a :class:`synapse.annotations.Document` (sent as DM v1), a list of annotation
                objects (one media item: the unit's primary image spec, else ``image_1``), or the
                raw annotation dict, sent as it is.
            schema: ``"dm_schema_v1"`` to validate against that schema, ``"any"`` to skip
                validation, None for the server's default.

        Raises:
            ValueError: an unknown ``schema`` (before any request).
            ValidationError: the server refused the annotation.
        """
        if schema is not None and schema not in ANNOTATION_SCHEMAS:
            raise ValueError(f"schema must be one of {ANNOTATION_SCHEMAS} or None, got {schema!r}")
        data = _wire_data(self, data)
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


    # ---- seeing it (synapse.services.previews; Pillow: the ``vision`` extra) ----
    def _picture(self) -> TaskPicture:
        from synapse.services.previews import TaskPicture

        unit = self.data_unit
        project = self.project
        return TaskPicture(
            self.id, self.data, unit.files if unit is not None else None,
            project.configuration if project is not None else None,
        )

    def render(
        self,
        size: int | tuple[int, int] | None = 512,
        *,
        media_id: str | None = None,
        labels: bool = True,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> Any:
        """Draw every annotation on the task's primary file and return the ``PIL.Image``.

        The file is fetched once into the file cache (``$SYNAPSE_CACHE_DIR`` or
        ``~/.cache/synapse/files``, by checksum) through the transport, whose origin rules keep
        credentials off storage hosts; colours and names come from the project's configuration.
        A task without a file is drawn on a blank canvas (with a ``MissingFileWarning``); the
        gaps are written on the image and listed in ``image.info["missing"]``.

        Args:
            size: the longest side in pixels, an exact ``(width, height)``, or None (the file's size).
            media_id: the media item to draw (default: the file's specification name).
            labels: write class names.
            cache_dir: another file cache folder.

        Raises:
            ImportError: Pillow is not installed (``pip install 'synapse-orm[vision]'``).
            ClientError, TransportError: the file could not be fetched.
        """
        from synapse.services import previews

        return previews.picture(
            self._require_client().transport, self._picture(), size=size, cache_dir=cache_dir,
            media_id=media_id, labels=labels,
        )

    def show(self, size: int | tuple[int, int] | None = 512, **options: Any) -> Path | None:
        """Display :meth:`render` inline in Jupyter; elsewhere save it as a PNG and return its path.

        Args:
            size: as for :meth:`render`.
            **options: more arguments of :meth:`render`.
        """
        from synapse.services import previews

        image = self.render(size, **options)
        return previews.show(image, f"task-{self.id}", cache_dir=options.get("cache_dir"))

    def _repr_html_(self) -> str:
        from synapse.display import options, resource_html

        table = resource_html(self)
        if not options.thumbnails:
            return table
        from synapse.services import previews

        try:
            thumbnail = previews.thumbnail_html(self.render(options.thumbnail_size), alt=f"task {self.id}")
        except Exception as exc:  # a display must not fail: say why there is no picture
            import html

            why = html.escape(f"{type(exc).__name__}: {str(exc)[:200]}")
            thumbnail = f"<p><i>no render: {why}</i></p>"
        return f"<div>{thumbnail}{table}</div>"


def _wire_data(task: Task, data: Any) -> Any:
    """What ``annotate`` sends for ``data``: a Document or a list of objects as DM v1, else ``data``."""
    from synapse.annotations import Annotation, Document

    if isinstance(data, Document):
        return data.to_dm(version=1)
    if isinstance(data, (list, tuple)) and data and all(isinstance(o, Annotation) for o in data):
        media_id = task._media_id()
        current = task.annotations if task.data is not NOT_LOADED else Document()
        size = current.size(media_id)
        return Document.from_objects(data, media=media_id, size=size).to_dm(version=1)
    return data


class TaskQuerySet(TagsQuerySet[Task]):
    """A query over tasks: ``set_tags``, ``class_counts``, ``render`` and ``show`` on the selection."""

    # ---- row views (API.md "Tasks": narrow rows, no objects built) ----
    def data_rows(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield ``{"id", "data"}`` for each task selected (``GET sdk/tasks/data/``), page by page.

        The narrow view for reading annotations: the server sends nothing else and no
        ``Task`` is built. Sends nothing until iterated.

        Args:
            page_size: rows per request (default: the client's; at most 1000).
        """
        return iter_rows(self, "sdk/tasks/data/", page_size)

    def file_rows(self, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield ``{"id", "data_unit", "files": [...]}`` for each task selected (``GET sdk/tasks/files/``).

        Each ``files`` entry is ``{"specification", "checksum", "url", "file_type",
        "is_primary", "size"}``: what a download needs, without the unit. Sends nothing until
        iterated.

        Args:
            page_size: rows per request (default: the client's; at most 1000).
        """
        return iter_rows(self, "sdk/tasks/files/", page_size)

    # ---- exports (synapse.services.export) ----
    def export(
        self,
        format: str,
        dest: str | os.PathLike[str],
        *,
        media: bool = True,
        splits: Mapping[str, float] | None = None,
        labels: Sequence[str] | None = None,
        workers: int = 8,
        executor: Executor | None = None,
        progress: Any = None,
        since: int | None = None,
        page_size: int | None = None,
        **options: Any,
    ) -> ExportReport:
        """Export the selected tasks in ``format`` (``coco``, ``yolo``, ``voc``, ``dm``, ``imagefolder``).

        Walks the tasks page by page with their units (memory stays flat), downloads every image of
        each unit in parallel into ``dest/.synapse/media/`` (skipping files already there), then
        writes the format in task id order; a rerun with the same arguments resumes. Class ids
        follow the project's configuration when the QuerySet is filtered on one project. See
        :mod:`synapse.services.export` for the manifest, the watermark and the limits of ``since=``.

        Args:
            format: the format to write.
            dest: the destination folder.
            media: download and write the images (False: annotations only).
            splits: split name -> weight (``{"train": 0.8, "val": 0.2}``), by a stable hash of the task id.
            labels: an explicit class order.
            workers: download threads.
            executor: any ``concurrent.futures.Executor`` to download on instead.
            progress: a ``progress=`` argument (media files).
            since: a previous report's ``watermark``: only tasks created after it, merged in.
            page_size: rows per request while walking the tasks (default
                ``synapse.services.export.PAGE_SIZE``, 500; the output does not depend on it).
            **options: options of the format's writer (``task="segment"`` for YOLO ...).
        """
        from synapse.orm.manager import manager_for
        from synapse.resources.projects import Project
        from synapse.services import export

        client = self._require_client()
        query = self._query()
        schema: Any = None
        project_id = query.get("project")
        if isinstance(project_id, int) or (isinstance(project_id, str) and project_id.isdigit()):
            # Fetched by the export once it has checked its arguments.
            def schema() -> Any:
                return manager_for(client, Project).get(int(project_id)).configuration

        key = {"tasks": query, "slice": [self._low, self._high]}
        return export.export(
            self, format, dest, transport=client.transport, media=media, splits=splits, labels=labels,
            schema=schema, workers=workers, executor=executor, progress=progress, since=since, key=key,
            page_size=page_size, **options,
        )

    # ---- figures and pictures (synapse.services.stats, synapse.services.previews) ----
    def class_counts(self, *, page_size: int = 1000) -> ClassCounts:
        """Count objects per tool and class over the selected tasks: ``{tool: {class: n}}``.

        Reads ``sdk/tasks/data/`` (id and data only) with this QuerySet's filters, page by
        page; memory stays flat. The result has ``to_dataframe()`` and ``plot()``.

        Args:
            page_size: rows per request.
        """
        from synapse.services import stats

        limit = None if self._high is None else self._high - self._low
        return stats.class_counts(
            self._require_client().transport, self._query(), skip=self._low, limit=limit, page_size=page_size
        )

    def render(
        self, n: int = 16, cols: int = 4, size: int = 256, *, cache_dir: str | os.PathLike[str] | None = None
    ) -> Any:
        """Draw the first ``n`` selected tasks in a grid and return the ``PIL.Image``.

        One request reads the rows with their units (``expand=data_unit``), one per project
        reads its configuration (cached), then the files (each once, in parallel, cached).

        Args:
            n: how many tasks.
            cols: tiles per row.
            size: the longest side of a tile.
            cache_dir: another file cache folder.
        """
        from synapse.services import previews

        rows = list(self.expand("data_unit")[:n].iterator())
        configurations: dict[Any, Any] = {}
        items = []
        for row in rows:
            project_id = row.project_id
            if project_id not in configurations:
                project = row.project
                configurations[project_id] = project.configuration if project is not None else None
            unit = row.data_unit
            files = unit.files if unit is not None else None
            items.append(previews.TaskPicture(row.id, row.data, files, configurations[project_id]))
        return previews.render_grid(
            self._require_client().transport, items, cols=cols, size=size, cache_dir=cache_dir
        )

    def show(self, n: int = 16, cols: int = 4, size: int = 256, **options: Any) -> Path | None:
        """Display :meth:`render`'s grid inline in Jupyter; elsewhere save a PNG and return its path."""
        from synapse.services import previews

        grid = self.render(n, cols, size, **options)
        return previews.show(grid, f"tasks-{n}", cache_dir=options.get("cache_dir"))


def iter_rows(qs: QuerySet[Any], path: str, page_size: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield the rows of another list route of ``qs``'s type (a row view), with ``qs``'s filters.

    Rows are the server's dicts, page by page; nothing is sent until the first row is asked for.

    Raises:
        TypeError: ``qs`` is sliced (a row view pages on its own).
    """
    qs._require_unsliced("read the rows of")
    client = qs._require_client()
    size = min(page_size or client.config.page_size, BULK_BATCH)  # API.md: the server caps at 1000
    query = qs._query()

    def rows() -> Iterator[dict[str, Any]]:
        for page in client.transport.iter_pages(path, query, page_size=size):
            yield from page.results

    return rows()


class TaskManager(Gettable[Task, TaskQuerySet], Creatable[Task, TaskQuerySet], TaskQuerySet):
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
