"""Exports: walk tasks (or a ground-truth version's events), fetch their media in parallel, write a format.

``qs.export(...)`` and ``version.export(...)`` call :func:`export`. What it does, in order:

1. Walk the source page by page on a background thread, a page ahead (tasks with
   ``expand=data_unit``, so each row carries its unit's files). Each page is staged as one row of
   ``<dest>/.synapse/items.sqlite`` as the server sent it (its body bytes, not encoded again; a
   version's events, which come as objects, are encoded once per page), committed by a stager
   thread while the caller converts the page; a stopped run loses at most the pages not yet
   staged, which the rerun fetches again. Each image file of a unit is queued for download:
   every image of a multi-file unit, one :class:`synapse.formats.Item` each. (Earlier versions
   staged one record per task, in ``.synapse/items/`` or an ``items`` table, or a page of
   encoded records; those are still read when a ``since=`` run merges with a staging made by them.)
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
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

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

_CHUNK = 100
"""Records per staged page of a source that has no pages of its own (a version's events)."""

_STAGE_ENCODERS = {
    sort: json.JSONEncoder(sort_keys=sort, separators=(",", ":"), default=str, check_circular=False)
    for sort in (False, True)
}
"""The staging's encoders, keys sorted or not (built once; decoded JSON has no cycles to check)."""

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
    out = []
    for spec, entry in unit_files.images(files):
        url = str(entry["url"])
        checksum = entry.get("checksum")
        name = _file_name(url)
        out.append({"spec": spec, "url": url, "checksum": checksum if isinstance(checksum, str) else None,
                    "name": name})
    return out


def _file_name(url: str) -> str:
    """The last segment of a URL's path, percent-decoded."""
    if "://" in url and "%" not in url and "?" not in url and "#" not in url:  # the common case, quickly
        return url.partition("://")[2].partition("/")[2].rsplit("/", 1)[-1]
    return unquote(urlsplit(url).path).rsplit("/", 1)[-1]


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

    Each committed page is one row of ``pages``: the task ids it holds (``keys``) and either the
    page's body as the server sent it (``body``: nothing is encoded again; the records are built
    from its rows when read back) or its records encoded once as one JSON list (``records``: pages
    that came without a body, such as a version's events). :meth:`get` finds a task's record
    through an index of the keys built on first use (a later page wins over an earlier one), then
    in the one-row-per-task ``items`` table and the one-file-per-task folder earlier versions staged.

    Commits may come from the walk's thread and reads from the caller's, never at the same time.
    """

    def __init__(
        self,
        staging: Path,
        *,
        record: Callable[[Mapping[str, Any]], dict[str, Any]],
        sort_keys: bool = True,
        fresh: bool = False,
    ) -> None:
        # Keys sorted unless the format's output does not depend on their order (the staging is
        # only ever read back by the format of the manifest's arguments).
        self.encode = _STAGE_ENCODERS[sort_keys].encode
        self.record = record  # a row of a staged body -> its record
        self.legacy = staging / "items"  # one JSON file per task, as earlier versions staged
        self.db = sqlite3.connect(staging / "items.sqlite", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, record TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS pages (page INTEGER PRIMARY KEY, keys TEXT NOT NULL, "
                        "records TEXT NOT NULL, body BLOB)")
        if "body" not in {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}:
            self.db.execute("ALTER TABLE pages ADD COLUMN body BLOB")  # staged by an earlier version
        if fresh:  # a run without since= reads back only what it stages itself
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM items")
                self.db.execute("DELETE FROM pages")
        self.index: dict[str, int] | None = None
        self.cached: tuple[int, dict[str, dict[str, Any]]] | None = None

    def commit(self, records: Sequence[Mapping[str, Any]], body: bytes | None = None) -> None:
        """Stage a page's records, all or none: as ``body`` (the page as received) when given."""
        if not records:
            return
        keys = json.dumps([record["task"] for record in records])
        encoded = "" if body is not None else self.encode(records)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO pages (keys, records, body) VALUES (?, ?, ?)", (keys, encoded, body))
        self.index = None

    def get(self, task: Any) -> dict[str, Any]:
        """The staged record of ``task``."""
        key = json.dumps(task)
        if self.index is None:
            self.index = {}
            for page, keys in self.db.execute("SELECT page, keys FROM pages ORDER BY page"):
                for staged in json.loads(keys):
                    self.index[json.dumps(staged)] = page
        page = self.index.get(key)
        if page is not None:
            if self.cached is None or self.cached[0] != page:
                self.cached = (page, self._page(page))
            return self.cached[1][key]
        row = self.db.execute("SELECT record FROM items WHERE key = ?", (key,)).fetchone()
        text = row[0] if row is not None else (self.legacy / f"{task}.json").read_text(encoding="utf-8")
        value: dict[str, Any] = json.loads(text)
        return value

    def _page(self, page: int) -> dict[str, dict[str, Any]]:
        """The records of a staged page by key."""
        keys, encoded, body = self.db.execute("SELECT keys, records, body FROM pages WHERE page = ?",
                                              (page,)).fetchone()
        if body is None:
            records = json.loads(encoded)
            return {json.dumps(k): record for k, record in zip(json.loads(keys), records, strict=True)}
        decoded = json.loads(body)
        rows = decoded["results"] if isinstance(decoded, dict) else decoded
        wanted = {json.dumps(k) for k in json.loads(keys)}  # a slice may stage part of a page
        out = {}
        for row in rows:
            key = json.dumps(row["id"])
            if key in wanted:
                out[key] = self.record(row)
        return out

    def close(self) -> None:
        self.db.close()


def _in_order(keys: set[Any]) -> list[Any]:
    """Task ids (ints) in order, then ground-truth keys made of text; no key tuples when all are ints."""
    if all(type(key) is int for key in keys):
        return sorted(keys)
    return sorted(keys, key=lambda k: (isinstance(k, str), k))


def _split_of(key: Any, splits: Mapping[str, float] | None, category: Any) -> str | None:
    if splits is not None:
        return formats.split_of(str(key), splits)
    if isinstance(category, str):
        return _CATEGORY_SPLITS.get(category, category)
    return None


def _task_record(row: Mapping[str, Any], splits: Mapping[str, float] | None) -> dict[str, Any]:
    """The record of a task row as the server sends it with ``expand=data_unit``."""
    unit = row.get("data_unit")
    if isinstance(unit, dict):
        unit_id, files = unit.get("id"), unit.get("files")
    else:  # not expanded (a server that ignores ``expand``): the id only
        unit_id, files = unit, None
    task_id = row["id"]
    return {"task": task_id, "unit": unit_id, "data": row.get("data"), "images": image_files(files),
            "split": _split_of(task_id, splits, None), "mark": task_id}


_Page = tuple[list[dict[str, Any]], "bytes | None", bool]
"""A page of the walk: its rows, its body as the server sent it (None: encode the records), and
whether the rows are the server's task rows (True) or records already (a version's events)."""


def _pages(source: Any, since: int | None, splits: Mapping[str, float] | None) -> Iterator[_Page]:
    """The source's rows page by page: task rows as sent, or records (one per ground truth)."""
    if hasattr(source, "events"):  # a ground-truth version: the latest event per ground truth
        latest: dict[Any, Any] = {}
        for event in source.events.all().iterator():
            if since is not None and event.pgh_id <= since:
                continue
            key = event.id if event.id is not None else f"event-{event.pgh_id}"
            if key not in latest or latest[key].pgh_id < event.pgh_id:
                latest[key] = event
        records = []
        for key in sorted(latest, key=lambda k: (isinstance(k, str), k)):
            event = latest[key]
            records.append({"task": key, "unit": event.data_unit_id, "data": event.data,
                            "images": image_files(event.files),
                            "split": _split_of(key, splits, event.category), "mark": event.pgh_id})
            if len(records) == _CHUNK:
                yield records, None, False
                records = []
        yield records, None, False
        return
    rows = source.filter(id__gt=since) if since is not None else source
    # The server's pages as decoded and as sent (no Task objects: the export only stages them).
    for page in rows.expand("data_unit").raw_pages():
        yield page.results, page.content, True


def _prefetched(pages: Iterator[_Page]) -> Generator[_Page, None, None]:
    """``pages`` read on a background thread, a page ahead of the caller.

    While the caller works on one page, the thread waits for the next page's answer. Memory is
    bounded: one page with the caller, at most one waiting, one being read. An error of the walk
    is raised in the caller after the pages read before it; when the caller stops early, the
    thread stops after the request it is in (joined here, so no request outlives the export).
    """
    handoff: queue.Queue[tuple[_Page | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[_Page | None, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put((page, None)):
                    return
            put((None, None))
        except BaseException as exc:  # handed to the caller, raised there
            put((None, exc))
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="synapse-export-walk", daemon=True)
    thread.start()
    try:
        while True:
            page, error = handoff.get()
            if error is not None:
                raise error
            if page is None:
                return
            yield page
    finally:
        stop.set()
        thread.join()


class _Stager:
    """Stages pages on a thread of its own, in order, while the caller converts (SQLite lets it run).

    At most ``ahead`` pages wait to be staged (memory stays flat); an error of a commit is raised
    in the caller at the next :meth:`stage` or at :meth:`flush`.
    """

    def __init__(self, staged: _Staged, ahead: int = 2) -> None:
        self.staged, self.ahead = staged, ahead
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synapse-export-stage")
        self.pending: list[Future[None]] = []

    def stage(self, records: list[dict[str, Any]], body: bytes | None) -> None:
        """Queue a page's commit (waits while ``ahead`` are queued)."""
        while len(self.pending) >= self.ahead:
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(self.staged.commit, records, body))

    def flush(self) -> None:
        """Wait until every queued page is staged."""
        while self.pending:
            self.pending.pop(0).result()

    def close(self) -> None:
        """Stop: queued commits not started are dropped, the one running finishes."""
        self.pool.shutdown(wait=True, cancel_futures=True)


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
    staged = _Staged(staging, record=lambda row: _task_record(row, splits), sort_keys=not order_free,
                     fresh=since is None)
    unreadable: list[AuditEntry] = []
    # Written in this pass (no re-read of the staging) while the rows come in task order; the first
    # row out of order drops what was written and the staged items are written after the walk.
    out: BaseWriter | None = None
    if not media and not kept and order_free:
        out = formats.writer(format, root, labels=labels, schema=schema, media=media, **options)
    last: tuple[bool, Any] | None = None
    walk = _prefetched(_pages(source, since, splits))  # nothing runs before the first page is asked for
    stager = _Stager(staged)
    reporter.start(None, desc="export", unit="file")
    try:
        for rows, body, raw in walk:
            records = [_task_record(row, splits) for row in rows] if raw else rows
            stager.stage(records, body)  # on the stager's thread, while this one goes on
            for record in records:
                new.append(record["task"])
                mark = record["mark"]
                if isinstance(mark, int) and (watermark is None or mark > watermark):
                    watermark = mark
                if out is not None:
                    order = (isinstance(record["task"], str), record["task"])
                    if last is None or order > last:
                        last = order
                        for item in _items(record, media_dir, media, unreadable):
                            out.add(item)
                    else:
                        out.abort()
                        out = None
                        unreadable.clear()
                if media:
                    for image in record["images"]:
                        drain(limit)
                        in_flight.add(pool.submit(fetch, transport, image["url"], media_dir,
                                                  checksum=image["checksum"]))
        stager.flush()
        drain(0)
    except BaseException:
        walk.close()  # stops the walk's thread now, not when the generator is collected
        stager.close()
        staged.close()
        if out is not None:
            out.abort()
        for future in in_flight:
            future.cancel()
        raise
    finally:
        stager.close()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        reporter.finish()
    tasks = _in_order(set(kept) | set(new) if kept else set(new))
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
