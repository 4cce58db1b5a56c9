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

Parts: :mod:`synapse.services.export.walk` (the pages read ahead, each task's record) and
:mod:`synapse.services.export.staging` (``items.sqlite`` and the thread that commits to it).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from synapse import formats
from synapse.annotations import Document, FormatError
from synapse.formats import AuditEntry, WrittenFile
from synapse.services import filecache
from synapse.services.export.staging import Stager, Staging
from synapse.services.export.walk import image_files, in_order, order_key, pages, prefetched, task_record
from synapse.services.progress import as_reporter

if TYPE_CHECKING:
    from synapse.formats.writing import BaseWriter
    from synapse.transport import Transport

__all__ = ["MANIFEST", "PAGE_SIZE", "STAGING", "ExportReport", "export", "image_files"]

STAGING = ".synapse"
"""The folder inside the destination that holds the manifest, the staged items and the media."""

MANIFEST = f"{STAGING}/manifest.json"
"""The manifest's path relative to the destination."""

PAGE_SIZE = 500
"""Rows an export asks for per page unless told otherwise (the client's page size is for browsing).

Bulk reading takes larger pages: fewer round trips, and fewer times a page that the thread
reading pages must take the GIL back from the one converting them (measured: 10,000 tasks at
100, 500 and 1000 rows a page, 0.70-0.75, 0.81-0.82 and 0.85-0.87 of a plain loop over the
same pages). Memory: a few pages are held at a time; at most 1,000 (the API's cap)."""

_KEY_ORDER_FREE = frozenset({"coco"})
"""Formats whose output does not depend on the key order of a task's ``data`` (every JSON they write
is key-sorted), so a row as decoded from its page and the same row read back from the (key-sorted)
staging give the same bytes: these are written in the walk's pass when it comes in task order."""


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
    page_size: int | None = None,
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
        schema: The project's label schema (or ``configuration``), for the class order; or a
            function without arguments that gives it, called once after the arguments are
            checked (so a refused export sends nothing).
        workers: Threads of the default download pool.
        executor: Any ``concurrent.futures.Executor`` to download on instead (not shut down here).
        progress: A ``progress=`` argument, counted in media files.
        since: A previous report's ``watermark``: fetch only tasks after it, merge with the staged ones.
        key: What identifies the source in the manifest (the QuerySet's query), for the resume check.
        page_size: Rows per request of the walk (default :data:`PAGE_SIZE`; the output does not
            depend on it).
        **options: Options of the format's writer (``task=`` for YOLO ...).

    Returns:
        The files written, the audit and the new watermark.

    Raises:
        ValueError: ``dest`` holds an export made with other arguments, or ``since`` without one,
            or ``page_size`` is below 1 (before anything is written or sent).
        ClientError, TransportError: a request or a media download failed (rerun to resume).
    """
    if page_size is not None and page_size < 1:
        raise ValueError(f"page_size starts at 1, got {page_size}")
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
    if callable(schema):  # the arguments are checked: now it may be fetched
        schema = schema()
    staging.mkdir(parents=True, exist_ok=True)
    if not manifest_path.is_file():  # the arguments first, so a resumed run is checked against them
        _dump(manifest_path, {"arguments": arguments, "complete": False, "tasks": [], "watermark": None})
    kept: list[Any] = list(previous.get("tasks") or []) if since is not None else []
    reporter = as_reporter(progress)
    own = executor is None
    pool: Executor = executor if executor is not None else ThreadPoolExecutor(max_workers=max(1, workers))
    in_flight: set[Future[tuple[Path, bool]]] = set()
    limit = max(1, workers) * 8
    counts = {"done": 0, "downloaded": 0}
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
    staged = Staging(staging, record=lambda row: task_record(row, splits), sort_keys=not order_free,
                     fresh=since is None)
    unreadable: list[AuditEntry] = []
    # Written in this pass (no re-read of the staging) while the rows come in task order; the first
    # row out of order drops what was written and the staged items are written after the walk.
    out: BaseWriter | None = None
    if not media and not kept and order_free:
        out = formats.writer(format, root, labels=labels, schema=schema, media=media, **options)
    last: tuple[bool, Any] | None = None
    # Nothing runs before the first page is asked for.
    walk = prefetched(pages(source, since, splits, page_size or PAGE_SIZE))
    stager = Stager(staged)
    reporter.start(None, desc="export", unit="file")
    try:
        for rows, body, raw in walk:
            records = [task_record(row, splits) for row in rows] if raw else rows
            stager.stage(records, body)  # on the stager's thread, while this one goes on
            for record in records:
                new.append(record["task"])
                mark = record["mark"]
                if isinstance(mark, int) and (watermark is None or mark > watermark):
                    watermark = mark
                if out is not None:
                    order = order_key(record["task"])
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
    tasks = in_order(set(kept) | set(new) if kept else set(new))
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
