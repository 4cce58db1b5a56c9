"""Assignments, as the original SDK's ``HITLClientMixin`` offered them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from synapse.clients._base import Answer, BaseClient, Conversion, ListAnswer, Params, Stream

__all__ = ["HITLClientMixin"]


class HITLClientMixin(BaseClient):
    """Assignments: get, list (whole rows or their data only) and tag."""

    def get_assignment(self, pk: int) -> Answer:
        """Return an assignment (``GET assignments/{pk}/``)."""
        return self._get(self._client.assignments, pk)

    @overload
    def list_assignments(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_assignments(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_assignments(
        self, params: Params, url_conversion: Conversion, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_assignments(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_assignments(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List assignments (``GET sdk/assignments/``): the first page, or ``(generator, count)``."""
        return self._listing(self._client.assignments, params, url_conversion, list_all, ("files",))

    @overload
    def list_assignments_data(
        self, params: Params = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_assignments_data(self, params: Params = None, *, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_assignments_data(self, params: Params, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_assignments_data(self, params: Params = None, list_all: bool = False) -> ListAnswer: ...
    def list_assignments_data(self, params: Params = None, list_all: bool = False) -> ListAnswer:
        """List the assignments' data (``GET sdk/assignments/data/``): rows of ``{"id", "data"}`` only.

        Takes the filters of ``list_assignments``; the first page, or ``(generator, count)``
        with ``list_all``. The object model's form: ``client.assignments.filter(...).data_rows()``.
        """
        return self._listing(self._client.assignments, params, None, list_all, path="sdk/assignments/data/")

    def set_tags_assignments(self, data: Mapping[str, Any], params: Params = None) -> Answer:
        """Add or remove tags on assignments: one ``POST assignments/set_tags/?<params>``.

        Args:
            data: ``{"ids": [...], "tags": [...], "action": "add" | "remove"}``, or
                ``{"assignment_ids": [...], "tag_ids": [...]}`` (sent as ``ids`` and ``tags``).
            params: assignment filters, sent as the query string; the server resolves the selection.

        Returns:
            The server's answer: ``{"ids", "tags", "action"}``.
        """
        return self._set_tags(self._client.assignments, data, params, "assignment_ids")
