"""Exports: walk tasks (or a ground-truth version's events), fetch their media in parallel, write a format.

``qs.export(...)`` and ``version.export(...)`` call :func:`export`. What it does, in order:

1. Walk the source page by page (tasks with ``expand=data_unit``, so each row carries its unit's
   files). Each page of tasks is staged as one row of ``<dest>/.synapse/items.sqlite`` (each task's
   DM document, image files and split, encoded once for the page; a stopped run loses at most the
   page it was on, which the rerun fetches again) and each image file of its unit is queued for download:
   every image of a multi-file unit, one :class:`synapse.formats.Item` each. (One small file per
   task, as earlier versions staged in ``.synapse/items/``, cost more than fetching the task; such
   files are still read when a ``since=`` run merges with a staging made by them.)
2. Media download on a thread pool of ``workers`` (or any ``concurrent.futures.Executor``) into
   ``<dest>/.synapse/media/<checksum><ext>``; a file already there is skipped (a name in that
   folder is always a complete, checksum-verified file: see :mod:`synapse.services.filecache`).
   At most a few pages' worth of downloads are in flight, so memory stays flat.
3. The staged items are handed to the format writer in task id order (deterministic output).
   For a format whose output does not depend on the key order of ``data`` (COCO), without media
   and without a ``since=`` merge, each task goes to the writer in the walk's pass instead (the
   document just decoded, no read back) as long as the rows come in task id order; the first row
   out of order drops that writer's work and the staged items are written after the walk.
   A task whose ``data`` is not a DM document is written without annotations and reported in
   the audit (reason ``unreadable_data``, outcome ``skipped``), beside the writer's own entries.
4. ``<dest>/.synapse/manifest.json`` records the arguments, the task ids written and the watermark.

Resuming: a run stopped half way (a failed download, Ctrl-C) and run again with the same arguments
downloads only the missing media and writes files byte-identical to an uninterrupted run. A
destination whose manifest records other arguments is refused (use another folder).

Watermark: the **highest task id** seen (for a ground-truth version: the highest event ``pgh_id``).
Ids grow with creation, so ``since=report.watermark`` exports the tasks **created** after the
previous export and merges them with the tasks staged before (the output is rewritten from the
staged items, all in id order). Limits, honestly: the API gives tasks no modification time, so an
edit to an already exported task is not picked up by ``since=`` (run without ``since=`` for that;
the staging makes it cheap: media already there are not downloaded again), and a task deleted on
the server stays in the merged output. A ground-truth version is walked whole (its events are
few and it is immutable); its latest event per ground truth wins.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import field, frozen

from synapse import formats
from synapse.annotations import Document, FormatError
from synapse.formats import AuditEntry, WrittenFile
from synapse.services import filecache, unit_files
from synapse.services.progress import as_reporter

if TYPE_CHECKING:
    from synapse.formats.writing import BaseWriter
    from synapse.transport import Transport

__all__ = ["MANIFEST", "STAGING", "ExportReport", "export", "image_files"]

STAGING = ".synapse"
"""The folder inside the destination that holds the manifest, the staged items and the media."""

MANIFEST = f"{STAGING}/manifest.json"
"""The manifest's path relative to the destination."""

_CATEGORY_SPLITS = {"train": "train", "validation": "val", "val": "val", "test": "test"}

_KEY_ORDER_FREE = frozenset({"coco"})
"""Formats whose output does not depend on the key order of a task's ``data`` (every JSON they write
is key-sorted), so a row as decoded from its page and the same row read back from the (key-sorted)
staging give the same bytes: these are written in the walk's pass when it comes in task order."""

_STAGE_ENCODERS = {
    sort: json.JSONEncoder(sort_keys=sort, separators=(",", ":"), default=str, check_circular=False)
    for sort in (False, True)
}
"""The staging's encoders, keys sorted or not (built once; decoded JSON has no cycles to check)."""

T = TypeVar("T")


