"""DM dataset folders (ANNOTATIONS.md §3): ``json/<stem>.json`` beside ``original_files/<stem>.<ext>``.

Lossless both ways: a document is written whole (every media item, every tool) as DM v2 with the
v1 media ids beside it (or as DM v1 with ``version=1``), and read back into the same document.
Split datasets put the same two folders under ``train/``, ``valid/`` and ``test/``. A unit with
several media files names them ``<stem>_<media id>.<ext>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import synapse.annotations as ann
from synapse.formats.base import Item, LabelsArg, SchemaArg
from synapse.formats.writing import BaseWriter

FOLDERS: dict[str, str] = {"train": "train", "val": "valid", "test": "test"}
"""Split -> the DM folder that holds it."""

_SPLIT_OF_FOLDER = {"train": "train", "valid": "val", "val": "val", "validation": "val", "test": "test"}


class DMWriter(BaseWriter):
    """Writes a DM dataset folder, one JSON document per unit (consecutive items of one unit)."""

    format = "dm"

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        labels: LabelsArg = None,
        schema: SchemaArg = None,
        media: bool = True,
        version: Literal[1, 2] = 2,
    ) -> None:
        """Start a DM folder at ``dest``.

        Args:
            dest: The destination folder.
            labels: Unused (DM keeps class codes); accepted like every writer's.
            schema: Unused; accepted like every writer's.
            media: Copy the media files into ``original_files/``.
            version: Write documents as DM v2 (the dataset shape, default) or DM v1.
        """
        super().__init__(dest, labels=labels, schema=schema, media=media)
        if version not in (1, 2):
            raise ValueError(f"DM version must be 1 or 2, not {version!r}")
        self.version = version
        self._unit: list[Item] = []

    def add(self, item: Item) -> None:
        """Queue ``item``; a unit's document is written once its last media item has been added."""
        if self._unit and not _same_unit(self._unit[0], item):
            self._flush()
        self._unit.append(item)

    def finish(self) -> None:
        """Write the last unit."""
        self._flush()

    def _flush(self) -> None:
        if not self._unit:
            return
        items, self._unit = self._unit, []
        first = items[0]
        folder = self.dest / FOLDERS.get(first.split or "", first.split or "") if first.split else self.dest
        json_name = self.names.claim(f"{first.split}/json", f"{first.stem}.json", first)
        stem = json_name[: -len(".json")]
        document = first.document
        for item in items:
            if item.width and item.height and document.size(item.media_id) is None:
                document = document.with_size(item.media_id, int(item.width), int(item.height))
        data = document.to_dm(version=self.version)
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        for item in items:
            if item.image is None or not self.media:
                continue
            media_stem = stem if len(items) == 1 else f"{stem}_{item.media_id}"
            folder_key = f"{first.split}/original_files"
            name = self.names.claim(folder_key, media_stem + Path(item.name).suffix, item)
            self.copy_media(item, folder / "original_files" / name)
        self.write_text(folder / "json" / json_name, text, first)


def _same_unit(a: Item, b: Item) -> bool:
    if a.split != b.split or a.stem != b.stem:
        return False
    if a.document is b.document:
        return True
    return a.task_id is not None and (a.task_id, a.unit_id) == (b.task_id, b.unit_id)


def _split_folders(root: Path) -> list[tuple[Path, str | None]]:
    found: list[tuple[Path, str | None]] = [
        (root / name, split)
        for name, split in _SPLIT_OF_FOLDER.items()
        if (root / name / "json").is_dir()
    ]
    return found or [(root, None)]


def read_dm(src: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a DM dataset folder (v1 or v2 documents, split or not): one item per media item.

    Args:
        src: The folder holding ``json/`` (or ``train/json`` ...).

    Raises:
        FileNotFoundError: No ``json/`` folder.
        synapse.annotations.FormatError: A file is not a DM document.
    """
    root = Path(src)
    folders = _split_folders(root)
    if not any((folder / "json").is_dir() for folder, _ in folders):
        raise FileNotFoundError(f"{root} holds no DM json/ folder")
    for folder, split in folders:
        media = folder / "original_files"
        # names, not Path objects: the listing is the one thing held for the whole folder
        media_files = {name.rsplit(".", 1)[0]: name for name in sorted(_names(media))}
        stems = sorted((n[:-5] for n in _names(folder / "json") if n.endswith(".json")), key=ann.natural_key)
        for stem in stems:
            yield from _items(folder / "json" / f"{stem}.json", media, media_files, split)


def _names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        return [entry.name for entry in entries if entry.is_file()]


def _items(path: Path, media: Path, media_files: dict[str, str], split: str | None) -> Iterator[Item]:
    raw: Any = json.loads(path.read_text(encoding="utf-8"))
    try:
        document = ann.Document.from_dm(raw)
    except ann.FormatError as exc:
        raise ann.FormatError(f"{path}: {exc}") from None
    stem = path.stem
    media_ids = document.media_ids or ("image_1",)
    for media_id in media_ids:
        name = media_files.get(f"{stem}_{media_id}") if len(media_ids) > 1 else None
        if name is None and (len(media_ids) == 1 or media_id == media_ids[0]):
            name = media_files.get(stem)
        image = media / name if name else None
        size = document.size(media_id)
        yield Item(
            stem=stem, document=document, media_id=media_id, image=image,
            file_name=image.name if image else None, width=size[0] if size else None,
            height=size[1] if size else None, split=split,
        )  # fmt: skip
