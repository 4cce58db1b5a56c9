"""The chunked-upload loop behind ``UploadService``: chunks, resumes, the finishing POST.

How the MD5 stays right while resuming: each chunk's multipart body is generated from the file as
it is sent, and every block read goes into the MD5 once. Before each chunk the hash state is
snapshotted (``md5.copy()``, about 100 bytes); when a chunk fails and the server's offset is
somewhere else, the hash is rolled back to the nearest snapshot at or before that offset and the
bytes in between (usually none) are re-hashed in one pass. A resume in a new process re-hashes
``[0, offset)`` once.

Failures the loop resumes from are those the transport's one retry plan resends a PUT after
(DESIGN.md "Retries"): a dropped connection or timeout, 429, 502, 503, 504; and API.md's
``400 Offsets do not match`` (its body carries the offset). After each, the server's offset is read
(``GET chunked_upload/{id}/``) before anything is sent again. The waits and the budget are the
plan's (``Transport.retry_budget``): ``max_retries`` consecutive failures without progress, backoff
with full jitter, ``Retry-After`` honoured up to ``retry_after_max`` (longer: give up and say so),
and never past ``total_timeout`` since the last progress.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import attrs

from synapse.config import RetryPolicy
from synapse.errors import (
    ClientError,
    Gone,
    ServerError,
    TransportError,
    UploadError,
    ValidationError,
)
from synapse.http.retries import RetryBudget
from synapse.services.progress import ProgressReporter
from synapse.services.uploads.files import DEFAULT_DIGESTS, RunningDigests, check_checksum, digest_algorithm
from synapse.services.uploads.multipart import DEFAULT_BLOCK_SIZE, MultipartFileBody
from synapse.services.uploads.resume import ResumeRecord, ResumeStore
from synapse.transport import SupportsTransport, Transport, transport_of

__all__ = ["ChunkedUpload", "ChunkedUploader"]

_STATUS_COMPLETE = 2  # API.md: chunked upload status 1 = uploading, 2 = complete


@attrs.frozen
class ChunkedUpload:
    """A completed chunked upload.

    Attributes:
        id: the server's upload id (a UUID string); pass it as ``chunked_upload`` to create a data
            file or a model.
        size: the file size in bytes.
        checksum: the MD5 hex digest of the content (the server's and the client's agree).
        filename: the name the file was uploaded under.
        url: the upload's URL.
        completed_at: when the server completed it, if it said.
        digests: ``{algorithm: hex digest}`` of the content, computed while it was sent (MD5,
            SHA-1, ...): what a data file made from it is checked against, in the server's form.
    """

    id: str
    size: int
    checksum: str
    filename: str
    url: str
    completed_at: str | None = None
    digests: Mapping[str, str] = attrs.field(factory=dict, hash=False)


@attrs.define
class _Job:
    """The state of one upload call (never shared between threads)."""

    path: Path
    size: int
    mtime_ns: int
    filename: str
    chunk_size: int
    file: BinaryIO
    progress: ProgressReporter
    upload_id: str | None = None
    url: str | None = None
    hash: RunningDigests = attrs.field(factory=RunningDigests)
    budget: RetryBudget | None = None


class ChunkedUploader:
    """The upload loop, bound to one transport (the base of ``UploadService``).

    Safe to share between threads: each call keeps its own state in a ``_Job``, and the
    client's transport is thread-safe.

    Args:
        transport: the ``Transport`` that sends the requests (or a ``synapse.Client``, for its
            transport).
        records: where resume records are kept (default: ``ResumeStore()``, i.e.
            ``$SYNAPSE_CACHE_DIR/uploads`` or ``~/.cache/synapse/uploads``).
        block_size: how much of a file is read and hashed at once (bounds the memory used).
        sleep: how to wait between attempts (default: the transport's; tests inject a fake).
        digests: the algorithms computed while sending, besides MD5 (default: SHA-1). An
            algorithm the server is seen answering in (SHA-256, by its 64 hex digits) is added
            for the uploads after (``digests`` says which are computed).
    """

    def __init__(
        self,
        transport: Transport | SupportsTransport,
        *,
        records: ResumeStore | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        sleep: Callable[[float], None] | None = None,
        digests: Iterable[str] = DEFAULT_DIGESTS,
    ) -> None:
        self._transport = transport_of(transport)
        self.digests: tuple[str, ...] = RunningDigests(digests).algorithms
        self.records = records if records is not None else ResumeStore()
        self._block_size = block_size
        self._sleep = sleep
        self._digests_lock = threading.Lock()

    @property
    def _policy(self) -> RetryPolicy:
        return self._transport.config.retries

    def _hashes(self) -> RunningDigests:
        """Fresh running digests of the algorithms this service computes."""
        return RunningDigests(self.digests)

    def _check(self, checksum: object, digests: Mapping[str, str], *, what: str,
               upload_id: str | None = None) -> None:
        """Check the server's checksum in its form; learn the form for the next uploads."""
        algorithm = digest_algorithm(checksum)
        if algorithm is not None and algorithm not in self.digests:
            with self._digests_lock:
                if algorithm not in self.digests:
                    self.digests = (*self.digests, algorithm)
        check_checksum(checksum, digests, what=what, upload_id=upload_id)

    # ------------------------------------------------------------------ the upload loop

    def get(self, upload_id: str) -> dict[str, Any]:
        """Return the server's state of an upload: ``{"id", "url", "offset", "filename", "status", ...}``.

        Raises:
            NotFound: no such upload.
            Gone: the upload expired.
        """
        state: dict[str, Any] = self._transport.request("GET", self._state_path(upload_id))
        return state

    @staticmethod
    def _state_path(upload_id: str) -> str:
        return f"chunked_upload/{quote(upload_id, safe='')}/"

    def _state(self, upload_id: str) -> dict[str, Any]:
        try:
            return self.get(upload_id)
        except Gone as exc:
            raise _expired(upload_id) from exc

    def _run(self, job: _Job, offset: int) -> ChunkedUpload:
        job.budget = self._transport.retry_budget("PUT", sleep=self._sleep)
        job.progress.start(job.size, desc=job.filename)
        try:
            return self._send_all(job, offset)
        finally:
            job.progress.finish()

    def _send_all(self, job: _Job, offset: int) -> ChunkedUpload:
        while True:
            while job.upload_id is None or offset < job.size:
                offset = self._send_chunk(job, offset)
            result = self._finish(job)
            if isinstance(result, ChunkedUpload):
                return result
            offset = result  # the server has fewer bytes than we thought: send the rest again

    def _send_chunk(self, job: _Job, offset: int) -> int:
        """Send the chunk at ``offset``; return the server's next offset."""
        end = min(offset + job.chunk_size, job.size)
        if job.hash.seek(job.file, offset, self._block_size):
            job.progress.update(offset, job.size)
        job.hash.snapshot()

        def sink(block: bytes) -> None:
            job.hash.update(block)
            job.progress.update(job.hash.position, job.size)

        body = MultipartFileBody(
            job.file, offset=offset, length=end - offset, filename=job.filename,
            fields={"filename": job.filename}, sink=sink, block_size=self._block_size,
        )
        content_range = f"bytes {offset}-{end - 1}/{job.size}" if end > offset else f"bytes */{job.size}"
        headers = {"Content-Type": body.content_type, "Content-Range": content_range}
        try:
            # retry=False: this loop resumes from the server's offset itself.
            answer = self._transport.request(
                "PUT", job.url or "chunked_upload/", data=body, headers=headers, retry=False
            )
        except (TransportError, ClientError) as exc:
            if body.error is not None:
                msg = f"could not read {job.path}: {body.error}"
                raise UploadError(msg, upload_id=job.upload_id) from exc
            return self._after_failure(job, exc, offset)
        if job.upload_id is None:
            job.upload_id = str(answer["id"])
            job.url = str(answer.get("url") or self._state_path(job.upload_id))
        new_offset = int(answer.get("offset", end))
        if new_offset > offset:
            _budget(job).progressed()
        self._save_record(job, new_offset)
        return new_offset

    def _after_failure(self, job: _Job, exc: Exception, offset: int) -> int:
        """Decide what to do after a chunk failed; return the offset to go on from."""
        offset_mismatch = isinstance(exc, ValidationError) and "offset" in _body(exc)
        if isinstance(exc, Gone):
            raise _expired(job.upload_id) from exc
        if not (offset_mismatch or _budget(job).retryable(exc)):
            if isinstance(exc, (TransportError, ServerError)):
                raise _stopped(job, offset, exc) from exc  # resumable later, not retried now
            raise exc
        self._count_failure(job, exc, offset)
        if offset_mismatch:
            return int(_body(exc)["offset"])  # API.md: the answer carries the server's offset
        if job.upload_id is None:
            return 0  # the upload was never created (as far as we know): start over
        return int(self._job_state(job, offset).get("offset") or 0)

    def _job_state(self, job: _Job, offset: int) -> dict[str, Any]:
        """The server's state of a running upload; a server out of reach ends it resumably."""
        assert job.upload_id is not None
        try:
            return self._state(job.upload_id)
        except TransportError as exc:
            raise UploadError(
                f"upload {job.upload_id} of {job.filename} stopped at offset {offset}: {exc}; "
                "continue it with client.uploads.resume(path)",
                upload_id=job.upload_id,
            ) from exc

    def _count_failure(self, job: _Job, exc: Exception, offset: int) -> None:
        """Wait as the retry plan says before going on, or end the upload resumably."""
        budget = _budget(job)
        retry_after = getattr(exc, "retry_after", None)
        if budget.wait(retry_after) is None:
            if retry_after is not None and retry_after > budget.plan.policy.retry_after_max:
                why = f"the server asked to wait {retry_after:g} s (more than retry_after_max)"
            else:
                why = f"after {budget.failures} attempts"
            raise _stopped(job, offset, exc, why) from exc

    def _finish(self, job: _Job) -> ChunkedUpload | int:
        """POST the MD5; return the completed upload, or an offset to resend from."""
        assert job.upload_id is not None and job.url is not None
        job.hash.seek(job.file, job.size, self._block_size)
        md5 = job.hash.hexdigest()
        self._check_unchanged(job)
        while True:
            try:
                answer = self._transport.request("POST", job.url, json={"md5": md5}, retry=False)
            except ValidationError as exc:
                if "offset" in _body(exc):
                    self._count_failure(job, exc, job.size)
                    return int(_body(exc)["offset"])
                if _is_checksum_mismatch(exc):
                    self.records.delete(self._transport.base_url, job.path, job.upload_id)
                    raise _mismatch(job, md5, _server_md5(_body(exc))) from exc
                raise
            except Gone as exc:
                raise _expired(job.upload_id) from exc
            except (TransportError, ClientError) as exc:
                if not _budget(job).retryable(exc):
                    raise
                # The answer may be lost while the server completed the upload: read its state
                # before sending anything again.
                self._count_failure(job, exc, job.size)
                state = self._job_state(job, job.size)
                if state.get("status") == _STATUS_COMPLETE:
                    return self._completed(job, state)
                server_offset = int(state.get("offset") or 0)
                if server_offset < job.size:
                    return server_offset
                continue
            # The server's checksum is checked in its own form (MD5 here, or SHA-1 ...).
            self._check(answer.get("checksum"), job.hash.hexdigests(),
                        what=f"upload {job.upload_id} of {job.filename}", upload_id=job.upload_id)
            return self._completed(job, answer)

    def _completed(self, job: _Job, answer: dict[str, Any]) -> ChunkedUpload:
        assert job.upload_id is not None
        self.records.delete(self._transport.base_url, job.path, job.upload_id)
        return ChunkedUpload(
            id=job.upload_id,
            size=int(answer.get("size", job.size) if answer.get("size") is not None else job.size),
            checksum=job.hash.hexdigest(),
            filename=str(answer.get("filename") or job.filename),
            url=job.url or self._state_path(job.upload_id),
            completed_at=answer.get("completed_at"),
            digests=job.hash.hexdigests(),
        )

    def _check_unchanged(self, job: _Job) -> None:
        st = os.stat(job.file.fileno())
        if st.st_size != job.size or st.st_mtime_ns != job.mtime_ns:
            raise UploadError(
                f"{job.path} changed while it was being uploaded (size or modification time differ); "
                "start a new upload",
                upload_id=job.upload_id,
            )

    def _save_record(self, job: _Job, offset: int) -> None:
        assert job.upload_id is not None and job.url is not None
        self.records.save(
            ResumeRecord(
                path=os.path.abspath(job.path), size=job.size, mtime_ns=job.mtime_ns, upload_id=job.upload_id,
                url=job.url, chunk_size=job.chunk_size, base_url=self._transport.base_url, offset=offset,
            )
        )



def _stopped(job: _Job, offset: int, exc: BaseException, why: str = "") -> UploadError:
    """The error that ends an upload part way: where it stopped, why, and how to go on."""
    where = f"upload {job.upload_id}" if job.upload_id else "the upload"
    hint = "; continue it with client.uploads.resume(path)" if job.upload_id else ""
    because = f" {why}" if why else ""
    return UploadError(
        f"{where} of {job.filename} failed at offset {offset}{because}: {exc}{hint}", upload_id=job.upload_id
    )


def _budget(job: _Job) -> RetryBudget:
    assert job.budget is not None, "the budget is set when the upload starts (_run)"
    return job.budget


def _body(exc: BaseException) -> dict[str, Any]:
    body = getattr(exc, "body", None)
    return body if isinstance(body, dict) else {}


def _is_checksum_mismatch(exc: ClientError) -> bool:
    text = f"{exc.detail} {_body(exc).get('detail', '')}".lower()
    return "md5" in text or "checksum" in text


def _server_md5(body: dict[str, Any]) -> str | None:
    for key in ("checksum", "server_md5", "actual", "computed"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _expired(upload_id: str | None) -> UploadError:
    return UploadError(f"upload {upload_id} expired on the server (410); start again", upload_id=upload_id)


def _mismatch(job: _Job, local: str, server: str | None) -> UploadError:
    theirs = server if server is not None else "not reported"
    return UploadError(
        f"MD5 checksum mismatch for upload {job.upload_id} of {job.filename}: "
        f"client computed {local}, server computed {theirs}",
        upload_id=job.upload_id, expected=local, actual=server,
    )
