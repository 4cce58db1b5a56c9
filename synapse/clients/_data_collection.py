"""Data collections, files and units, as the original SDK's ``DataCollectionClientMixin`` offered them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, overload

from synapse.clients._base import Answer, BaseClient, Conversion, ListAnswer, Params, Stream

__all__ = ["DataCollectionClientMixin"]

StrPath = str | os.PathLike[str]


class DataCollectionClientMixin(BaseClient):
    """Collections, data files (direct or chunked), units, checksums and bulk upload."""

    def list_data_collections(self, params: Params = None) -> dict[str, Any]:
        """List data collections (``GET data_collections/``): the first page's envelope."""
        return self._page(self._client.data_collections, params)

    def list_data_collection(self, params: Params = None) -> dict[str, Any]:
        """Alias of ``list_data_collections`` (the older release's name)."""
        return self.list_data_collections(params)

    def get_data_collection(self, pk: int) -> Answer:
        """Return a collection with its ``file_specifications`` (``GET data_collections/{pk}/``)."""
        return self._get(self._client.data_collections, pk)

    def create_data_file(self, file_path: StrPath, use_chunked_upload: bool | None = None) -> dict[str, Any]:
        """Upload a file as a data file: one multipart POST up to 50 MiB, a chunked upload above.

        Args:
            file_path: the file.
            use_chunked_upload: force (True) or forbid (False) the chunked route; None decides by size.

        Returns:
            ``{"id", "checksum", "size", "file", "created_at"}``.

        Raises:
            FileNotFoundError: no such file (before any request).
            UploadError: the server's checksum differs from the one computed while sending.
        """
        return self._one(self._client.data_files.create(file_path, chunked=use_chunked_upload))

    def upload_data_file(
        self, data: Mapping[str, Any], collection_id: int, use_chunked_upload: bool | None = None
    ) -> dict[str, Any]:
        """Upload the files of one unit and return the body ``create_data_units`` takes.

        Args:
            data: ``{"files": {spec name: path}, "meta": {...}}``.
            collection_id: the data collection.
            use_chunked_upload: as for ``create_data_file``.

        Returns:
            ``{"files": {spec: {"checksum", "path"}}, "data_collection": collection_id, "meta": {...}}``.
        """
        files: dict[str, dict[str, Any]] = {}
        for name, path in dict(data.get("files") or {}).items():
            created = self.create_data_file(path, use_chunked_upload=use_chunked_upload)
            files[name] = {"checksum": created["checksum"], "path": str(path)}
        return {"files": files, "data_collection": collection_id, "meta": dict(data.get("meta") or {})}

    def create_data_units(self, data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Answer:
        """Create one unit (a dict) or many (a list, 1000 a request): ``POST data_units/``.

        Args:
            data: ``{"data_collection": C, "files": {spec: {"checksum", "path"}}, "meta": {...}}``,
                or a list of them.

        Returns:
            The created unit, or the list of created units.

        Raises:
            ValidationError: the server refused a unit (an unknown checksum or spec, a missing
                collection; the message names the item).
        """
        return self._create_many("data_units/", data)

    def get_data_unit(self, pk: int, params: Params = None) -> Answer:
        """Return a data unit with its files' URLs (``GET data_units/{pk}/``)."""
        return self._get(self._client.data_units, pk, params)

    @overload
    def list_data_units(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_data_units(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_data_units(
        self, params: Params, url_conversion: Conversion, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_data_units(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_data_units(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List data units (``GET data_units/``): the first page, or ``(generator, count)``.

        As in the original, ``list_all=True`` downloads each unit's files (``files_fields``
        ``["files"]``) unless ``url_conversion`` says otherwise (``{"files_fields": []}``: none).
        """
        return self._listing(self._client.data_units, params, url_conversion, list_all, ("files",))

    def verify_data_files_checksums(self, checksums: Sequence[str]) -> Answer:
        """Ask which checksums the server has (``POST data_files/verify_checksums/``).

        Returns:
            ``{"existing_checksums": [...]}``.
        """
        if isinstance(checksums, str):
            raise TypeError("checksums must be a list of hex digests, e.g. ['9e107d9d...']")
        return self._send("POST", "data_files/verify_checksums/", {"checksums": list(checksums)})

    def data_files_verify_checksums(self, checksums: Sequence[str]) -> Answer:
        """Alias of ``verify_data_files_checksums``."""
        return self.verify_data_files_checksums(checksums)

    def upload_data_collection(
        self,
        collection_id: int,
        data: Iterable[Mapping[str, Any]],
        project_id: int | None = None,
        batch_size: int = 1000,
        max_workers: int = 10,
        on_progress: Any = None,
    ) -> dict[str, Any]:
        """Upload many units: files in parallel, units in batches, a task each if ``project_id``.

        Files the server already has are not sent again, so after a failure the same call
        finishes the job. See ``DataCollection.upload_many``.

        Args:
            collection_id: the data collection.
            data: ``{"files": {spec: path}, "meta": {...}}`` per unit.
            project_id: create one task per unit in this project.
            batch_size: units (and tasks) per request, at most 1000.
            max_workers: upload threads.
            on_progress: a ``(files_done, files_total)`` callable, or ``True`` for a tqdm bar.

        Returns:
            ``{"data_units": [ids], "files_uploaded", "files_skipped", "tasks_created"}``.

        Raises:
            Exception: the first item's error when some failed (the others were uploaded).
        """
        collection = self._client.data_collections.get(collection_id, lazy=True)
        report = collection.upload_many(
            data, project=project_id, batch_size=batch_size, workers=max_workers, progress=on_progress
        )
        for item in report.items:
            if item.error is not None:
                raise item.error
        return {
            "data_units": report.data_units,
            "files_uploaded": report.files_uploaded,
            "files_skipped": report.files_skipped,
            "tasks_created": report.tasks_created,
        }