def _written(value: Iterable[WrittenFile]) -> tuple[WrittenFile, ...]:
    return tuple(value)


def _entries(value: Iterable[AuditEntry]) -> tuple[AuditEntry, ...]:
    return tuple(value)


@frozen
class ExportReport:
    """What an export wrote.

    Attributes:
        written: Every file the writer wrote (each mapped to its task, unit and media id; files
            shared by many items, such as a COCO JSON, have no task).
        audit: Every annotation the format could not hold as it was (``lossy`` or ``skipped``).
        watermark: The highest task id exported (for a ground-truth version: the highest event
            ``pgh_id``); pass it as ``since=`` to export only what was created after.
        tasks: The task ids (ground-truth ids for a version) in the output, in order.
        new_tasks: The task ids this run fetched from the server (all of them without ``since=``).
        downloaded: How many media files this run downloaded (the others were already staged).
    """

    written: tuple[WrittenFile, ...] = field(converter=_written)
    audit: tuple[AuditEntry, ...] = field(converter=_entries)
    watermark: int | None
    tasks: tuple[Any, ...] = field(converter=tuple, default=())
    new_tasks: tuple[Any, ...] = field(converter=tuple, default=())
    downloaded: int = 0

    def reasons(self) -> dict[str, int]:
        """Audit reason code -> number of entries."""
        counts: dict[str, int] = {}
        for entry in self.audit:
            counts[entry.reason] = counts.get(entry.reason, 0) + 1
        return dict(sorted(counts.items()))


def image_files(files: Any) -> list[dict[str, Any]]:
    """A unit's image files as ``[{"spec", "url", "checksum", "name"}]``: the primary first, then by spec.

    Args:
        files: A unit's ``files`` mapping (spec -> entry) or the list ``sdk/tasks/files/`` answers.
    """
    from urllib.parse import unquote, urlsplit

    out = []
    for spec, entry in unit_files.images(files):
        url = str(entry["url"])
        checksum = entry.get("checksum")
        name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
        out.append({"spec": spec, "url": url, "checksum": checksum if isinstance(checksum, str) else None,
                    "name": name})
    return out


