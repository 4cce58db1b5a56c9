"""Projects, tasks and task tags, as the original SDK's ``AnnotationClientMixin`` offered them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

from synapse.clients._base import BaseClient, Conversion, ListAnswer, Params, Stream

__all__ = ["AnnotationClientMixin"]


class AnnotationClientMixin(BaseClient):
    """``get_project``, tasks (list, get, create, annotate, tag) and task tags."""

    def get_project(self, pk: int) -> dict[str, Any]:
        """Return a project (``GET projects/{pk}/``)."""
        return self._one(self._client.projects.fetch(pk))

    def get_task(self, pk: int, params: Params = None) -> dict[str, Any]:
        """Return a task (``GET tasks/{pk}/``); ``params={"expand": "data_unit"}`` embeds its unit."""
        return self._one(self._client.tasks.fetch(pk, **dict(params or {})))

    @overload
    def list_tasks(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_tasks(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_tasks(self, params: Params, url_conversion: Conversion, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_tasks(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_tasks(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List tasks (``GET sdk/tasks/``): the first page, or ``(generator, count)`` with ``list_all``.

        ``params`` filter (``project``, ``status_label``, ...), pick the page (``page``,
        ``page_size``), narrow (``fields``) or embed (``expand="data_unit"``); with the unit
        embedded, ``url_conversion={"files_fields": ["data_unit.files"]}`` downloads its files.
        """
        return self._listing(self._client.tasks, params, url_conversion, list_all, ("files",))

    def create_tasks(self, data: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> list[dict[str, Any]]:
        """Create tasks (``POST tasks/``, 1000 per request) and return them.

        Args:
            data: a list of ``{"project": P, "data_unit": U}``, or ``{"project": P, "data":
                [{"data_unit": U}, ...]}``.

        Raises:
            ValidationError: a task lacks its project or unit (before any request), or the server refused.
        """
        if isinstance(data, Mapping):
            body = dict(data)
            project = body.pop("project", None)
            items = body.pop("data", None)
            if items is None:
                items = [body]
            elif body:
                unknown = ", ".join(sorted(body))
                raise TypeError(f"create_tasks: unknown keys {unknown} beside 'project' and 'data'")
            tasks = self._client.tasks.bulk_create(items, project=project)
        else:
            tasks = self._client.tasks.bulk_create(data)
        return [task.to_dict() for task in tasks]

    def annotate_task_data(self, pk: int, data: Any, schema: str | None = None) -> dict[str, Any]:
        """Replace a task's annotation (``PUT tasks/{pk}/annotate_task_data/``); return the task.

        Args:
            pk: the task id.
            data: the annotation object.
            schema: ``"dm_schema_v1"`` to validate against that schema, ``"any"`` to skip validation.
        """
        return self._one(self._client.tasks.get(pk, lazy=True).annotate(data, schema=schema))

    def set_tags_tasks(self, data: Mapping[str, Any], params: Params = None) -> dict[str, Any]:
        """Add or remove tags on tasks (``POST tasks/set_tags/``).

        Args:
            data: ``{"ids": [...], "tags": [...], "action": "add" | "remove"}`` or
                ``{"task_ids": [...], "tag_ids": [...]}``.
            params: task filters selecting the tasks instead of (or narrowing) the ids.

        Returns:
            ``{"ids", "tags", "action"}`` as sent.
        """
        return self._set_tags(self._client.tasks, data, params, "task_ids")

    def get_task_tag(self, pk: int) -> dict[str, Any]:
        """Return a task tag (``GET task_tags/{pk}/``)."""
        return self._one(self._client.task_tags.fetch(pk))

    def list_task_tags(self, params: Params = None) -> dict[str, Any]:
        """List task tags (``GET task_tags/``, e.g. ``params={"project": 1}``): the first page."""
        return self._page(self._client.task_tags, params)
