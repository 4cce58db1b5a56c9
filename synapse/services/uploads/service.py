"""The chunked-upload service (``client.uploads``): stream a file in chunks, hash it once, resume.

Protocol (API.md "Chunked upload"): the first chunk is ``PUT chunked_upload/`` (multipart: a
``filename`` field and a ``file`` part) with ``Content-Range: bytes start-end/total``; the answer's
``url`` receives the next chunks; ``POST <url> {"md5": ...}`` finishes. A 0-byte file is one
``PUT`` with an empty part and ``Content-Range: bytes */0``, then the finishing POST with the MD5 of
nothing (agreed with the emulator, HELPERS_COMMON.md).

Memory does not depend on the file or the chunk size: each chunk's multipart body is generated
from the file while it is sent (``synapse.services.uploads.multipart``), one block (1 MiB) at a time, and each
block is hashed as it is read. The resume logic is in ``synapse.services.uploads.chunked``, resume records in
``synapse.services.uploads.resume``.

Hashing overlaps sending without a thread of its own: urllib3 writes the body to the socket in
16 KiB pieces, the kernel drains the socket buffer while the next 1 MiB block is read and
hashed (hashlib releases the GIL for large updates), and the server parses and hashes in its own
process. Measured on loopback (benchmarks/uploads.py), the upload runs at 0.95x a raw streaming
PUT of the same bytes; the server, not the client's MD5, sets the pace, so a prefetching reader
thread would add complexity and memory for nothing.
"""

from __future__ import annotations

from typing import Any

from synapse.errors import UploadError
from synapse.services.progress import as_reporter
from synapse.services.uploads.chunked import _STATUS_COMPLETE, ChunkedUpload, ChunkedUploader, _Job
from synapse.services.uploads.direct import post_multipart
from synapse.services.uploads.files import StrPath, check_chunk_size, check_file, open_for_upload

__all__ = ["DEFAULT_CHUNK_SIZE", "DIRECT_UPLOAD_LIMIT", "ChunkedUpload", "UploadService"]

MiB = 1024 * 1024
#: API.md: the default chunk size.
DEFAULT_CHUNK_SIZE = 50 * MiB
#: Files up to this size are sent as one multipart POST by ``create_data_file``; larger ones chunked.
DIRECT_UPLOAD_LIMIT = 50 * MiB


