"""A data unit's files as the API sends them: which are images, and which one to draw or export first.

A unit's ``files`` arrive as a mapping ``{spec: {"url", "checksum", "file_type", "is_primary", ...}}``
(units, tasks with ``expand=data_unit``) or as a list of entries naming their ``specification``
(``sdk/tasks/files/``); both are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse.annotations import natural_key

__all__ = ["IMAGE_EXTENSIONS", "file_entries", "images", "is_image"]

#: File endings taken for images when an entry has no ``file_type``.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def file_entries(files: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """``(spec name, entry)`` of each file, from the mapping or the list form (anything else: none)."""
    if isinstance(files, Mapping):
        return [(str(k), v) for k, v in files.items() if isinstance(v, Mapping)]
    if isinstance(files, list):  # sdk/tasks/files/: [{"specification", "url", ...}]
        return [(str(f.get("specification") or i), f) for i, f in enumerate(files) if isinstance(f, Mapping)]
    return []


def is_image(entry: Mapping[str, Any]) -> bool:
    """Whether an entry is an image: its ``file_type``, else the ending of its URL's path."""
    kind = str(entry.get("file_type") or "").lower()
    if kind:
        return kind == "image"
    url = str(entry.get("url") or "").split("?", 1)[0].lower()
    return url.endswith(IMAGE_EXTENSIONS)


def images(files: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """The unit's image files that have a URL: the primary first, then in natural spec order."""
    found = [(spec, e) for spec, e in file_entries(files) if e.get("url") and is_image(e)]
    found.sort(key=lambda pair: (not pair[1].get("is_primary"), natural_key(pair[0])))
    return found