def _dump(path: Path, value: Any) -> None:
    """Write JSON atomically (a temporary file renamed over the target)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as f:  # dumps: the C encoder, dump is not
            f.write(json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class _Staged:
    """The staged records of an export in ``items.sqlite``: one row per page of tasks (or ground truths).

    Each committed page is one row of ``pages``: its records encoded once, as one JSON list, and
    their keys. :meth:`get` finds a task's record through an index of the keys built on first use
    (a later page wins over an earlier one), then in the one-row-per-task ``items`` table and the
    one-file-per-task folder earlier versions staged.
    """

    def __init__(self, staging: Path, *, sort_keys: bool = True, fresh: bool = False) -> None:
        # Keys sorted unless the format's output does not depend on their order (the staging is
        # only ever read back by the format of the manifest's arguments).
        self.encode = _STAGE_ENCODERS[sort_keys].encode
        self.legacy = staging / "items"  # one JSON file per task, as earlier versions staged
        self.db = sqlite3.connect(staging / "items.sqlite", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, record TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS pages (page INTEGER PRIMARY KEY, keys TEXT NOT NULL, "
                        "records TEXT NOT NULL)")
        if fresh:  # a run without since= reads back only what it stages itself
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM items")
                self.db.execute("DELETE FROM pages")
        self.pending: list[Mapping[str, Any]] = []
        self.index: dict[str, tuple[int, int]] | None = None
        self.cached: tuple[int, list[dict[str, Any]]] | None = None

    def add(self, record: Mapping[str, Any]) -> None:
        """Stage ``record`` (written at the next :meth:`commit`)."""
        self.pending.append(record)

    def commit(self) -> None:
        """Write the records added since the last commit, all or none."""
        if self.pending:
            keys = json.dumps([record["task"] for record in self.pending])
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("INSERT INTO pages (keys, records) VALUES (?, ?)",
                                (keys, self.encode(self.pending)))
            self.pending = []
            self.index = None

    def get(self, task: Any) -> dict[str, Any]:
        """The staged record of ``task``."""
        key = json.dumps(task)
        if self.index is None:
            self.index = {}
            for page, keys in self.db.execute("SELECT page, keys FROM pages ORDER BY page"):
                for slot, staged in enumerate(json.loads(keys)):
                    self.index[json.dumps(staged)] = (page, slot)
        found = self.index.get(key)
        if found is not None:
            page, slot = found
            if self.cached is None or self.cached[0] != page:
                row = self.db.execute("SELECT records FROM pages WHERE page = ?", (page,)).fetchone()
                self.cached = (page, json.loads(row[0]))
            return self.cached[1][slot]
        row = self.db.execute("SELECT record FROM items WHERE key = ?", (key,)).fetchone()
        text = row[0] if row is not None else (self.legacy / f"{task}.json").read_text(encoding="utf-8")
        value: dict[str, Any] = json.loads(text)
        return value

    def close(self) -> None:
        self.db.close()


def _split_of(key: Any, splits: Mapping[str, float] | None, category: Any) -> str | None:
    if splits is not None:
        return formats.split_of(str(key), splits)
    if isinstance(category, str):
        return _CATEGORY_SPLITS.get(category, category)
    return None


def _rows(source: Any, since: int | None) -> Iterator[dict[str, Any]]:
    """The source's rows as staged records, one per task (or ground truth), with their files."""
    if hasattr(source, "events"):  # a ground-truth version: the latest event per ground truth
        latest: dict[Any, Any] = {}
        for event in source.events.all().iterator():
            if since is not None and event.pgh_id <= since:
                continue
            key = event.id if event.id is not None else f"event-{event.pgh_id}"
            if key not in latest or latest[key].pgh_id < event.pgh_id:
                latest[key] = event
        for key in sorted(latest, key=lambda k: (isinstance(k, str), k)):
            event = latest[key]
            yield {"task": key, "unit": event.data_unit_id, "data": event.data, "files": event.files,
                   "category": event.category, "mark": event.pgh_id}
        return
    rows = source.filter(id__gt=since) if since is not None else source
    # The server's rows as decoded (no Task objects: the export only stages them).
    for row in rows.expand("data_unit").raw_rows():
        unit = row.get("data_unit")
        if isinstance(unit, dict):
            unit_id, files = unit.get("id"), unit.get("files")
        else:  # not expanded (a server that ignores ``expand``): the id only
            unit_id, files = unit, None
        task_id = row["id"]
        yield {"task": task_id, "unit": unit_id, "data": row.get("data"), "files": files, "category": None,
               "mark": task_id}


def _prefetched(rows: Iterator[T], chunk: int = 100) -> Generator[T, None, None]:
    """``rows`` read on a background thread, ``chunk`` rows (a page) ahead of the caller.

    While the caller stages one chunk, the thread waits for the next page's answer. Memory is
    bounded: one chunk with the caller, at most one waiting, one being filled. An error of the
    walk is raised in the caller after the rows read before it; when the caller stops early, the
    thread stops after the request it is in (joined here, so no request outlives the export).
    """
    handoff: queue.Queue[tuple[list[T], BaseException | None, bool]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[list[T], BaseException | None, bool]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batch: list[T] = []
        try:
            for row in rows:
                batch.append(row)
                if len(batch) >= chunk:
                    if not put((batch, None, False)):
                        return
                    batch = []
            put((batch, None, True))
        except BaseException as exc:  # handed to the caller, raised there
            put((batch, exc, True))
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="synapse-export-walk", daemon=True)
    thread.start()
    try:
        while True:
            batch, error, last = handoff.get()
            yield from batch
            if error is not None:
                raise error
            if last:
                return
    finally:
        stop.set()
        thread.join()


