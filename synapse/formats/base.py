"""What every format shares: the item written or read, the export report, and the writer's plumbing.

A writer streams: ``add(item)`` once per media item, ``close()`` once, and its memory does not grow
with the number of items (only the report does: one line per file written and per audit entry).

Audit reason codes (ANNOTATIONS.md §4); ``outcome`` is ``lossy`` (written, but not as it was) or
``skipped`` (not written):

========================  =======  ==============================================================
reason                    outcome  meaning
========================  =======  ==============================================================
``rotated_box``           lossy    a rotated box written as a polygon or an axis-aligned hull
``box_as_polygon``        lossy    a box written as a 4-point polygon (YOLO segment)
``polygon_as_box``        lossy    a polygon written as its bounding box (YOLO detect/pose/obb, VOC)
``polygon_as_mask``       lossy    a polygon written as the pixels of its mask (VOC with masks)
``mask_as_box``           lossy    a mask written as its bounding box
``mask_holes``            lossy    a mask written as its outer contours, its holes filled
``mask_overlap``          lossy    a mask partly painted over by a later one (VOC PNGs)
``clipped``               lossy    coordinates clipped to the image (YOLO stores 0..1)
``duplicate_keypoint``    lossy    a group has two keypoints of one name: the first is kept
``attributes_dropped``    lossy    the format has no place for the object's attributes (YOLO)
``unsupported_tool``      skipped  the format has no place for the tool (the detail names it)
``not_in_task``           skipped  keypoints in a YOLO detect/segment/obb export
``no_label``              skipped  an object without a class, in a format that needs one
``unknown_class``         skipped  a class left out of an explicit ``labels=`` list
``empty_geometry``        skipped  a mask without pixels, a polygon with fewer than 3 points
``unknown_image_size``    skipped  neither the item nor its image file gives the image size
``no_class``              skipped  ImageFolder: an image without a classification
``multiple_classes``      lossy    ImageFolder: an image with several classes, filed under the first
``no_media``              skipped  ImageFolder: no image to file (or ``media=False``)
========================  =======  ==============================================================
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from attrs import evolve, field, frozen

import synapse.annotations as ann
from synapse.formats import libraries

Outcome = Literal["lossy", "skipped"]
SPLITS: tuple[str, ...] = ("train", "val", "test")
"""The split names items carry (folders may spell them differently, e.g. DM's ``valid``)."""

POSE_CLASS = "keypoints"
"""The class of a keypoint group that has no box, polygon or mask to lend it one (COCO and YOLO)."""

LabelsArg = ann.LabelMap | Sequence[str] | None
SchemaArg = ann.LabelSchema | Mapping[str, Any] | None


def _path(value: str | os.PathLike[str] | None) -> Path | None:
    return None if value is None else Path(value)


@frozen(kw_only=True)
class Item:
    """One media item to write (or one read): its file, its size, its annotations and where it came from.

    Several items may share one ``document`` (a unit with several images gives one item per image,
    each naming its ``media_id``); their ``stem`` is then the unit's and files get the media id.

    Attributes:
        stem: A stable name for the item's files, without extension (the unit's name).
        document: The annotations; the item's own are ``document.objects(media_id)``.
        media_id: The media id of this item in ``document`` (``image_1`` ...).
        image: The media file on disk, or None (annotations only).
        file_name: The media file's name to write (defaults to the stem plus the image's suffix).
        width: The image width in pixels when known (else ``extra``, else read from ``image``).
        height: The image height in pixels when known.
        split: ``train``, ``val``, ``test`` or None.
        task_id: The task the item comes from, when it does.
        unit_id: The data unit the item comes from, when it does.
    """

    stem: str
    document: ann.Document = field(factory=ann.Document)
    media_id: str = "image_1"
    image: Path | None = field(default=None, converter=_path)
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    split: str | None = None
    task_id: Any = None
    unit_id: Any = None

    @property
    def objects(self) -> list[ann.Annotation]:
        """The annotations of this media item."""
        return self.document.objects(self.media_id)

    @property
    def file_stem(self) -> str:
        """The stem of this media item's own files: the stem, plus the media id in a multi-media unit."""
        return self.stem if len(self.document.media) <= 1 else f"{self.stem}_{self.media_id}"

    @property
    def name(self) -> str:
        """The media file name to write: ``file_name``, else the file stem plus the image's suffix."""
        if self.file_name:
            name = self.file_name
            return name if "/" not in name and os.sep not in name else Path(name).name
        suffix = self.image.suffix if self.image is not None else ".jpg"
        return self.file_stem + suffix

    def size(self) -> tuple[int, int] | None:
        """``(width, height)``: the item's, else the document's ``extra``, else the image file's header."""
        if self.width and self.height:
            return (int(self.width), int(self.height))
        known = self.document.size(self.media_id)
        if known is not None:
            return known
        if self.image is not None and self.image.is_file():
            return libraries.image_size(self.image)
        return None

    def replace(self, **changes: Any) -> Item:
        """A copy with the given fields changed (``item.replace(split="val")``)."""
        return evolve(self, **changes)


@frozen
class AuditEntry:
    """One annotation a writer could not write as it was.

    Attributes:
        task: The task of the item (its ``task_id``), or None.
        annotation_id: The annotation id, or None for a whole item (``unknown_image_size`` ...).
        outcome: ``lossy`` (written differently) or ``skipped`` (not written).
        reason: A reason code (see the table of :mod:`synapse.formats.base`).
        detail: A sentence for people.
        media_id: The media id of the item.
        unit: The data unit of the item, or None.
    """

    task: Any
    annotation_id: str | None
    outcome: Outcome
    reason: str
    detail: str = ""
    media_id: str | None = None
    unit: Any = None


@frozen
class WrittenFile:
    """One file a writer wrote, mapped back to where its content came from.

    Attributes:
        path: The file, relative to the destination folder (``/`` separated).
        task: The task it belongs to, or None for a file shared by many (a COCO JSON, ``data.yaml``).
        unit: The data unit, or None.
        media_id: The media id, or None.
    """

    path: str
    task: Any = None
    unit: Any = None
    media_id: str | None = None


def _written(value: Iterable[WrittenFile]) -> tuple[WrittenFile, ...]:
    return tuple(value)


def _entries(value: Iterable[AuditEntry]) -> tuple[AuditEntry, ...]:
    return tuple(value)


@frozen
class WriteReport:
    """What a writer wrote and what it could not write as it was.

    Attributes:
        written: Every file written, in order.
        audit: Every lossy or skipped annotation, in order.
    """

    written: tuple[WrittenFile, ...] = field(converter=_written)
    audit: tuple[AuditEntry, ...] = field(converter=_entries)

    def reasons(self) -> dict[str, int]:
        """Reason code -> number of audit entries."""
        counts: dict[str, int] = {}
        for entry in self.audit:
            counts[entry.reason] = counts.get(entry.reason, 0) + 1
        return dict(sorted(counts.items()))


class Writer(Protocol):
    """A format writer: ``add`` media items one by one, then ``close`` for the report."""

    def add(self, item: Item) -> None:
        """Write one media item (its media file when asked, its annotations)."""

    def close(self) -> WriteReport:
        """Finish the files that span items and return the report."""


def split_of(key: str, splits: Mapping[str, float]) -> str:
    """The split a key falls in, by a stable hash (the same key always lands in the same split).

    Args:
        key: A stable name of the item (its task id or stem).
        splits: Split name -> weight (``{"train": 0.8, "val": 0.2}``); weights need not sum to 1.

    Raises:
        ValueError: No positive weight.
    """
    total = sum(w for w in splits.values() if w > 0)
    if total <= 0:
        raise ValueError(f"splits need a positive weight: {dict(splits)}")
    point = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64 * total
    chosen = ""
    for name, weight in splits.items():
        if weight <= 0:
            continue
        chosen = name
        point -= weight
        if point < 0:
            break
    return chosen


def iter_sorted_files(folder: Path, suffixes: Iterable[str] | None = None) -> Iterator[Path]:
    """The files directly in ``folder`` (sorted by name), optionally only those with given suffixes."""
    if not folder.is_dir():
        return
    wanted = None if suffixes is None else {s.lower() for s in suffixes}
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.is_file() and (wanted is None or path.suffix.lower() in wanted):
            yield path


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")
"""File suffixes readers take for images."""


def find_image(folder: Path, stem: str) -> Path | None:
    """The image ``folder/<stem>.<image suffix>`` when one exists."""
    for suffix in IMAGE_SUFFIXES:
        for candidate in (folder / (stem + suffix), folder / (stem + suffix.upper())):
            if candidate.is_file():
                return candidate
    return None