class UploadService(ChunkedUploader):
    """Chunked uploads and data-file creation for one client (``client.uploads``).

    Safe to share between threads: each call keeps its own state, and the client's transport
    is thread-safe; several uploads may run in parallel on one client.

    Args:
        transport: the ``Transport`` that sends the requests (or a ``synapse.Client``, for its
            transport).
        records: where resume records are kept (default: ``ResumeStore()``, i.e.
            ``$SYNAPSE_CACHE_DIR/uploads`` or ``~/.cache/synapse/uploads``).
        block_size: how much of a file is read and hashed at once (bounds the memory used).
        sleep: how to wait between attempts (tests inject a fake).
    """

    # ------------------------------------------------------------------ public API

    def upload(
        self, path: StrPath, *, chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Any = None
    ) -> ChunkedUpload:
        """Upload a file in chunks and return the completed upload.

        Args:
            path: the file to send.
            chunk_size: bytes per chunk (default 50 MiB); memory use does not depend on it.
            progress: ``None``, ``True`` (a tqdm bar on a terminal), a ``(done, total)`` callable
                or a ``ProgressReporter``.

        Returns:
            The ``ChunkedUpload`` (id, size, checksum, filename, url).

        Raises:
            FileNotFoundError: ``path`` does not exist (before any request).
            IsADirectoryError: ``path`` is a directory (before any request).
            PermissionError: the file cannot be read (before any request).
            TypeError: ``chunk_size`` is not an int.
            ValueError: ``chunk_size`` is not positive, or ``path`` is not a regular file.
            UploadError: the checksums differ (both named), the file changed while being sent,
                the upload expired, or the retry budget ran out (``upload_id`` says what to resume).
            ClientError: the server refused the upload in another way (401, 403, 400 ...).
        """
        chunk_size = check_chunk_size(chunk_size)
        p, st = check_file(path)
        with open_for_upload(p) as fh:
            job = _Job(p, st.st_size, st.st_mtime_ns, p.name, chunk_size, fh, as_reporter(progress),
                       hash=self._hashes())
            return self._run(job, 0)

    def resume(
        self,
        upload_id: str | StrPath | None = None,
        path: StrPath | None = None,
        *,
        chunk_size: int | None = None,
        progress: Any = None,
    ) -> ChunkedUpload:
        """Continue an upload started earlier, maybe in another process.

        Call it as ``resume(upload_id, path)``, ``resume(path)`` or ``resume(path=path)``; without an
        id, the resume record written by ``upload()`` supplies it. The bytes the server already
        has are re-hashed locally (one pass over them) and the rest is sent.

        Args:
            upload_id: the server's upload id (or, when ``path`` is not given, the path).
            path: the same file the upload started with.
            chunk_size: bytes per chunk; default: the record's, else 50 MiB.
            progress: as for ``upload()``.

        Returns:
            The completed ``ChunkedUpload``.

        Raises:
            UploadError: no id and no resume record; the file changed since (size or mtime); the
                upload expired (410); or it could not be completed.
            FileNotFoundError, IsADirectoryError, PermissionError, TypeError, ValueError: as for
                ``upload()``.
        """
        if path is None:
            if upload_id is None:
                raise TypeError("resume() needs the path of the file (and optionally the upload id)")
            path, upload_id = upload_id, None
        if upload_id is not None and not isinstance(upload_id, str):
            raise TypeError(f"upload_id must be a str, not {type(upload_id).__name__}")
        p, st = check_file(path)
        record = self.records.load(self._transport.base_url, p)
        if record is not None and upload_id is not None and record.upload_id != upload_id:
            record = None  # the caller names another upload of this file: the record is not about it
        if record is not None and not record.matches(st.st_size, st.st_mtime_ns):
            raise UploadError(
                f"{p} changed since upload {record.upload_id} started (size or modification time "
                "differ); start a new upload",
                upload_id=record.upload_id,
            )
        if upload_id is None:
            if record is None:
                raise UploadError(f"no resume record for {p}; pass the upload id: resume(upload_id, path)")
            upload_id = record.upload_id
        size = chunk_size if chunk_size is not None else (record.chunk_size if record else DEFAULT_CHUNK_SIZE)
        size = check_chunk_size(size)
        state = self._state(upload_id)
        with open_for_upload(p) as fh:
            job = _Job(p, st.st_size, st.st_mtime_ns, p.name, size, fh, as_reporter(progress),
                       hash=self._hashes())
            job.upload_id, job.url = upload_id, state.get("url") or self._state_path(upload_id)
            job.filename = state.get("filename") or p.name
            if state.get("status") == _STATUS_COMPLETE:
                job.progress.start(job.size, desc=job.filename)
                try:
                    job.hash.seek(fh, job.size, self._block_size)
                    return self._completed(job, state)
                finally:
                    job.progress.finish()
            return self._run(job, int(state.get("offset") or 0))

    def create_data_file(
        self, path: StrPath, *, chunked: bool | None = None, progress: Any = None
    ) -> dict[str, Any]:
        """Create a data file from a local file and return the server's answer.

        Small files (up to 50 MiB) go as one streamed multipart ``POST data_files/``; larger
        ones (or any with ``chunked=True``) through ``upload()``, then
        ``POST data_files/ {"chunked_upload": id}``.

        Args:
            path: the file.
            chunked: force (True) or forbid (False) the chunked route; None decides by size.
            progress: as for ``upload()``.

        The server's ``checksum`` is checked in the form it uses (MD5, SHA-1 or SHA-256, told
        apart by length) against the digests computed while the file was sent: the file is read
        once. A form the client did not compute or does not know is not checked (a DEBUG line on
        the ``synapse`` logger says so), never a failure.

        Returns:
            ``{"id", "checksum", "size", "file", "created_at"}`` as the server sent it.

        Raises:
            UploadError: the server's checksum differs from the one computed while sending.
            FileNotFoundError, IsADirectoryError, PermissionError, ValueError: bad input, before any
                request.
        """
        p, st = check_file(path)
        if chunked is None:
            chunked = st.st_size > DIRECT_UPLOAD_LIMIT
        if chunked:
            done = self.upload(p, progress=progress)
            created: dict[str, Any] = self._transport.request(
                "POST", "data_files/", json={"chunked_upload": done.id}
            )
            if isinstance(created, dict):
                self._check(created.get("checksum"), done.digests, what=f"data file {p.name}",
                            upload_id=done.id)
            return created
        answer: dict[str, Any]
        answer, digests = post_multipart(
            self._transport, "data_files/", p, policy=self._policy, progress=progress,
            block_size=self._block_size, digests=self.digests,
        )
        if digests is not None and isinstance(answer, dict):
            self._check(answer.get("checksum"), digests, what=f"data file {p.name}")
        return answer

