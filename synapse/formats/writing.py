"""The writers' shared plumbing: destination, file names that never clash, the audit, part files.

Every format's writer is a :class:`BaseWriter`: ``add()`` once per media item, ``close()`` once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from json import encoder as _json_encoder
from pathlib import Path
from types import TracebackType
from typing import Any

import synapse.annotations as ann
from synapse.formats.base import (
    POSE_CLASS,
    AuditEntry,
    Item,
    LabelsArg,
    Outcome,
    SchemaArg,
    WriteReport,
    WrittenFile,
)


def json_encoder(
    *, sort_keys: bool = True, default: Callable[[Any], Any] | None = None
) -> Callable[[Any], str]:
    """A function giving ``json.dumps(value, sort_keys=sort_keys, ensure_ascii=False, default=default)``.

    Built once, for writers that encode many small records: the C encoder is made once instead
    of at every call (where Python has it; elsewhere, a reused ``JSONEncoder``). No check for
    circular references (records are built by the writer, never circular).
    """
    make = getattr(_json_encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython has it
        return json.JSONEncoder(sort_keys=sort_keys, ensure_ascii=False, default=default,
                                check_circular=False).encode
    quote = _json_encoder.encode_basestring
    chunks = make(None, default, quote, None, ": ", ", ", sort_keys, False, True)

    def encode(value: Any) -> str:
        if type(value) is str:
            return quote(value)
        return "".join(chunks(value, 0))

    return encode


def label_map(labels: LabelsArg) -> ann.LabelMap | None:
    """An explicit label order as a :class:`LabelMap` (None stays None)."""
    if labels is None or isinstance(labels, ann.LabelMap):
        return labels
    return ann.LabelMap(list(labels))


def label_schema(schema: SchemaArg) -> ann.LabelSchema | None:
    """A :class:`LabelSchema` from a schema or a project ``configuration`` (None stays None)."""
    if schema is None or isinstance(schema, ann.LabelSchema):
        return schema
    return ann.LabelSchema.from_configuration(schema)


def checksum(path: Path) -> str:
    """The SHA-1 hex digest of a file."""
    digest = hashlib.sha1()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FileNames:
    """Hands out file names that never collide (case-insensitively) within one folder.

    A clash is resolved by prefixing the unit id, else the image's checksum, else a counter, so
    that the first item keeps its own name and the same input always gives the same names.
    """

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}  # folder -> the names taken, case-folded
        self._counters: dict[tuple[str, str], int] = {}  # (folder, name case-folded) -> next number

    def claim(self, folder: str, name: str, item: Item) -> str:
        """A name for ``item`` in ``folder``: ``name`` itself when free, else a prefixed one."""
        taken = self._taken.get(folder)
        if taken is None:
            taken = self._taken[folder] = set()
        folded = name.casefold()
        if folded not in taken:  # the common case: the name is free
            taken.add(folded)
            return name
        for candidate in self._prefixed(name, item):
            key = candidate.casefold()
            if key not in taken:
                taken.add(key)
                return candidate
        # A counter. Names are only ever taken, so every number below the one after the last
        # handed out for this name is taken still: start there (a unit exported by many tasks
        # costs one check a name, not one a earlier copy).
        family = (folder, folded)
        number = self._counters.get(family, 2)
        while f"{number}_{name}".casefold() in taken:
            number += 1
        self._counters[family] = number + 1
        candidate = f"{number}_{name}"
        taken.add(candidate.casefold())
        return candidate

    @staticmethod
    def _prefixed(name: str, item: Item) -> Iterator[str]:
        if item.unit_id is not None:
            yield f"{item.unit_id}_{name}"
        if item.image is not None and item.image.is_file():
            yield f"{checksum(item.image)[:10]}_{name}"


class BaseWriter:
    """The plumbing writers share: destination, names, audit, report, temporary parts, media copies."""

    format: str = ""

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        labels: LabelsArg = None,
        schema: SchemaArg = None,
        media: bool = True,
    ) -> None:
        self.dest = Path(dest)
        self.dest.mkdir(parents=True, exist_ok=True)
        self.labels = label_map(labels)
        self.schema = label_schema(schema)
        self.media = media
        self.names = FileNames()
        self._written: list[WrittenFile] = []
        self._audit: list[AuditEntry] = []
        self._parts: Path | None = None
        self._closed = False

    def add(self, item: Item) -> None:
        """Write one media item (each format's writer implements it)."""
        raise NotImplementedError

    # ------------------------------------------------------------ reporting

    def audit(
        self, item: Item, obj: ann.Annotation | None, outcome: Outcome, reason: str, detail: str
    ) -> None:
        """Record one lossy or skipped annotation of ``item`` (``obj`` None: the item as a whole)."""
        annotation_id = obj.id if obj else None
        entry = AuditEntry(item.task_id, annotation_id, outcome, reason, detail, item.media_id, item.unit_id)
        self._audit.append(entry)

    def unsupported(self, item: Item, obj: ann.Annotation) -> None:
        """Record ``obj`` as skipped because the format has no place for its tool."""
        self.audit(item, obj, "skipped", "unsupported_tool", f"{self.format} has no place for a {obj.tool}")

    def record(self, path: Path, item: Item | None = None) -> None:
        """Add a written file to the report (``item`` None: a file shared by many items)."""
        rel = path.relative_to(self.dest).as_posix()
        if item is None:
            self._written.append(WrittenFile(rel))
        else:
            self._written.append(WrittenFile(rel, item.task_id, item.unit_id, item.media_id))

    def report(self) -> WriteReport:
        """The report so far."""
        return WriteReport(self._written, self._audit)

    # ------------------------------------------------------------ files

    def parts(self) -> Path:
        """A temporary folder inside the destination for part files, removed by :meth:`close`."""
        if self._parts is None:
            self._parts = Path(tempfile.mkdtemp(prefix=".parts-", dir=self.dest))
        return self._parts

    def write_text(self, path: Path, text: str, item: Item | None = None) -> None:
        """Write a text file (UTF-8, Unix line ends) and record it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        self.record(path, item)

    def copy_media(self, item: Item, path: Path) -> bool:
        """Copy the item's image to ``path`` when media are asked for and there is one; True if copied."""
        if not self.media or item.image is None:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.image, path)
        self.record(path, item)
        return True

    def close(self) -> WriteReport:
        """Finish (:meth:`finish`), remove the part files and return the report."""
        if not self._closed:
            self._closed = True
            try:
                self.finish()
            finally:
                if self._parts is not None:
                    shutil.rmtree(self._parts, ignore_errors=True)
        return self.report()

    def finish(self) -> None:
        """Write what spans items (subclasses override)."""

    def abort(self) -> None:
        """Give up without finishing: remove the part files and the files written so far.

        The writer is closed afterwards (:meth:`close` writes nothing more); a new writer can
        write the same destination again from the start.
        """
        self._closed = True
        if self._parts is not None:
            shutil.rmtree(self._parts, ignore_errors=True)
        for written in self._written:
            (self.dest / written.path).unlink(missing_ok=True)
        self._written.clear()
        self._audit.clear()

    def __enter__(self) -> BaseWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        elif self._parts is not None:
            shutil.rmtree(self._parts, ignore_errors=True)


