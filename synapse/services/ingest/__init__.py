"""Data ingestion: local files -> data files -> data units (-> tasks), one unit or many at once.

End to end (API.md "Upload of a unit"): a data file per local file (direct when small, chunked
above 50 MiB), then the units in batches with the returned checksums, then optionally tasks.

``upload_many`` is built to be run again: an interrupted ingestion is finished by calling it with
the same items. How it knows what is already there:

- files: each distinct local file is hashed first (MD5 and SHA-1 in one read, in the workers),
  and ``POST data_files/verify_checksums/`` says which checksums the server has (both forms are
  asked for: a deployment that answers in SHA-1 knows its files by their SHA-1); only the others
  are sent, and units name each file by the checksum in the server's form. (A file that must
  be sent is therefore read twice on a first run: once to hash, once to send. That is what
  lets a re-run skip it without sending a byte.)
- units: a unit can only exist already if all its files did. For those items only, the unit is
  looked up by its checksum, which API.md's data units carry and which is the checksum of the
  unit's primary file (``GET data_units/?data_collection=C&checksum=X``), and it counts as the
  same unit when every spec maps to the same file checksum. On a first run no lookup is made.
- tasks: for units found already existing, the project's tasks are listed once
  (``sdk/tasks/?project=P&fields=id,data_unit``) and only units without a task get one.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from synapse.services.ingest.items import (
    Item,
    TakenItem,
    check_spec_argument,
    folder_files,
    path_spec,
    take_items,
)
from synapse.services.ingest.run import IngestRun, ItemResult, check_unit_files
from synapse.services.progress import as_reporter
from synapse.services.uploads.files import StrPath, check_file
from synapse.services.uploads.service import UploadService
from synapse.transport import SupportsTransport, Transport, transport_of

__all__ = [
    "Item",
    "ItemResult",
    "UploadReport",
    "check_unit_files",
    "file_specifications",
    "upload_folder",
    "upload_many",
    "upload_unit",
]

logger = logging.getLogger("synapse")


@attrs.define
class UploadReport:
    """The outcome of ``upload_many``, item by item.

    Attributes:
        items: one ``ItemResult`` per input item, in input order.
        files_uploaded: distinct files sent in this run.
        files_skipped: distinct files the server already had (not sent).
        tasks_created: tasks created in this run.
    """

    items: list[ItemResult]
    files_uploaded: int = 0
    files_skipped: int = 0
    tasks_created: int = 0

    @property
    def ok(self) -> bool:
        """True when every item succeeded."""
        return all(r.ok for r in self.items)

    @property
    def succeeded(self) -> list[ItemResult]:
        """The items that have their unit."""
        return [r for r in self.items if r.ok]

    @property
    def failed(self) -> list[ItemResult]:
        """The items that failed, each with its ``error``."""
        return [r for r in self.items if not r.ok]

    @property
    def data_units(self) -> list[int | None]:
        """The unit id of each item, in input order (None where it failed)."""
        return [r.data_unit for r in self.items]

    @property
    def errors(self) -> dict[int, BaseException]:
        """``{item index: error}`` for the failed items."""
        return {r.index: r.error for r in self.items if r.error is not None}

    def __repr__(self) -> str:
        failed = self.failed
        ok = len(self.items) - len(failed)
        first = ""
        if failed and failed[0].error is not None:
            error = failed[0].error
            first = f"; first failure: item {failed[0].index}: {type(error).__name__}: {str(error)[:120]}"
        return (
            f"UploadReport({len(self.items)} items: {ok} ok, {len(failed)} failed; "
            f"files: {self.files_uploaded} uploaded, {self.files_skipped} already there; "
            f"{self.tasks_created} tasks{first})"
        )


def file_specifications(
    client: Transport | SupportsTransport, collection_id: int
) -> dict[str, dict[str, Any]]:
    """Return the collection's file specifications by name (``GET data_collections/{id}/``)."""
    collection = transport_of(client).request(
        "GET", f"data_collections/{int(collection_id)}/", params={"expand": "file_specifications"}
    )
    specs = collection.get("file_specifications") or [] if isinstance(collection, dict) else []
    return {str(s["name"]): s for s in specs}


