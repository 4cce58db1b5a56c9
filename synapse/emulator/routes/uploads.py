"""Chunked upload (API.md): Content-Range checks, resumable offsets, MD5 on finish, expiry.

Rules enforced, with drf-chunked-upload's messages: a chunk must start at the current
offset (``400 {"detail": "Offsets do not match", "offset": N}``), its size must match its
header, a finished upload takes no more chunks, an upload untouched for ``upload_expiry``
seconds (24 h) answers 410. Empty files (HELPERS_COMMON.md): one PUT with an empty ``file``
part and ``Content-Range: bytes */0``, then the finishing POST with the MD5 of nothing.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from synapse.emulator.clock import iso
from synapse.emulator.context import Ctx
from synapse.emulator.multipart import DiscardSink, HashingSink
from synapse.emulator.routes import Route
from synapse.emulator.validation import Str, validate
from synapse.emulator.wire import ApiError, not_found

_RANGE = re.compile(r"^bytes (\d{1,18})-(\d{1,18})/(\d{1,18}|\*)$")
_EMPTY_RANGE = re.compile(r"^bytes \*/0$")
_UPLOAD_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")
UPLOAD_SELECT = 'id, filename, "offset", status, path, md5, touched, completed_at'


def _error(detail: str, **extra: Any) -> ApiError:
    return ApiError(400, {"detail": detail, **extra})


def _content_range(ctx: Ctx) -> tuple[int, int | None]:
    """``(start, expected size)`` from Content-Range; no header means a whole file from 0."""
    raw = ctx.environ.get("HTTP_CONTENT_RANGE")
    if raw is None:
        return 0, None
    raw = raw.strip()
    if _EMPTY_RANGE.match(raw):
        return 0, 0
    match = _RANGE.match(raw)
    if not match:
        raise _error("Error in request headers")
    start, end = int(match.group(1)), int(match.group(2))
    total = match.group(3)
    if end < start or (total != "*" and end >= int(total)):
        raise _error("Error in request headers")
    return start, end - start + 1


def _load(db: sqlite3.Connection, ctx: Ctx, upload_id: str, *, for_write: bool) -> Sequence[Any]:
    row = db.execute(f"SELECT {UPLOAD_SELECT} FROM uploads WHERE id = ?", (upload_id,)).fetchone()
    if row is None:
        raise not_found()
    if row[3] != 2 and ctx.backend.clock.now() - row[6] > ctx.backend.settings.upload_expiry:
        raise ApiError(410, {"detail": "Upload has expired"})
    if for_write and row[3] == 2:
        raise _error("Upload has already been marked as complete")
    return row  # type: ignore[no-any-return]


def _expires(ctx: Ctx, touched: float) -> str:
    return iso(touched + ctx.backend.settings.upload_expiry)


def _upload_url(ctx: Ctx, upload_id: str) -> str:
    return ctx.url(f"chunked_upload/{upload_id}/")


def put_chunk(ctx: Ctx, upload_id: str | None = None) -> Any:
    """``PUT chunked_upload/`` (first chunk) and ``PUT chunked_upload/{id}/`` (next chunks)."""
    backend = ctx.backend
    if upload_id is not None and not _UPLOAD_ID.match(upload_id):
        raise not_found()
    start, expected = _content_range(ctx)
    new = upload_id is None
    upload_id = upload_id or str(uuid.uuid4())
    with backend.uploads.lock(upload_id):
        if new:
            offset, filename, path = 0, "", backend.data_dir / "uploads" / upload_id
        else:
            with backend.store.read() as db:
                row = _load(db, ctx, upload_id, for_write=True)
            offset, filename, path = row[2], row[1], Path(row[4])
        if start != offset:
            raise _error("Offsets do not match", offset=offset)
        hasher = backend.uploads.hasher(upload_id, offset, path).copy()

        def open_part(name: str, part_filename: str | None) -> HashingSink:
            if name != "file":
                return DiscardSink()
            return HashingSink(path, start, hasher)

        fields, files = ctx.multipart(open_part)
        sink = files.get("file")
        if sink is None:
            raise _error("No chunk file was submitted")
        if expected is not None and sink.size != expected:
            sink.rollback()
            raise _error("File size doesn't match headers")
        filename = fields.get("filename") or filename or sink.filename or ""
        now = backend.clock.now()
        try:
            with backend.store.write() as db:
                if new:
                    db.execute(
                        'INSERT INTO uploads (id, filename, "offset", status, path, touched, created) '
                        "VALUES (?, ?, ?, 1, ?, ?, ?)",
                        (upload_id, filename, start + sink.size, str(path), now, iso(now)),
                    )
                else:
                    db.execute(
                        'UPDATE uploads SET filename = ?, "offset" = ?, touched = ? WHERE id = ?',
                        (filename, start + sink.size, now, upload_id),
                    )
        except BaseException:
            sink.rollback()
            raise
        backend.uploads.save(upload_id, start + sink.size, hasher)
    return {
        "id": upload_id,
        "url": _upload_url(ctx, upload_id),
        "offset": start + sink.size,
        "expires": _expires(ctx, now),
    }


def get_upload(ctx: Ctx, upload_id: str) -> Any:
    """``GET chunked_upload/{id}/``: the upload's state."""
    if not _UPLOAD_ID.match(upload_id):
        raise not_found()
    with ctx.backend.store.read() as db:
        row = _load(db, ctx, upload_id, for_write=False)
    return {
        "id": row[0],
        "url": _upload_url(ctx, row[0]),
        "offset": row[2],
        "filename": row[1],
        "status": row[3],
        "completed_at": row[7],
        "expires": _expires(ctx, row[6]),
    }


def finish_upload(ctx: Ctx, upload_id: str) -> Any:
    """``POST chunked_upload/{id}/`` ``{"md5": ...}``: verify the MD5 and complete."""
    if not _UPLOAD_ID.match(upload_id):
        raise not_found()
    data = validate(ctx.json(), {"md5": Str(required=True, max_length=64)})
    backend = ctx.backend
    with backend.uploads.lock(upload_id):
        with backend.store.read() as db:
            row = _load(db, ctx, upload_id, for_write=True)
        digest = backend.uploads.hasher(upload_id, row[2], Path(row[4])).hexdigest()
        if digest != data["md5"].strip().lower():
            # Beyond API.md: the server's own digest, so the client can name both (UploadError).
            raise _error("md5 checksum does not match", checksum=digest)
        completed_at = backend.clock.iso()
        with backend.store.write() as db:
            db.execute(
                "UPDATE uploads SET status = 2, md5 = ?, completed_at = ?, touched = ? WHERE id = ?",
                (digest, completed_at, backend.clock.now(), upload_id),
            )
        backend.uploads.forget(upload_id)
    return {
        "id": upload_id,
        "filename": row[1],
        "size": row[2],
        "checksum": digest,
        "status": 2,
        "completed_at": completed_at,
    }


ROUTES = [
    Route("chunked_upload/", PUT=put_chunk),
    Route("chunked_upload/<upload_id>/", GET=get_upload, PUT=put_chunk, POST=finish_upload),
]
