"""Bulk tagging (``POST <type>/set_tags/``), shared by tasks and assignments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from synapse.query import QuerySet
from synapse.resources.base import Resource

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["TaggableResource", "TagsQuerySet", "tag_ids"]

R = TypeVar("R", bound=Resource)
_ACTIONS = ("add", "remove")
TAG_BATCH = 1000


def tag_ids(tags: Iterable[Any], action: str) -> list[int]:
    """Validate ``tags`` (ids or tag objects) and ``action`` before any request.

    Raises:
        ValueError: ``action`` is not ``"add"`` or ``"remove"``.
        TypeError: a tag is neither an int nor a resource.
    """
    if action not in _ACTIONS:
        raise ValueError(f"action must be 'add' or 'remove', got {action!r}")
    if isinstance(tags, (int, str, Resource)):
        raise TypeError("tags must be a list of tag ids, e.g. set_tags([10, 11])")
    ids: list[int] = []
    for tag in tags:
        if isinstance(tag, Resource):
            tag = tag._ident
        if isinstance(tag, bool) or not isinstance(tag, int):
            raise TypeError(f"a tag must be an int id or a TaskTag, got {type(tag).__name__} {tag!r:.40}")
        ids.append(tag)
    return ids


class TaggableResource(Resource):
    """A resource with tags and a ``set_tags`` route (declare ``_tags_path``)."""

    _tags_path: ClassVar[str] = ""

    def set_tags(self, tags: Iterable[Any], action: str = "add") -> Self:
        """Add (or remove) tags on this object with one POST; updates ``tags`` locally.

        Args:
            tags: tag ids (or ``TaskTag`` objects).
            action: ``"add"`` (default) or ``"remove"``.

        Raises:
            ValueError, TypeError: bad ``action`` or tag ids (before any request).
        """
        ids = tag_ids(tags, action)
        manager = self._manager()
        manager._write("POST", self._tags_path, json={"ids": [self._ident], "tags": ids, "action": action})
        d = self.__dict__
        if isinstance(self._peek("tags"), list):
            current = list(self._peek("tags"))
            if action == "add":
                d["tags"] = current + [t for t in ids if t not in current]
            else:
                d["tags"] = [t for t in current if t not in ids]
            snapshot = dict(d.get("_snapshot") or {})
            snapshot["tags"] = list(d["tags"])
            d["_snapshot"] = snapshot  # a new dict: the old one may be shared with the cache
        return self


class TagsQuerySet(QuerySet[R]):
    """Adds ``set_tags`` to the QuerySets of a taggable type."""

    def set_tags(
        self, tags: Iterable[Any], action: str = "add", *, batch_size: int = TAG_BATCH
    ) -> int:
        """Tag every object this QuerySet selects; return how many ids were sent.

        The ids are read first, page by page with ``fields=id`` (a few bytes per row), and only
        then sent in batches of ``batch_size``: tagging while paging through a filter on tags
        would shift the pages and skip rows.

        Raises:
            ValueError, TypeError: bad ``action`` or tag ids (before any request).
        """
        ids_of_tags = tag_ids(tags, action)
        if not 1 <= batch_size <= TAG_BATCH:
            raise ValueError(f"batch_size must be between 1 and {TAG_BATCH}")
        model = self._model
        path = getattr(model, "_tags_path", "")
        if not path:
            raise TypeError(f"{model.__name__} objects have no set_tags route")
        ids = self.ids()
        client = self._require_client()
        for start in range(0, len(ids), batch_size):
            body = {"ids": ids[start : start + batch_size], "tags": ids_of_tags, "action": action}
            client._transport.request("POST", path, json=body)
        return len(ids)