def upload_unit(
    client: Transport | SupportsTransport,
    collection_id: int,
    files: Mapping[str, StrPath],
    *,
    meta: Mapping[str, Any] | None = None,
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Upload the files of one data unit and create it.

    Spec names and the files themselves are checked before anything is sent.

    Args:
        client: a ``synapse.Client``, or the ``Transport`` to send through.
        collection_id: the data collection.
        files: ``{spec name: local path}``.
        meta: the unit's ``meta``.
        groups: the unit's ``groups``.

    Returns:
        The created unit as the server sent it.

    Raises:
        ValidationError: an unknown spec name or a missing required spec (before any upload),
            or the server refused the unit.
        FileNotFoundError, IsADirectoryError, PermissionError: a bad file (before any upload).
        UploadError: a checksum mismatch or a failed chunked upload.
    """
    error = check_unit_files(files, file_specifications(client, collection_id))
    if error is not None:
        raise error
    for path in files.values():
        check_file(path)
    service = _service(client)
    entry = {}
    for name, path in files.items():
        created = service.create_data_file(path)
        entry[name] = {"checksum": created["checksum"], "path": str(path)}
    payload: dict[str, Any] = {"data_collection": collection_id, "files": entry, "meta": dict(meta or {})}
    if groups is not None:
        payload["groups"] = list(groups)
    unit: dict[str, Any] = transport_of(client).request("POST", "data_units/", json=payload)
    return unit


def upload_many(
    client: Transport | SupportsTransport,
    collection_id: int,
    items: Iterable[Item],
    *,
    spec: str | None = None,
    project: int | None = None,
    batch_size: int = 1000,
    workers: int = 8,
    executor: cf.Executor | None = None,
    progress: Any = False,
) -> UploadReport:
    """Upload many units: files in parallel, units in batches, tasks for ``project`` if given.

    Every item's type is checked first, locally (a generator is consumed once, into the one list
    the engine works on), then the collection's specifications are read (one request); a wrong
    input raises before anything is uploaded. After that, one bad item (a missing file, an
    unknown spec name in its ``files``) never loses the others: its error goes into the report
    and the rest go on. Running it again with the same items skips files and units the server
    already has.

    Args:
        client: a ``synapse.Client`` or a ``Transport`` (its transport is pickled to the workers,
            as its configuration, when ``executor`` is a process pool).
        collection_id: the data collection.
        items: any iterable (a list, a generator, ``Path("imgs").glob("*.png")``) of mappings
            ``{"files": {spec: path}, "meta": {...}, "groups": [...]}`` or plain paths (``str``
            or ``os.PathLike``); a plain path is one unit with one file.
        spec: the file specification plain paths fill; by default the collection's only
            required one (or its only one).
        project: create a task per unit in this project.
        batch_size: units (and tasks) per request, at most 1000.
        workers: threads of the default pool (ignored when ``executor`` is given).
        executor: any ``concurrent.futures.Executor``; it is not shut down.
        progress: a ``progress=`` argument; counts distinct files settled.

    Returns:
        An ``UploadReport`` with one result per item.

    Raises:
        TypeError: ``items`` is a single path or mapping, or not iterable; an item is neither a
            path nor a mapping ``{"files", "meta", "groups"}`` of the right types; ``spec`` is
            not a str (nothing was sent).
        ValueError: ``batch_size`` or ``workers`` out of range (nothing was sent).
        ValidationError: ``spec`` is not one of the collection's, or plain paths cannot tell
            which spec they fill (only the collection was read).
        ClientError: the collection cannot be read (nothing was sent).
    """
    _check_arguments(batch_size, workers, executor, spec)
    return _upload_taken(
        client, collection_id, take_items(items), spec=spec, project=project, batch_size=batch_size,
        workers=workers, executor=executor, progress=progress,
    )


def upload_folder(
    client: Transport | SupportsTransport,
    collection_id: int,
    folder: StrPath,
    pattern: str = "*.png",
    *,
    spec: str | None = None,
    recursive: bool = True,
    project: int | None = None,
    batch_size: int = 1000,
    workers: int = 8,
    executor: cf.Executor | None = None,
    progress: Any = False,
) -> UploadReport:
    """Upload the files of a folder, one unit per file, in sorted order (see ``upload_many``).

    Hidden files (and files in hidden folders) are skipped. A pattern that matches nothing is
    not an error: a warning on the ``synapse`` logger, an empty report, no request.

    Args:
        client: a ``synapse.Client`` or a ``Transport``.
        collection_id: the data collection.
        folder: the folder to upload.
        pattern: a glob pattern on the file names (``"*.png"``, ``"*"`` for all).
        spec: the file specification each file fills (default: the collection's only required one).
        recursive: also upload the files of subfolders.
        project: create a task per unit in this project.
        batch_size: units (and tasks) per request, at most 1000.
        workers: threads of the default pool (ignored when ``executor`` is given).
        executor: any ``concurrent.futures.Executor``; it is not shut down.
        progress: a ``progress=`` argument; counts distinct files settled.

    Returns:
        An ``UploadReport``, one result per file in sorted order.

    Raises:
        FileNotFoundError: ``folder`` does not exist (nothing was sent).
        NotADirectoryError: ``folder`` is a file (nothing was sent).
        TypeError, ValueError, ValidationError: as ``upload_many``, before any upload.
    """
    _check_arguments(batch_size, workers, executor, spec)
    files = folder_files(folder, pattern, recursive=recursive)
    if not files:
        where = "under" if recursive else "in"
        logger.warning("upload_folder: no file matches %r %s %s; nothing to upload", pattern, where,
                       os.fspath(folder))
        return UploadReport([])
    return _upload_taken(
        client, collection_id, files, spec=spec, project=project, batch_size=batch_size,
        workers=workers, executor=executor, progress=progress,
    )


def _upload_taken(
    client: Transport | SupportsTransport,
    collection_id: int,
    items: Sequence[TakenItem],
    *,
    spec: str | None,
    project: int | None,
    batch_size: int,
    workers: int,
    executor: cf.Executor | None,
    progress: Any,
) -> UploadReport:
    specs = file_specifications(client, collection_id)
    fills = path_spec(specs, spec, needed=any(isinstance(item, str) for item in items))
    reporter = as_reporter(progress)
    own = executor is None
    pool = executor or cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="synapse-upload")
    run = IngestRun(client, collection_id, specs, project=project, batch_size=batch_size, executor=pool,
                    reporter=reporter, path_spec=fills)
    reporter.start(run.count_files(items), desc="uploading", unit="file")
    try:
        results = run.run(items)
    finally:
        reporter.finish()
        if own:
            pool.shutdown(wait=True)
    return UploadReport(
        results, files_uploaded=run.files_uploaded, files_skipped=run.files_skipped,
        tasks_created=run.tasks_created,
    )


def _check_arguments(batch_size: int, workers: int, executor: cf.Executor | None, spec: object) -> None:
    if not 1 <= batch_size <= 1000:
        raise ValueError(f"batch_size must be between 1 and 1000, got {batch_size}")
    if executor is None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    check_spec_argument(spec)


def _service(client: Transport | SupportsTransport) -> UploadService:
    service = getattr(client, "uploads", None)  # a client's own service keeps its resume records
    return service if isinstance(service, UploadService) else UploadService(client)
