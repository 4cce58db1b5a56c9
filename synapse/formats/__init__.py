"""Dataset formats on disk: DM, COCO, YOLO, Pascal VOC and ImageFolder, read and written as folders.

Pure: files only, no HTTP. Every format reads into and writes from :class:`Item` objects carrying a
:class:`synapse.annotations.Document`, so any pair converts through DM (ANNOTATIONS.md §4)::

    from synapse import formats

    report = formats.convert("dm", "coco", "in/dm", "out/coco")     # folder to folder
    report.written                                                  # every file, mapped to its task
    report.audit                                                    # every lossy or skipped annotation

    with formats.writer("yolo", "out/yolo", labels=["car", "person"], task="segment") as w:
        for item in formats.read("coco", "in/coco"):
            w.add(item)
    report = w.close()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from synapse.formats.base import (
    POSE_CLASS,
    AuditEntry,
    Item,
    LabelsArg,
    SchemaArg,
    Writer,
    WriteReport,
    WrittenFile,
    split_of,
)
from synapse.formats.writing import BaseWriter

FORMATS: dict[str, tuple[str, str | None]] = {
    "dm": ("synapse.formats.dm:DMWriter", "synapse.formats.dm:read_dm"),
    "coco": ("synapse.formats.coco:CocoWriter", "synapse.formats.coco_read:read_coco"),
    "yolo": ("synapse.formats.yolo:YoloWriter", "synapse.formats.yolo_read:read_yolo"),
    "voc": ("synapse.formats.voc:VocWriter", "synapse.formats.voc_read:read_voc"),
    "imagefolder": ("synapse.formats.imagefolder:ImageFolderWriter", None),
}
"""Format name -> (its writer class, its reader function or None), as ``module:name``."""

__all__ = [
    "FORMATS",
    "POSE_CLASS",
    "AuditEntry",
    "Item",
    "WriteReport",
    "Writer",
    "WrittenFile",
    "convert",
    "read",
    "split_of",
    "writer",
]


def _load(target: str) -> Any:
    import importlib

    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _entry(name: str) -> tuple[str, str | None]:
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; known: {', '.join(FORMATS)}") from None


def writer(
    format: str,
    dest: str | os.PathLike[str],
    *,
    labels: LabelsArg = None,
    schema: SchemaArg = None,
    media: bool = True,
    **options: Any,
) -> BaseWriter:
    """A streaming writer of ``format`` into the folder ``dest``: ``add()`` items, then ``close()``.

    Args:
        format: ``dm``, ``coco``, ``yolo``, ``voc`` or ``imagefolder``.
        dest: The destination folder (created when missing).
        labels: An explicit class order (a list of codes or a ``LabelMap``); classes outside it are
            skipped and reported. None: the schema's order, then the classes seen, sorted.
        schema: The project's ``LabelSchema`` (or its ``configuration`` dict).
        media: Copy the media files beside the annotations.
        **options: Options of the format's writer (``task=`` for YOLO, ``masks=`` for VOC,
            ``version=`` for DM).

    Raises:
        ValueError: An unknown format, or one that cannot be written.
    """
    writer_class = _load(_entry(format)[0])
    built: BaseWriter = writer_class(dest, labels=labels, schema=schema, media=media, **options)
    return built


def read(format: str, src: str | os.PathLike[str], **options: Any) -> Iterator[Item]:
    """Read the dataset folder ``src`` in ``format``: one :class:`Item` per media item, lazily.

    Args:
        format: ``dm``, ``coco``, ``yolo`` or ``voc``.
        src: The dataset folder.
        **options: Options of the format's reader.

    Raises:
        ValueError: An unknown format, or one that cannot be read (``imagefolder``).
    """
    target = _entry(format)[1]
    if target is None:
        raise ValueError(f"the {format} format is written only, not read")
    reader: Callable[..., Iterator[Item]] = _load(target)
    return reader(src, **options)


def convert(
    src_format: str,
    dst_format: str,
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    *,
    labels: LabelsArg = None,
    schema: SchemaArg = None,
    splits: Mapping[str, float] | None = None,
    media: bool = True,
    **options: Any,
) -> WriteReport:
    """Convert the dataset folder ``src`` into ``dst``, streaming item by item through DM documents.

    Args:
        src_format: The format of ``src``.
        dst_format: The format to write.
        src: The source folder.
        dst: The destination folder.
        labels: An explicit class order for the destination (see :func:`writer`).
        schema: The project's label schema, for the class order.
        splits: Reassign splits by a stable hash of each item's stem (``{"train": 0.8, "val": 0.2}``);
            None keeps the source's splits.
        media: Copy the media files.
        **options: Options of the destination writer.

    Returns:
        The writer's report: files written and the audit of lossy or skipped annotations.

    Raises:
        ValueError: ``dst`` is ``src``, or a format is unknown.
    """
    if Path(dst).resolve() == Path(src).resolve():
        raise ValueError(f"convert writes into a folder of its own, not into its source {src}")
    out = writer(dst_format, dst, labels=labels, schema=schema, media=media, **options)
    with out:
        for item in read(src_format, src):
            if splits is not None:
                item = item.replace(split=split_of(item.stem, splits))
            out.add(item)
    return out.close()
