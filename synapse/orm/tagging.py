"""Bulk tagging (``POST <type>/set_tags/``), shared by tasks and assignments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from synapse.orm.queryset import QuerySet
from synapse.orm.resource import Resource

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
    """A resource with tags and a ``set_tags`` route (declare ``options.tags_path``)."""

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
        path = self.options.tags_path
        if not path:
            raise TypeError(f"{type(self).__name__} objects have no set_tags route")
        manager._write("POST", path, json={"ids": [self._ident], "tags": ids, "action": action})
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
        self,
        tags: Iterable[Any],
        action: str = "add",
        *,
        batch_size: int = TAG_BATCH,
        ids: Iterable[Any] | None = None,
    ) -> int:
        """Tag every object this QuerySet selects; return how many ids were sent.

        The ids are read first, page by page with ``fields=id`` (a few bytes per row), and only
        then sent in batches of ``batch_size``: tagging while paging through a filter on tags
        would shift the pages and skip rows.

        Args:
            tags: tag ids (or ``TaskTag`` objects).
            action: ``"add"`` (default) or ``"remove"``.
            batch_size: ids per request (at most 1000).
            ids: tag exactly these object ids (or objects) instead: no listing request, the
                QuerySet's filters are not applied.

        Raises:
            ValueError, TypeError: bad ``action``, tag ids or ``ids`` (before any request).
        """
        ids_of_tags = tag_ids(tags, action)
        if not 1 <= batch_size <= TAG_BATCH:
            raise ValueError(f"batch_size must be between 1 and {TAG_BATCH}")
        model = self._model
        path = model.options.tags_path
        if not path:
            raise TypeError(f"{model.__name__} objects have no set_tags route")
        chosen = self.ids() if ids is None else _object_ids(ids, model)
        client = self._require_client()
        for start in range(0, len(chosen), batch_size):
            body = {"ids": chosen[start : start + batch_size], "tags": ids_of_tags, "action": action}
            client.transport.request("POST", path, json=body)
        return len(chosen)


def _object_ids(values: Iterable[Any], model: type[Resource]) -> list[Any]:
    """Validate explicit object ids (ints or objects of ``model``) before any request."""
    if isinstance(values, (int, str, Resource)):
        raise TypeError(f"ids must be a list of {model.__name__} ids, e.g. ids=[1, 2]")
    out: list[Any] = []
    for value in values:
        if isinstance(value, model):
            value = value._ident
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"a {model.__name__} id must be an int, got {type(value).__name__} {value!r:.40}")
        out.append(value)
    return out
