"""What ``upload_many`` and ``upload_folder`` take, checked before a single request.

An item is a mapping ``{"files": {spec: path}, "meta": {...}, "groups": [...]}`` or a plain
path (``str`` or ``os.PathLike``) that fills one file specification. The types are checked
locally, in one pass over the input (a generator is consumed once); what needs the collection
(which spec a plain path fills) is decided once its specifications are read, still before any
upload. A wrong type raises ``TypeError``; a spec the collection lacks is a ``ValidationError``.
"""

from __future__ import annotations

import difflib
import errno
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from synapse.errors import ValidationError
from synapse.services.uploads.files import StrPath

__all__ = ["Item", "TakenItem", "check_spec_argument", "folder_files", "path_spec", "take_items"]

Item: TypeAlias = Mapping[str, Any] | str | os.PathLike[str]
"""One input of ``upload_many``: a mapping with ``files``, or a plain path."""

TakenItem: TypeAlias = Mapping[str, Any] | str
"""An item once checked: the mapping as given, or the path as a ``str``."""

ITEM_KEYS = ("files", "meta", "groups")


def take_items(items: object) -> list[TakenItem]:
    """Check every item's type and return them as one list (paths as ``str``, mappings as given).

    Raises:
        TypeError: ``items`` is a single path, a single mapping or not iterable, or an item is
            neither a path nor a mapping of the documented shape (the message names its index).
    """
    if isinstance(items, (str, bytes, bytearray, os.PathLike)):
        raise TypeError(
            f"upload_many takes an iterable of items, not a single {type(items).__name__} ({items!r:.80}): "
            "pass [path] for one file, or use collection.upload_folder(path) for a folder"
        )
    if isinstance(items, Mapping):
        raise TypeError("upload_many takes an iterable of items, not a single mapping: pass [item]")
    if not isinstance(items, Iterable):
        raise TypeError(f"upload_many takes an iterable of items, not {type(items).__name__}")
    return [_take(index, item) for index, item in enumerate(items)]


def _take(index: int, item: object) -> TakenItem:
    if isinstance(item, (str, os.PathLike)):
        return _path(index, item, "an item")
    if not isinstance(item, Mapping):
        raise TypeError(
            f"item {index}: expected a path (str or os.PathLike) or a mapping "
            f"{{'files': {{spec: path}}, 'meta': ..., 'groups': ...}}, got {type(item).__name__}"
        )
    unknown = [key for key in item if key not in ITEM_KEYS]
    if unknown:
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), ITEM_KEYS, n=1) if isinstance(key, str) else []
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(
            f"item {index}: unknown key {', '.join(hints)}; an item takes 'files', 'meta', 'groups'"
        )
    if "files" not in item:
        raise TypeError(f"item {index}: a mapping item needs 'files': {{spec name: path}}")
    files = item["files"]
    if not isinstance(files, Mapping):
        raise TypeError(
            f"item {index}: 'files' must be a mapping {{spec name: path}}, got {type(files).__name__}"
        )
    for name, path in files.items():
        if not isinstance(name, str):
            raise TypeError(
                f"item {index}: a spec name must be a str, got {type(name).__name__} ({name!r:.40})"
            )
        _path(index, path, f"files[{name!r}]")
    meta = item.get("meta")
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"item {index}: 'meta' must be a mapping or None, got {type(meta).__name__}")
    groups = item.get("groups")
    if groups is not None and (isinstance(groups, (str, bytes)) or not isinstance(groups, Iterable)):
        raise TypeError(f"item {index}: 'groups' must be a list of str, got {type(groups).__name__}")
    return item


def _path(index: int, value: object, what: str) -> str:
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(path, str):
        raise TypeError(
            f"item {index}: {what} must be a path (str or os.PathLike[str]), got {type(value).__name__}"
        )
    return path


def check_spec_argument(spec: object) -> None:
    """Raise ``TypeError`` unless ``spec`` is None or a str (checked before any request)."""
    if spec is not None and not isinstance(spec, str):
        raise TypeError(
            f"spec must be a file specification's name (a str) or None, got {type(spec).__name__}"
        )


def path_spec(
    specs: Mapping[str, Mapping[str, Any]], spec: str | None, *, needed: bool
) -> str | None:
    """The file specification plain paths fill: ``spec`` if given, else the collection's only one.

    Args:
        specs: the collection's specifications by name.
        spec: the name the caller gave, or None.
        needed: some items are plain paths.

    Returns:
        The spec's name, or None when no item is a plain path and ``spec`` is None.

    Raises:
        ValidationError: ``spec`` is not one of the collection's, or a plain path cannot fill a
            unit alone (another spec is required, or none is given and the choice is not clear).
    """
    known = ", ".join(sorted(specs)) or "none"
    required = [name for name, s in specs.items() if s.get("is_required")]
    if spec is not None:
        if spec not in specs:
            message = f"{spec!r} is not a file specification of the collection (it has: {known})"
            raise ValidationError(400, message, errors={"spec": [message]})
        others = [name for name in required if name != spec]
        if needed and others:
            message = (f"a plain path fills only {spec!r}, and the collection also requires "
                       f"{', '.join(map(repr, others))}: pass items {{'files': {{spec: path, ...}}}}")
            raise ValidationError(400, message, errors={"spec": [message]})
        return spec
    if not needed:
        return None
    candidates = required or list(specs)
    if len(candidates) == 1:
        return candidates[0]
    which = "required file specifications" if required else "file specifications"
    message = (f"plain paths need spec=...: the collection has {len(candidates)} {which} ({known}); "
               "pass spec='name', or items {'files': {spec: path}}")
    raise ValidationError(400, message, errors={"spec": [message]})


def folder_files(folder: StrPath, pattern: str = "*", *, recursive: bool = True) -> list[str]:
    """The files under ``folder`` matching ``pattern``, sorted, hidden ones skipped.

    A file is hidden when its name or a folder between it and ``folder`` starts with a dot.

    Args:
        folder: the folder to look in.
        pattern: a glob pattern (``*.png``; with ``recursive`` it matches at every depth).
        recursive: look in subfolders too.

    Returns:
        The paths as ``str``, in sorted order.

    Raises:
        TypeError: ``folder`` is not a path, or ``pattern`` not a str.
        FileNotFoundError: ``folder`` does not exist.
        NotADirectoryError: ``folder`` is a file.
        ValueError: ``pattern`` is empty or absolute.
    """
    if not isinstance(folder, (str, os.PathLike)):
        raise TypeError(
            f"upload_folder takes a folder's path (str or os.PathLike), got {type(folder).__name__}"
        )
    if not isinstance(pattern, str):
        raise TypeError(f"pattern must be a str such as '*.png', got {type(pattern).__name__}")
    if not pattern or Path(pattern).is_absolute():
        raise ValueError(f"pattern must be a relative glob pattern such as '*.png', got {pattern!r}")
    root = Path(folder)
    if not root.exists():
        raise FileNotFoundError(errno.ENOENT, "no such folder to upload", str(root))
    if not root.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "not a folder (upload_many([path]) uploads a single file)", str(root)
        )
    found = root.rglob(pattern) if recursive else root.glob(pattern)
    files = sorted(
        p for p in found
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
    )
    return [os.fspath(p) for p in files]