def _items(
    record: Mapping[str, Any], media_dir: Path, media: bool, audit: list[AuditEntry]
) -> list[formats.Item]:
    """The writer items of one staged record: one per image file of its unit.

    A task whose ``data`` is not a DM document is written without annotations and reported
    (``unreadable_data``, skipped) in ``audit``.
    """
    try:
        document = Document.from_dm(record.get("data") or None, copy=False)  # just decoded: ours
    except FormatError as exc:
        document = Document()
        audit.append(AuditEntry(record["task"], None, "skipped", "unreadable_data", str(exc),
                                unit=record.get("unit")))
    images = record.get("images") or []
    unit = record.get("unit")
    stem = f"unit_{unit}" if unit is not None else f"task_{record['task']}"
    if not images:
        return [formats.Item(stem=stem, document=document, media_id=m, task_id=record["task"], unit_id=unit,
                             split=record.get("split")) for m in (document.media_ids or ("image_1",))]
    media_ids = [str(image["spec"]) for image in images]
    if len(images) == 1 and len(document.media) == 1 and media_ids[0] not in document.media:
        media_ids = [document.media_ids[0]]  # one image, annotated under another media id
    for media_id in media_ids:
        if media_id not in document.media:
            document = document.with_objects(media_id, ())
    items = []
    for media_id, image in zip(media_ids, images, strict=True):
        ext = os.path.splitext(str(image["name"]))[1].lower()
        path = media_dir / filecache.cache_name(image.get("checksum"), str(image["url"])) if media else None
        name = f"{stem}{ext}" if len(images) == 1 else f"{stem}_{media_id}{ext}"
        items.append(formats.Item(
            stem=stem, document=document, media_id=media_id, image=path, file_name=name,
            task_id=record["task"], unit_id=unit, split=record.get("split"),
        ))
    return items


def _arguments(
    format: str, media: bool, splits: Any, labels: Any, key: Any, options: Mapping[str, Any]
) -> Any:
    return json.loads(json.dumps({
        "format": format.lower(), "media": media, "splits": dict(splits) if splits is not None else None,
        "labels": list(labels) if labels is not None else None, "source": key,
        "options": dict(options),
    }, sort_keys=True, default=str))


