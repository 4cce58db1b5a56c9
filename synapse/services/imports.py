"""Imports: annotations from a dataset (predictions in COCO, YOLO, VOC, DM) into a project's tasks.

``project.import_annotations(...)`` calls :func:`import_annotations`. Steps:

1. Index the project's tasks (one walk of ``sdk/tasks/`` with ``expand=data_unit``): each unit's
   image file names (the name in its URL, and the names an export gives it: ``unit_<id>.png``,
   ``unit_<id>_<spec>.png``), their checksums, and the task ids. The index holds a few strings per
   task, not the annotations.
2. Read the dataset with :func:`synapse.formats.read` and match each item to one task by
   ``file_name``, ``checksum`` (of the item's image file, MD5/SHA-1/SHA-256 as the server gives it)
   or ``task_id`` (the item's task id, else its stem as a number). A row matching no task, or
   several, is reported as unmatched: never guessed.
3. Per task: read its current annotation (``GET tasks/{id}/``), build the new document
   (``merge``: add the objects whose id the media item does not have yet; ``replace``: the
   media item holds exactly the imported objects), and when it differs, write it with
   ``PUT tasks/{id}/annotate_task_data/`` (an idempotent request: the transport's retry plan
   applies). Objects without an id get one derived from their content, so importing the same file
   twice leaves the same annotations. ``dry_run`` reads but never writes.

A failure part way leaves the other tasks' writes done: the report lists ``written`` and ``failed``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from attrs import evolve, field, frozen

from synapse import formats
from synapse.annotations import Annotation, Document
from synapse.services.export import image_files
from synapse.services.progress import as_reporter

if TYPE_CHECKING:
    from synapse.transport import Transport

__all__ = ["MATCHES", "MODES", "ImportReport", "import_annotations"]

MATCHES = ("file_name", "checksum", "task_id")
"""How an item finds its task."""

MODES = ("merge", "replace")
"""``merge`` adds objects by id; ``replace`` makes the media item hold exactly the imported objects."""

Match = Literal["file_name", "checksum", "task_id"]
Mode = Literal["merge", "replace"]
_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256"}


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


@frozen
class ImportReport:
    """What an import matched, changed and wrote.

    Attributes:
        matched: ``(item name, task id, media id)`` for every item that found its task.
        unmatched: A line per item that found no task (or several), naming the item and why.
        changed: The tasks whose annotations differ from the import (written unless ``dry_run``).
        unchanged: The matched tasks that already hold what the import brings.
        written: The tasks actually written.
        failed: Task id -> the error of a write that failed (the others went on).
        dry_run: Whether nothing was written on purpose.
    """

    matched: tuple[tuple[str, Any, str], ...] = field(converter=_tuple)
    unmatched: tuple[str, ...] = field(converter=_tuple)
    changed: tuple[Any, ...] = field(converter=_tuple)
    unchanged: tuple[Any, ...] = field(converter=_tuple)
    written: tuple[Any, ...] = field(converter=_tuple)
    failed: dict[Any, str] = field(factory=dict)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when every item matched and no write failed."""
        return not self.unmatched and not self.failed

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-able values."""
        return {
            "ok": self.ok, "dry_run": self.dry_run,
            "matched": [{"item": n, "task": t, "media_id": m} for n, t, m in self.matched],
            "unmatched": list(self.unmatched), "changed": list(self.changed),
            "unchanged": list(self.unchanged), "written": list(self.written),
            "failed": {str(k): v for k, v in self.failed.items()},
        }


class _Index:
    """Lookups from file names, checksums and task ids to ``(task id, spec)`` pairs."""

    def __init__(self) -> None:
        self.names: dict[str, set[tuple[Any, str]]] = {}
        self.checksums: dict[str, set[tuple[Any, str]]] = {}
        self.primary: dict[Any, str] = {}

    def add(self, task: Any, unit: Any, files: Any) -> None:
        images = image_files(files)
        self.primary[task] = images[0]["spec"] if images else "image_1"
        for image in images:
            spec = image["spec"]
            ext = os.path.splitext(image["name"])[1].lower()
            names = {image["name"], f"unit_{unit}{ext}", f"unit_{unit}_{spec}{ext}"}
            for name in names:
                self.names.setdefault(name.casefold(), set()).add((task, spec))
            if image["checksum"]:
                self.checksums.setdefault(image["checksum"].lower(), set()).add((task, spec))

    def find(self, item: formats.Item, match: Match) -> tuple[Any, str] | str:
        """``(task, spec)`` or the reason there is none."""
        if match == "task_id":
            task = item.task_id
            if task is None and item.stem.isdigit():
                task = int(item.stem)
            if task is None or task not in self.primary:
                return f"no task {task}" if task is not None else "no task id"
            return (task, self.primary[task])
        if match == "checksum":
            if item.image is None or not item.image.is_file():
                return "no image file to take the checksum of"
            found: set[tuple[Any, str]] = set()
            content = item.image.read_bytes()
            for algorithm in _ALGORITHMS.values():
                found |= self.checksums.get(hashlib.new(algorithm, content).hexdigest(), set())
            return _one(found, "checksum")
        return _one(self.names.get(item.name.casefold(), set()), "file name")


def _one(found: set[tuple[Any, str]], what: str) -> tuple[Any, str] | str:
    if not found:
        return f"no task has this {what}"
    if len({task for task, _ in found}) > 1:
        tasks = sorted({str(task) for task, _ in found})
        return f"several tasks have this {what}: {', '.join(tasks)}"
    return sorted(found, key=str)[0]


def _with_ids(media_id: str, objects: Iterable[Annotation]) -> list[Annotation]:
    """Objects without an id get one derived from their content (stable across runs)."""
    out = []
    for obj in objects:
        if obj.id is None:
            digest = hashlib.sha1(f"{media_id}|{obj!r}".encode()).hexdigest()[:10]
            obj = evolve(obj, id=f"im{digest}")
        out.append(obj)
    return out


def merged(current: Document, incoming: Mapping[str, list[Annotation]], mode: Mode,
           sizes: Mapping[str, tuple[int, int]]) -> Document:
    """The document a task gets: ``current`` with the ``incoming`` objects merged or replacing.

    Args:
        current: The task's annotations now.
        incoming: Media id -> the imported objects.
        mode: ``merge`` (append objects whose id is new) or ``replace``.
        sizes: Media id -> ``(width, height)`` to record in ``extra`` when the task has none.
    """
    doc = current
    for media_id, objects in incoming.items():
        objects = _with_ids(media_id, objects)
        if mode == "replace":
            doc = doc.with_objects(media_id, objects)
        else:
            have = {o.id for o in doc.objects(media_id)}
            fresh = []
            for obj in objects:
                if obj.id not in have:
                    have.add(obj.id)
                    fresh.append(obj)
            if fresh or media_id not in doc.media:
                doc = doc.add(media_id, *fresh)
        if media_id in sizes and doc.size(media_id) is None:
            doc = doc.with_size(media_id, *sizes[media_id])
    return doc


def import_annotations(
    transport: Transport,
    tasks: Any,
    path: str | os.PathLike[str],
    *,
    format: str = "coco",
    match: Match = "file_name",
    mode: Mode = "merge",
    dry_run: bool = False,
    workers: int = 4,
    progress: Any = None,
) -> ImportReport:
    """Import the annotations of the dataset at ``path`` into the tasks of ``tasks``.

    Args:
        transport: What reads and writes the tasks (``client.transport``).
        tasks: A QuerySet of the project's tasks (walked once with ``expand("data_unit")``).
        path: The dataset folder (or a COCO JSON file).
        format: ``coco``, ``yolo``, ``voc`` or ``dm``.
        match: ``file_name``, ``checksum`` or ``task_id``.
        mode: ``merge`` or ``replace``.
        dry_run: Report what would change; write nothing.
        workers: Tasks read and written in parallel.
        progress: A ``progress=`` argument, counted in tasks.

    Raises:
        ValueError: An unknown ``match`` or ``mode`` (before any request).
    """
    if match not in MATCHES:
        raise ValueError(f"match must be one of {', '.join(MATCHES)}, got {match!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    index = _Index()
    for task in tasks.expand("data_unit").iterator():
        unit = task.data_unit
        index.add(task.id, task.data_unit_id, unit.files if unit is not None else None)
    matched: list[tuple[str, Any, str]] = []
    unmatched: list[str] = []
    incoming: dict[Any, dict[str, list[Annotation]]] = {}
    sizes: dict[Any, dict[str, tuple[int, int]]] = {}
    for item in formats.read(format, Path(path)):
        found = index.find(item, match)
        if isinstance(found, str):
            unmatched.append(f"{item.name}: {found}")
            continue
        task_id, spec = found
        matched.append((item.name, task_id, spec))
        incoming.setdefault(task_id, {}).setdefault(spec, []).extend(item.objects)
        size = item.size()
        if size is not None:
            sizes.setdefault(task_id, {})[spec] = size
    changed: list[Any] = []
    unchanged: list[Any] = []
    written: list[Any] = []
    failed: dict[Any, str] = {}
    lock = threading.Lock()
    reporter = as_reporter(progress)
    done = [0]

    def one(task_id: Any) -> None:
        try:
            raw = transport.request("GET", f"tasks/{task_id}/")
            data = raw.get("data") if isinstance(raw, dict) else None
            current = Document.from_dm(data) if data else Document()
            new = merged(current, incoming[task_id], mode, sizes.get(task_id, {}))
            same = new.to_dm(version=1) == current.to_dm(version=1)
            with lock:
                (unchanged if same else changed).append(task_id)
            if not same and not dry_run:
                transport.request("PUT", f"tasks/{task_id}/annotate_task_data/", json=new.to_dm(version=1))
                with lock:
                    written.append(task_id)
        except Exception as exc:  # reported per task; the others go on
            with lock:
                failed[task_id] = f"{type(exc).__name__}: {exc}"
        finally:
            with lock:
                done[0] += 1
                reporter.update(done[0], len(incoming))

    reporter.start(len(incoming), desc="import", unit="task")
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            list(pool.map(one, sorted(incoming, key=str)))
    finally:
        reporter.finish()
    return ImportReport(matched, unmatched, sorted(changed, key=str), sorted(unchanged, key=str),
                        sorted(written, key=str), dict(sorted(failed.items(), key=lambda kv: str(kv[0]))),
                        dry_run)
