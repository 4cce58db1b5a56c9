"""Data collections, their file specifications, data files and data units."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.orm.build import build
from synapse.orm.filters import IDS, RANGE, Filters
from synapse.orm.manager import Manager
from synapse.orm.options import ResourceOptions
from synapse.orm.queryset import QuerySet
from synapse.orm.relations import Children, Parent
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Creatable, Deletable, Gettable, Saveable

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from synapse.services.ingest import UploadReport

__all__ = [
    "DataCollection",
    "DataCollectionManager",
    "DataFile",
    "DataFileManager",
    "DataUnit",
    "DataUnitManager",
    "FileSpecification",
]

StrPath = str | os.PathLike[str]


@resource
class FileSpecification(Resource):
    """One kind of file a collection's units carry (``image_1``: an image, required, primary).

    Nested in ``DataCollection.file_specifications``; it has no route of its own.
    """

    options = ResourceOptions(repr_fields=("name", "file_type"))

    id: int
    name: str = NOT_LOADED
    file_type: str = NOT_LOADED
    is_required: bool = NOT_LOADED
    is_primary: bool = NOT_LOADED
    index: int | None = NOT_LOADED


@resource
class DataCollection(Saveable, Deletable):
    """A collection of data units sharing one set of file specifications.

    ``collection.data_units`` lists its units; ``upload()`` and ``upload_many()`` send local
    files and create units.
    """

    options = ResourceOptions(
        path="data_collections/",
        detail_params={"expand": "file_specifications"},
        repr_fields=("name",),
        create_fields=("name",),
        filters=Filters(ordering=("id", "name", "created")),
    )

    id: int
    name: str = NOT_LOADED
    description: str | None = NOT_LOADED
    category: str = NOT_LOADED
    meta: dict[str, Any] | None = NOT_LOADED
    is_archived: bool = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED
    file_specifications: list[FileSpecification] = NOT_LOADED

    data_units: ClassVar[Children[DataUnitManager]] = Children("DataUnit", fk="data_collection")

    def upload(
        self,
        files: Mapping[str, StrPath],
        meta: Mapping[str, Any] | None = None,
        groups: Sequence[str] | None = None,
    ) -> DataUnit:
        """Upload the files of one unit (``{spec name: local path}``) and create the unit.

        Raises:
            ValidationError: an unknown or missing spec (before any upload), or the server refused.
            UploadError: a checksum mismatch or a failed upload.
        """
        from synapse.services import ingest

        client = self._require_client()
        raw = ingest.upload_unit(client, self.id, files, meta=meta, groups=groups)
        return build(DataUnit, raw, client, path="data_units/")

    def upload_many(
        self,
        items: Iterable[Mapping[str, Any] | StrPath],
        *,
        spec: str | None = None,
        project: int | None = None,
        batch_size: int = 1000,
        workers: int = 8,
        executor: Executor | None = None,
        progress: Any = False,
    ) -> UploadReport:
        """Upload many units: files in parallel, units in batches of ``batch_size``.

        Every item's type is checked before a single request (a generator is consumed once);
        then one bad item (a missing file) goes into the report and the others go on.

        Args:
            items: any iterable (a list, a generator, ``Path("imgs").glob("*.png")``) of
                ``{"files": {spec: path}, "meta": {...}, "groups": [...]}`` per unit, or of plain
                paths (``str`` or ``os.PathLike``), each a unit with one file.
            spec: the file specification plain paths fill (default: the collection's only
                required one).
            project: also create one task per unit in this project.
            batch_size: units (and tasks) per request, at most 1000.
            workers: upload threads (ignored with ``executor``).
            executor: any ``concurrent.futures.Executor`` (not shut down).
            progress: True for a tqdm bar, or a progress callback.

        Returns:
            An ``UploadReport`` with one result per item (failures do not stop the others).

        Raises:
            TypeError: a single path or mapping instead of an iterable of items, or an item of
                the wrong type (nothing was sent).
            ValidationError: ``spec`` is not one of the collection's, or plain paths cannot tell
                which spec they fill (nothing was uploaded).
        """
        from synapse.services import ingest

        return ingest.upload_many(
            self._require_client(), self.id, items, spec=spec, project=project, batch_size=batch_size,
            workers=workers, executor=executor, progress=progress,
        )

    def upload_folder(
        self,
        path: StrPath,
        pattern: str = "*.png",
        spec: str | None = None,
        recursive: bool = True,
        *,
        project: int | None = None,
        batch_size: int = 1000,
        workers: int = 8,
        executor: Executor | None = None,
        progress: Any = False,
    ) -> UploadReport:
        """Upload the files of a folder, one unit per file, in sorted order (see ``upload_many``).

        Hidden files and folders are skipped. A pattern that matches nothing logs a warning on
        the ``synapse`` logger and returns an empty report, without a request.

        Args:
            path: the folder.
            pattern: a glob pattern on the file names (``"*"`` for every file).
            spec: the file specification each file fills (default: the collection's only
                required one).
            recursive: also upload the files of subfolders.
            project: also create one task per unit in this project.
            batch_size: units (and tasks) per request, at most 1000.
            workers: upload threads (ignored with ``executor``).
            executor: any ``concurrent.futures.Executor`` (not shut down).
            progress: True for a tqdm bar, or a progress callback.

        Returns:
            An ``UploadReport`` with one result per file, in sorted order.

        Raises:
            FileNotFoundError: ``path`` does not exist (nothing was sent).
            NotADirectoryError: ``path`` is a file (nothing was sent).
            ValidationError: as ``upload_many``, before any upload.
        """
        from synapse.services import ingest

        return ingest.upload_folder(
            self._require_client(), self.id, path, pattern, spec=spec, recursive=recursive, project=project,
            batch_size=batch_size, workers=workers, executor=executor, progress=progress,
        )


class DataCollectionQuerySet(QuerySet[DataCollection]):
    """A query over collections: rows carry their file specifications."""

    def _query(self) -> dict[str, Any]:
        # Lists expand the specifications as the detail route does: unexpanded, the server
        # sends their ids only, which are not FileSpecification objects.
        params = super()._query()
        params.setdefault("expand", "file_specifications")
        return params


class DataCollectionManager(
    Gettable[DataCollection, DataCollectionQuerySet], Creatable[DataCollection, DataCollectionQuerySet],
    DataCollectionQuerySet,
):
    """``client.data_collections``: list, read, create, update and delete collections."""

    _model = DataCollection


@resource
class DataFile(Resource):
    """An uploaded file, known by its MD5 ``checksum``; units refer to files by checksum."""

    options = ResourceOptions(
        path="data_files/",
        listable=False,
        repr_fields=("checksum", "size"),
        read_only={"id", "checksum", "size", "file", "created_at"},
    )

    id: int
    checksum: str = NOT_LOADED
    size: int = NOT_LOADED
    file: str | None = NOT_LOADED
    created_at: dt.datetime | None = NOT_LOADED

    def download(self, dest: StrPath, filename: str | None = None, progress: Any = None) -> Path:
        """Download the file into the directory ``dest`` and return the path it was written to.

        Never overwrites a file of other content: see ``synapse.services.downloads.download``
        (a clash gets a name of its own, or raises ``DownloadConflict`` for an explicit
        ``filename``); a file already there with this checksum is kept and nothing is fetched.

        Raises:
            ValueError: the file has no download URL.
            DownloadConflict: ``filename`` names a file of other content.
        """
        from synapse.services import downloads

        if not self.file:
            raise ValueError(f"DataFile {self.id} has no download URL")
        client = self._require_client()
        checksum = self._peek("checksum")
        return downloads.download(
            client, self.file, dest, filename=filename, progress=progress,
            checksum=checksum if isinstance(checksum, str) else None,
        )


class DataFileManager(Manager[DataFile]):
    """``client.data_files``: upload local files and check which checksums the server has."""

    _model = DataFile

    def create(
        self, path: StrPath, *, chunked: bool | None = None, progress: Any = None
    ) -> DataFile:
        """Upload one local file (direct below 50 MiB, chunked above) and return its DataFile.

        Args:
            path: the local file.
            chunked: force (True) or forbid (False) the chunked route; None decides by size.
            progress: True for a tqdm bar, or a progress callback (bytes).

        Raises:
            UploadError: the server's checksum differs from the one computed while sending.
            FileNotFoundError: no such file (before any request).
        """
        client = self._require_client()
        data = client.uploads.create_data_file(path, chunked=chunked, progress=progress)
        return build(DataFile, data, client, path="data_files/")

    def verify_checksums(self, checksums: Iterable[str]) -> list[str]:
        """Return those of ``checksums`` the server already has (``POST data_files/verify_checksums/``).

        Raises:
            TypeError: a checksum is not a string (before any request).
        """
        values = [checksums] if isinstance(checksums, str) else list(checksums)
        for value in values:
            if not isinstance(value, str):
                raise TypeError(f"a checksum is an MD5 hex string, got {type(value).__name__} {value!r:.40}")
        client = self._require_client()
        answer = client.transport.request("POST", "data_files/verify_checksums/", json={"checksums": values})
        existing = answer.get("existing_checksums") if isinstance(answer, dict) else None
        if not isinstance(existing, list):
            from synapse.orm.build import MalformedAnswer

            raise MalformedAnswer(
                "POST data_files/verify_checksums/: expected {'existing_checksums': [...]}",
                path="data_files/verify_checksums/",
            )
        return [str(c) for c in existing]


@resource
class DataUnit(Resource):
    """One item of a collection: a file per file specification, plus ``meta``.

    ``files`` maps each spec name to ``{"checksum", "url", "size", "file_type", "is_primary"}``.
    """

    options = ResourceOptions(
        path="data_units/",
        repr_fields=("checksum",),
        create_fields=("data_collection", "files"),
        create_extra={"groups"},
        filters=Filters("data_collection", "checksum", id=IDS, created=RANGE, ordering=("id", "created")),
    )

    id: int
    checksum: str | None = NOT_LOADED
    meta: dict[str, Any] | None = NOT_LOADED
    files: dict[str, dict[str, Any]] = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    data_collection: ClassVar[Parent[DataCollection]] = Parent("DataCollection")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        data_collection_id: int = NOT_LOADED

    def download(self, dest: StrPath, progress: Any = None) -> dict[str, Path]:
        """Download every file of the unit into the directory ``dest``.

        The files of many units can share one folder: a file keeps the server's name unless a
        file of other content has it, then it is named ``<stem>-<checksum[:8]><ext>``; a file
        already there with the same checksum is not fetched again (see
        ``synapse.services.downloads.download``).

        Returns:
            ``{spec name: path written (or found with the same content)}``.
        """
        from synapse.services import downloads

        client = self._require_client()
        written: dict[str, Path] = {}
        for name, entry in (self.files or {}).items():
            url = entry.get("url") if isinstance(entry, dict) else None
            if url:
                checksum = entry.get("checksum")
                written[name] = downloads.download(
                    client, url, dest, filename=None, progress=progress,
                    checksum=checksum if isinstance(checksum, str) else None,
                )
        return written


class DataUnitManager(Gettable[DataUnit], Creatable[DataUnit]):
    """``client.data_units`` and ``collection.data_units``: list, read and create units.

    ``create(data_collection=C, files={"image_1": {"checksum": ..., "path": ...}}, meta=...)``
    creates one unit from files the server already has; ``bulk_create([...])`` sends batches
    of up to 1000. To upload local files, use ``collection.upload()``.
    """

    _model = DataUnit