def export(
    source: Any,
    format: str,
    dest: str | os.PathLike[str],
    *,
    transport: Transport,
    media: bool = True,
    splits: Mapping[str, float] | None = None,
    labels: Sequence[str] | None = None,
    schema: Any = None,
    workers: int = 8,
    executor: Executor | None = None,
    progress: Any = None,
    since: int | None = None,
    key: Any = None,
    **options: Any,
) -> ExportReport:
    """Export ``source`` (a task QuerySet or a ground-truth version) to ``dest`` in ``format``.

    Args:
        source: A QuerySet of tasks (walked page by page with ``expand("data_unit")``) or a
            ground-truth version (its events; the split is the event's category unless ``splits``).
        format: ``coco``, ``yolo``, ``voc``, ``dm`` or ``imagefolder``.
        dest: The destination folder; ``.synapse/`` inside it holds the manifest and the staging.
        transport: What fetches the media (``client.transport``; other origins get no credentials).
        media: Download and write the media files (False: annotations only).
        splits: Split name -> weight; each task's split is a stable hash of its id.
        labels: An explicit class order (others are skipped and reported).
        schema: The project's label schema (or ``configuration``), for the class order.
        workers: Threads of the default download pool.
        executor: Any ``concurrent.futures.Executor`` to download on instead (not shut down here).
        progress: A ``progress=`` argument, counted in media files.
        since: A previous report's ``watermark``: fetch only tasks after it, merge with the staged ones.
        key: What identifies the source in the manifest (the QuerySet's query), for the resume check.
        **options: Options of the format's writer (``task=`` for YOLO ...).

    Returns:
        The files written, the audit and the new watermark.

    Raises:
        ValueError: ``dest`` holds an export made with other arguments, or ``since`` without one.
        ClientError, TransportError: a request or a media download failed (rerun to resume).
    """
    root = Path(dest)
    staging = root / STAGING
    media_dir = staging / "media"
    manifest_path = root / MANIFEST
    arguments = _arguments(format, media, splits, labels, key, options)
    previous: dict[str, Any] = {}
    if manifest_path.is_file():
        previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        if previous.get("arguments") != arguments:
            raise ValueError(f"{root} holds an export made with other arguments; export into another folder")
    staging.mkdir(parents=True, exist_ok=True)
    if not manifest_path.is_file():  # the arguments first, so a resumed run is checked against them
        _dump(manifest_path, {"arguments": arguments, "complete": False, "tasks": [], "watermark": None})
    kept: list[Any] = list(previous.get("tasks") or []) if since is not None else []
    reporter = as_reporter(progress)
    own = executor is None
    pool: Executor = executor if executor is not None else ThreadPoolExecutor(max_workers=max(1, workers))
    in_flight: set[Future[tuple[Path, bool]]] = set()
    limit = max(1, workers) * 8
    counts = {"done": 0, "downloaded": 0, "queued": 0}
    new: list[Any] = []
    watermark = previous.get("watermark") if since is not None else None

    def drain(until: int) -> None:
        while len(in_flight) > until:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                in_flight.discard(future)
                _, fetched = future.result()  # a failed download raises here
                counts["done"] += 1
                counts["downloaded"] += int(fetched)
                reporter.update(counts["done"], None)

    fetch: Callable[..., tuple[Path, bool]] = filecache.fetch
    order_free = format.lower() in _KEY_ORDER_FREE
    staged = _Staged(staging, sort_keys=not order_free, fresh=since is None)
    unreadable: list[AuditEntry] = []
    # Written in this pass (no re-read of the staging) while the rows come in task order; the first
    # row out of order drops what was written and the staged items are written after the walk.
    out: BaseWriter | None = None
    if not media and not kept and order_free:
        out = formats.writer(format, root, labels=labels, schema=schema, media=media, **options)
    last: tuple[bool, Any] | None = None
    walk = _prefetched(_rows(source, since))  # nothing runs before the first row is asked for
    reporter.start(None, desc="export", unit="file")
    try:
        for row in walk:
            images = image_files(row["files"])
            record = {"task": row["task"], "unit": row["unit"], "data": row["data"], "images": images,
                      "split": _split_of(row["task"], splits, row["category"])}
            staged.add(record)
            if len(staged.pending) >= 100:
                staged.commit()
            new.append(row["task"])
            mark = row["mark"]
            if isinstance(mark, int) and (watermark is None or mark > watermark):
                watermark = mark
            if out is not None:
                order = (isinstance(row["task"], str), row["task"])
                if last is None or order > last:
                    last = order
                    for item in _items(record, media_dir, media, unreadable):
                        out.add(item)
                else:
                    out.abort()
                    out = None
                    unreadable.clear()
            if media:
                for image in images:
                    drain(limit)
                    in_flight.add(pool.submit(fetch, transport, image["url"], media_dir,
                                              checksum=image["checksum"]))
        staged.commit()
        drain(0)
    except BaseException:
        walk.close()  # stops the walk's thread now, not when the generator is collected
        staged.close()
        if out is not None:
            out.abort()
        for future in in_flight:
            future.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        reporter.finish()
    tasks = sorted(set(kept) | set(new), key=lambda t: (isinstance(t, str), t))
    try:
        if out is None:
            out = formats.writer(format, root, labels=labels, schema=schema, media=media, **options)
            with out:
                for task in tasks:
                    for item in _items(staged.get(task), media_dir, media, unreadable):
                        out.add(item)
        written = out.close()
    finally:
        staged.close()
    _dump(manifest_path, {"arguments": arguments, "complete": True, "tasks": tasks, "watermark": watermark})
    return ExportReport(written.written, (*unreadable, *written.audit), watermark, tasks, new,
                        counts["downloaded"])
