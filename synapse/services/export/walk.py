"""The walk of an export: the source's pages read a page ahead on a thread, and each task's record.

A task's record is what the export stages and converts: ``{"task", "unit", "data", "images",
"split", "mark"}``, built from a row as the server sends it with ``expand=data_unit``
(:func:`task_record`) or from a ground-truth event.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from synapse import formats
from synapse.services import unit_files

__all__ = [
    "CATEGORY_SPLITS", "CHUNK", "WalkPage", "image_files", "in_order", "order_key", "pages", "prefetched",
    "split_of", "task_record",
]

CATEGORY_SPLITS = {"train": "train", "validation": "val", "val": "val", "test": "test"}
"""A ground-truth event's category -> the split it goes to."""

CHUNK = 100
"""Records per staged page of a source that has no pages of its own (a version's events)."""


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


def split_of(key: Any, splits: Mapping[str, float] | None, category: Any) -> str | None:
    """The split of a task: a stable hash of its id over ``splits``, else the event's category."""
    if splits is not None:
        return formats.split_of(str(key), splits)
    if isinstance(category, str):
        return CATEGORY_SPLITS.get(category, category)
    return None


def order_key(key: Any) -> tuple[bool, Any]:
    """The output order of a task id or ground-truth key: ints by value, then keys made of text."""
    return (isinstance(key, str), key)


def in_order(keys: Iterable[Any]) -> list[Any]:
    """``keys`` sorted by :func:`order_key` (no key tuple each when all are ints, the common case)."""
    keys = list(keys)
    if all(type(key) is int for key in keys):
        return sorted(keys)
    return sorted(keys, key=order_key)


def task_record(row: Mapping[str, Any], splits: Mapping[str, float] | None) -> dict[str, Any]:
    """The record of a task row as the server sends it with ``expand=data_unit``."""
    unit = row.get("data_unit")
    if isinstance(unit, dict):
        unit_id, files = unit.get("id"), unit.get("files")
    else:  # not expanded (a server that ignores ``expand``): the id only
        unit_id, files = unit, None
    task_id = row["id"]
    return {"task": task_id, "unit": unit_id, "data": row.get("data"), "images": image_files(files),
            "split": split_of(task_id, splits, None), "mark": task_id}


WalkPage = tuple[list[dict[str, Any]], "bytes | None", bool]
"""A page of the walk: its rows, its body as the server sent it (None: encode the records), and
whether the rows are the server's task rows (True) or records already (a version's events)."""


def pages(
    source: Any, since: int | None, splits: Mapping[str, float] | None, page_size: int | None = None
) -> Iterator[WalkPage]:
    """The source's rows page by page: task rows as sent, or records (one per ground truth)."""
    if hasattr(source, "events"):  # a ground-truth version: the latest event per ground truth
        latest: dict[Any, Any] = {}
        for event in source.events.all().iterator(page_size=page_size):
            if since is not None and event.pgh_id <= since:
                continue
            key = event.id if event.id is not None else f"event-{event.pgh_id}"
            if key not in latest or latest[key].pgh_id < event.pgh_id:
                latest[key] = event
        records = []
        for key in in_order(latest):
            event = latest[key]
            records.append({"task": key, "unit": event.data_unit_id, "data": event.data,
                            "images": image_files(event.files),
                            "split": split_of(key, splits, event.category), "mark": event.pgh_id})
            if len(records) == CHUNK:
                yield records, None, False
                records = []
        yield records, None, False
        return
    rows = source.filter(id__gt=since) if since is not None else source
    # The server's pages as decoded and as sent (no Task objects: the export only stages them).
    for page in rows.expand("data_unit").raw_pages(page_size=page_size):
        yield page.results, page.content, True


def prefetched(pages: Iterator[WalkPage]) -> Generator[WalkPage, None, None]:
    """``pages`` read on a background thread, a page ahead of the caller.

    While the caller works on one page, the thread waits for the next page's answer. Memory is
    bounded: one page with the caller, at most one waiting, one being read. An error of the walk
    is raised in the caller after the pages read before it; when the caller stops early, the
    thread stops after the request it is in (joined here, so no request outlives the export).
    """
    handoff: queue.Queue[tuple[WalkPage | None, BaseException | None]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[WalkPage | None, BaseException | None]) -> bool:
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
