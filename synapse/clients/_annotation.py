"""Projects, tasks and task tags, as the original SDK's ``AnnotationClientMixin`` offered them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, overload

from synapse.clients._base import _BATCH, Answer, BaseClient, Conversion, ListAnswer, Params, Stream, _ident

__all__ = ["AnnotationClientMixin"]


class AnnotationClientMixin(BaseClient):
    """``get_project``, tasks (list, get, create, annotate, tag, data and file rows) and task tags."""

    def get_project(self, pk: int) -> Answer:
        """Return a project (``GET projects/{pk}/``)."""
        return self._get(self._client.projects, pk)

    def get_task(self, pk: int, params: Params = None) -> Answer:
        """Return a task (``GET tasks/{pk}/``); ``params={"expand": "data_unit"}`` embeds its unit."""
        return self._get(self._client.tasks, pk, params)

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

    @overload
    def list_tasks_data(self, params: Params = None, list_all: Literal[False] = False) -> dict[str, Any]: ...
    @overload
    def list_tasks_data(self, params: Params = None, *, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_tasks_data(self, params: Params, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_tasks_data(self, params: Params = None, list_all: bool = False) -> ListAnswer: ...
    def list_tasks_data(self, params: Params = None, list_all: bool = False) -> ListAnswer:
        """List the tasks' annotation data (``GET sdk/tasks/data/``): rows of ``{"id", "data"}`` only.

        Takes the filters of ``list_tasks``; the first page, or ``(generator, count)`` with
        ``list_all``. The object model's form: ``client.tasks.filter(...).data_rows()``.
        """
        return self._listing(self._client.tasks, params, None, list_all, path="sdk/tasks/data/")

    @overload
    def list_tasks_files(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_tasks_files(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_tasks_files(
        self, params: Params, url_conversion: Conversion, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_tasks_files(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_tasks_files(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List the tasks' files (``GET sdk/tasks/files/``): rows ``{"id", "data_unit", "files": [...]}``.

        Each ``files`` entry is ``{"specification", "checksum", "url", "file_type", "is_primary",
        "size"}``. Nothing is downloaded unless asked: ``url_conversion={"files_fields":
        ["files"]}`` replaces each entry's ``url`` by the local ``path``. The object model's
        form: ``client.tasks.filter(...).file_rows()``.
        """
        return self._listing(self._client.tasks, params, url_conversion, list_all, path="sdk/tasks/files/")

    def create_tasks(self, data: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> Answer:
        """Create tasks (``POST tasks/``) and return the server's answer (the created tasks).

        The body is sent as given, as the original did; a list longer than 1000 (or the
        ``data`` of the dict form) goes in batches of 1000, and the answers are concatenated.

        Args:
            data: a list of ``{"project": P, "data_unit": U}``, or ``{"project": P, "data":
                [{"data_unit": U}, ...]}``; other keys go to the server as given.

        Raises:
            ValidationError: the server refused (a missing project or unit, an unknown unit).
        """
        if isinstance(data, Mapping):
            items = data.get("data")
            if not isinstance(items, list) or len(items) <= _BATCH:
                return self._send("POST", "tasks/", dict(data))
            created: list[Any] = []
            for start in range(0, len(items), _BATCH):
                answer = self._send("POST", "tasks/", {**data, "data": items[start : start + _BATCH]})
                created.extend(answer if isinstance(answer, list) else [answer])
            return created
        return self._create_many("tasks/", data)

    def annotate_task_data(self, pk: int, data: Any, schema: str | None = None) -> Answer:
        """Replace a task's annotation (``PUT tasks/{pk}/annotate_task_data/``); return the task.

        Args:
            pk: the task id.
            data: the annotation object (a DM v1 document, or ``{"action", "data"}``).
            schema: ``"dm_schema_v1"`` to validate against that schema, ``"any"`` to skip validation.
        """
        path = f"{self._client.tasks._detail_path(_ident(pk))}annotate_task_data/"
        return self._send("PUT", path, data, {"schema": schema})

    def set_tags_tasks(self, data: Mapping[str, Any], params: Params = None) -> Answer:
        """Add or remove tags on tasks: one ``POST tasks/set_tags/?<params>``, as the original sent it.

        Args:
            data: ``{"ids": [...], "tags": [...], "action": "add" | "remove"}``, or
                ``{"task_ids": [...], "tag_ids": [...]}`` (sent as ``ids`` and ``tags``).
            params: task filters, sent as the query string; the server resolves the selection.

        Returns:
            The server's answer: ``{"ids", "tags", "action"}``.
        """
        return self._set_tags(self._client.tasks, data, params, "task_ids")

    def get_task_tag(self, pk: int) -> Answer:
        """Return a task tag (``GET task_tags/{pk}/``)."""
        return self._get(self._client.task_tags, pk)

    def list_task_tags(self, params: Params = None) -> dict[str, Any]:
        """List task tags (``GET task_tags/``, e.g. ``params={"project": 1}``): the first page."""
        return self._page(self._client.task_tags, params)
