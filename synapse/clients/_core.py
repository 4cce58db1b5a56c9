"""Chunked uploads, as the original SDK's ``CoreClientMixin`` offered them."""

from __future__ import annotations

import os
from typing import Any

import attrs

from synapse.clients._base import BaseClient
from synapse.services.uploads.service import DEFAULT_CHUNK_SIZE

__all__ = ["CoreClientMixin"]


class CoreClientMixin(BaseClient):
    """Chunked upload of one file, and an upload's state."""

    def create_chunked_upload(
        self, file_path: str | os.PathLike[str], chunk_size: int = DEFAULT_CHUNK_SIZE, on_progress: Any = None
    ) -> dict[str, Any]:
        """Upload a file in chunks (``PUT chunked_upload/`` ..., then the MD5) and return the upload.

        Args:
            file_path: the file.
            chunk_size: bytes per chunk (default 50 MiB); memory use does not depend on it.
            on_progress: a ``(bytes_done, bytes_total)`` callable, or ``True`` for a tqdm bar.

        Returns:
            ``{"id", "size", "checksum", "filename", "url", "completed_at"}``; pass ``id`` as
            ``chunked_upload`` to create a data file or a model.

        Raises:
            UploadError: the checksums differ, or the upload could not be completed.
        """
        upload = self._client.uploads.upload(file_path, chunk_size=chunk_size, progress=on_progress)
        return attrs.asdict(upload)

    def get_chunked_upload(self, upload_id: str) -> dict[str, Any]:
        """Return an upload's state (``GET chunked_upload/{id}/``): ``offset``, ``status``, ..."""
        return self._client.uploads.get(upload_id)
