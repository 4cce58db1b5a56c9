"""Assignments, as the original SDK's ``HITLClientMixin`` offered them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, overload

from synapse.clients._base import BaseClient, Conversion, ListAnswer, Params, Stream

__all__ = ["HITLClientMixin"]


class HITLClientMixin(BaseClient):
    """Assignments: get, list and tag."""

    def get_assignment(self, pk: int) -> dict[str, Any]:
        """Return an assignment (``GET assignments/{pk}/``)."""
        return self._one(self._client.assignments.fetch(pk))

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

    def set_tags_assignments(self, data: Mapping[str, Any], params: Params = None) -> dict[str, Any]:
        """Add or remove tags on assignments (``POST assignments/set_tags/``).

        Args:
            data: ``{"ids": [...], "tags": [...], "action": "add" | "remove"}`` or
                ``{"assignment_ids": [...], "tag_ids": [...]}``.
            params: assignment filters selecting the assignments instead of (or narrowing) the ids.

        Returns:
            ``{"ids", "tags", "action"}`` as sent.
        """
        return self._set_tags(self._client.assignments, data, params, "assignment_ids")
