"""The annotations of one task (or one dataset item): typed objects per media id, DM v1/v2 in and out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from attrs import evolve, field, frozen

from synapse.annotations.objects import Annotation, Relation

_DIGITS = re.compile(r"(\d+)")


def natural_key(media_id: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``image_2`` before ``image_10`` (digit runs compare as numbers)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(media_id) if part)


def _media(value: Mapping[str, Iterable[Annotation]]) -> dict[str, tuple[Annotation, ...]]:
    return {str(k): tuple(v) for k, v in value.items()}


def _extra(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


@frozen(kw_only=True)
class Document:
    """The annotations of one task: typed objects per media id, plus what DM v1 carries beside them.

    Read one with :meth:`from_dm`, write it with :meth:`to_dm`; a document read from DM v1 and left
    unchanged is written back exactly as it came. Documents are immutable: :meth:`with_objects`,
    :meth:`add`, :meth:`replace` and :meth:`remove` return new ones.

    Attributes:
        media: Media id -> its objects, in document order.
        extra: Media id -> the v1 ``extra`` entry (``width``/``height`` ...).
        assignment_id: The v1 ``assignmentId`` (None when absent).
        other: Top-level keys the model does not type (the v1 ``relations`` lists among them), kept.
        origin: The DM dict the document was read from (not part of equality).
    """

    media: dict[str, tuple[Annotation, ...]] = field(factory=dict, converter=_media)
    extra: dict[str, Any] = field(factory=dict, converter=_extra)
    assignment_id: Any = None
    other: dict[str, Any] = field(factory=dict, converter=_extra)
    origin: Any = field(default=None, eq=False, repr=False)

    __hash__ = None  # type: ignore[assignment]  # holds dicts: equal by value, not hashable

    # ------------------------------------------------------------ building

    @classmethod
    def from_dm(
        cls, raw: Mapping[str, Any] | None, *, media_ids: Iterable[str] | None = None, copy: bool = True
    ) -> Document:
        """Read a DM v1 or DM v2 document (None or ``{}`` gives an empty document).

        Args:
            raw: The ``data`` of a task (v1: ``annotations``/``annotationsData`` ...) or a dataset
                item (v2: ``images``/``videos`` ... lists).
            media_ids: For v2 only: the v1 media ids of the media, in v2 order, when the document
                does not carry its own ``media_ids`` key (else ``image_1``, ``image_2`` ... are used).
            copy: Read a deep copy of ``raw`` (the default): changing ``raw`` later does not change
                the document. ``copy=False`` hands ``raw`` over (v1: the document keeps its rows,
                no copy is made): for a dict the caller owns and will not change, such as one it
                has just decoded. A v2 document is always copied.

        Raises:
            FormatError: ``raw`` is not a mapping, or its rows are not objects.
        """
        from synapse.annotations import dm_v1, dm_v2

        if not raw:
            return cls()
        if not isinstance(raw, Mapping):
            raise dm_v1.FormatError(f"a DM document is a JSON object, not {type(raw).__name__}")
        if dm_v1.is_v1(raw):
            return dm_v1.read_document(raw, copy=copy)
        return dm_v2.read_document(raw, media_ids=media_ids)

    @classmethod
    def from_objects(
        cls,
        objects: Iterable[Annotation],
        *,
        media: str = "image_1",
        size: tuple[int, int] | None = None,
    ) -> Document:
        """A one-media document holding ``objects``.

        Args:
            objects: The annotations.
            media: The media id (``image_1`` by default).
            size: The image ``(width, height)``, stored in ``extra``.
        """
        extra = {media: {"width": size[0], "height": size[1]}} if size else {}
        return cls(media={media: tuple(objects)}, extra=extra)

    def to_dm(self, version: Literal[1, 2] = 1, *, keep_media_ids: bool = True) -> dict[str, Any]:
        """Write the document as a DM dict.

        Args:
            version: 1 for the wire format of tasks, 2 for the normalised format of datasets.
            keep_media_ids: For v2: add the ``media_ids`` key (plural media type -> v1 ids), plus
                ``extra``/``assignmentId``/other v1 top-level keys, so :meth:`from_dm` restores them.

        Raises:
            ValueError: An unknown version.
        """
        from synapse.annotations import dm_v1, dm_v2

        if version == 1:
            return dm_v1.write_document(self)
        if version == 2:
            return dm_v2.write_document(self, keep_media_ids=keep_media_ids)
        raise ValueError(f"DM version must be 1 or 2, not {version!r}")

    # ------------------------------------------------------------ reading

    @property
    def media_ids(self) -> tuple[str, ...]:
        """Every media id of the document, in natural order (``image_2`` before ``image_10``)."""
        return tuple(sorted(self.media, key=natural_key))

    def objects(self, media_id: str | None = None) -> list[Annotation]:
        """The objects of one media item (``[]`` when it has none), or of every media item in order."""
        if media_id is not None:
            return list(self.media.get(media_id, ()))
        return [obj for m in self.media_ids for obj in self.media[m]]

    def items(self) -> Iterator[tuple[str, tuple[Annotation, ...]]]:
        """``(media id, objects)`` pairs in natural media order."""
        for media_id in self.media_ids:
            yield media_id, self.media[media_id]

    def get(self, annotation_id: str, media_id: str | None = None) -> Annotation | None:
        """The object with this id (in one media item or the first found), or None."""
        for obj in self.objects(media_id):
            if obj.id == annotation_id:
                return obj
        return None

    def size(self, media_id: str) -> tuple[int, int] | None:
        """The ``(width, height)`` of a media item from ``extra``, or None when not both known."""
        return self.size_from_extra(self.extra.get(media_id))

    @staticmethod
    def size_from_extra(entry: Any) -> tuple[int, int] | None:
        """``(width, height)`` of one ``extra`` entry when both are positive whole numbers."""
        if not isinstance(entry, Mapping):
            return None
        width, height = entry.get("width"), entry.get("height")
        if type(width) is int and type(height) is int:  # the common case, without the checks below
            return (width, height) if width > 0 and height > 0 else None
        sizes = [v for v in (width, height) if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(sizes) != 2 or not all(v > 0 and float(v).is_integer() for v in sizes):
            return None
        return (int(sizes[0]), int(sizes[1]))

    def groups(self, media_id: str) -> dict[str, list[str | None]]:
        """Group id -> ids of its members, in document order, for one media item."""
        out: dict[str, list[str | None]] = {}
        for obj in self.media.get(media_id, ()):
            if obj.group is not None:
                out.setdefault(obj.group, []).append(obj.id)
        return out

    def relations(self, media_id: str | None = None) -> list[Relation]:
        """The :class:`Relation` objects of one media item, or of all."""
        return [obj for obj in self.objects(media_id) if isinstance(obj, Relation)]

    def classes(self) -> list[str]:
        """The class codes used, in order of first use."""
        return list(dict.fromkeys(obj.label for obj in self.objects() if obj.label is not None))

    def __iter__(self) -> Iterator[Annotation]:
        """Every object, media by media in natural order."""
        return iter(self.objects())

    def __len__(self) -> int:
        """The number of objects over all media."""
        return sum(len(objs) for objs in self.media.values())

    def __bool__(self) -> bool:
        """A document is truthy when it has a media item or a top-level key to write."""
        return bool(self.media or self.extra or self.other or self.assignment_id is not None)

    # ------------------------------------------------------------ changing

    def with_objects(self, media_id: str, objects: Iterable[Annotation]) -> Document:
        """A copy whose media item ``media_id`` holds exactly ``objects``."""
        return evolve(self, media={**self.media, media_id: tuple(objects)})

    def add(self, media_id: str, *objects: Annotation) -> Document:
        """A copy with ``objects`` appended to the media item ``media_id``."""
        return self.with_objects(media_id, (*self.media.get(media_id, ()), *objects))

    def replace(self, media_id: str, obj: Annotation) -> Document:
        """A copy where the object of ``media_id`` with the id of ``obj`` is ``obj``.

        Raises:
            KeyError: No object of that media item has that id.
        """
        current = self.media.get(media_id, ())
        if obj.id is None or not any(o.id == obj.id for o in current):
            raise KeyError(f"{media_id} has no annotation {obj.id!r}")
        return self.with_objects(media_id, (obj if o.id == obj.id else o for o in current))

    def remove(self, media_id: str, annotation_id: str) -> Document:
        """A copy without the object ``annotation_id`` of ``media_id`` (nothing else changes)."""
        return self.with_objects(media_id, (o for o in self.media.get(media_id, ()) if o.id != annotation_id))

    def with_size(self, media_id: str, width: int, height: int) -> Document:
        """A copy whose ``extra`` records the size of ``media_id``."""
        entry = dict(self.extra.get(media_id) or {}) | {"width": width, "height": height}
        return evolve(self, extra={**self.extra, media_id: entry})


def parse(raw: Mapping[str, Any] | None) -> Document:
    """Read a DM v1 or v2 dict: the same as :meth:`Document.from_dm`."""
    return Document.from_dm(raw)