def pose_label_map(
    labels: ann.LabelMap | None, schema: ann.LabelSchema | None, seen: set[str]
) -> ann.LabelMap:
    """The class order of a writer that writes keypoint groups as poses (COCO, YOLO; ANNOTATIONS.md §4).

    ``labels`` when given, else the schema's order over its non-keypoint tools, then the classes seen,
    sorted; the pose class of keypoint groups with nothing else last when it was used.
    """
    if labels is not None:
        codes = list(labels.names)
    else:
        tools = [t for t in schema.tool_names if t != "keypoint"] if schema else None
        codes = list(ann.LabelMap.build(schema, seen - {POSE_CLASS}, tools=tools).names)
    if POSE_CLASS in seen and POSE_CLASS not in codes:
        codes.append(POSE_CLASS)
    return ann.LabelMap(codes)


def keypoint_order(schema: ann.LabelSchema | None, names: set[str]) -> list[str]:
    """The keypoint names of a pose: the configuration's order, then the names seen, sorted."""
    configured = list(schema.codes(["keypoint"])) if schema else []
    return configured + sorted(names - set(configured))


def keypoint_groups(objects: Iterable[ann.Annotation]) -> dict[str | None, list[ann.Keypoint]]:
    """The keypoints of one media item by group id (None: the ungrouped ones, taken as one group)."""
    groups: dict[str | None, list[ann.Keypoint]] = {}
    for obj in objects:
        if isinstance(obj, ann.Keypoint):
            groups.setdefault(obj.group, []).append(obj)
    return groups
