"""Streaming multipart parsing (werkzeug's parser) straight to disk, hashing MD5 on the way.

A file part is never held in memory: each block werkzeug decodes is written to its file and
fed to the MD5 hasher at once, so the digest is computed while reading, never by reading
the file twice (API.md, chunked upload).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import File
from werkzeug.wsgi import get_input_stream

from synapse.emulator.wire import ApiError

__all__ = ["DiscardSink", "HashingSink", "UploadHashes", "parse_multipart"]

_BUFFER = 1024 * 1024
_FORM_MEMORY = 16 * 1024 * 1024


class HashingSink:
    """A file part's destination: writes to ``path`` from ``start`` and feeds ``hasher``.

    Args:
        path: the file to write (created when missing).
        start: the byte offset to write at (the file is truncated there first).
        hasher: the running MD5 to update (a copy for chunks, so a failed chunk costs nothing).
    """

    def __init__(self, path: Path, start: int = 0, hasher: Any = None) -> None:
        self.path = path
        self.start = start
        self.hasher = hasher if hasher is not None else hashlib.md5()
        self.size = 0
        self.complete = False
        self.part_name = ""
        self.filename: str | None = None
        self._file: IO[bytes] | None = None

    def _open(self) -> IO[bytes]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            handle = os.fdopen(fd, "r+b", buffering=0)
            handle.truncate(self.start)
            handle.seek(self.start)
            self._file = handle
        return self._file

    def write(self, data: bytes) -> int:
        """Write and hash one block."""
        self._open().write(data)
        self.hasher.update(data)
        self.size += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Called by werkzeug when the part ends: mark it complete."""
        self.complete = True
        return 0

    def tell(self) -> int:
        """Bytes written so far."""
        return self.size

    def read(self, size: int = -1) -> bytes:
        """Not readable: the bytes went to disk."""
        return b""

    def close(self) -> None:
        """Close the file (creating it when the part was empty)."""
        self._open()
        if self._file is not None:
            self._file.close()

    def rollback(self) -> None:
        """Cut the file back to where this part started."""
        self.close()
        if self.path.exists():
            with open(self.path, "r+b") as handle:
                handle.truncate(self.start)


class DiscardSink(HashingSink):
    """A file part nobody asked for: counted and dropped."""

    def __init__(self) -> None:
        super().__init__(Path(os.devnull))

    def write(self, data: bytes) -> int:
        """Count the block."""
        self.size += len(data)
        return len(data)

    def close(self) -> None:
        """Nothing to close."""

    def rollback(self) -> None:
        """Nothing to undo."""


OpenPart = Callable[[str, "str | None"], HashingSink]


class _Parser(MultiPartParser):
    def __init__(self, open_part: OpenPart) -> None:
        super().__init__(max_form_memory_size=_FORM_MEMORY, buffer_size=_BUFFER, max_form_parts=1000)
        self._open_part = open_part
        self.sinks: list[HashingSink] = []

    def start_file_streaming(self, event: File, total_content_length: int | None) -> IO[bytes]:
        sink = self._open_part(event.name, event.filename)
        sink.part_name = event.name
        sink.filename = event.filename
        self.sinks.append(sink)
        return sink  # type: ignore[return-value]


def parse_multipart(
    environ: dict[str, Any], open_part: OpenPart
) -> tuple[MultiDict[str, str], dict[str, HashingSink]]:
    """Parse a ``multipart/form-data`` body, streaming each file part into ``open_part(name, filename)``.

    Returns:
        The non-file fields, and ``{part name: sink}`` of the file parts that completed.

    Raises:
        ApiError: 415 for another media type, 400 for a malformed body (sinks rolled back).
    """
    mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
    if mimetype != "multipart/form-data":
        raise ApiError(415, {"detail": f'Unsupported media type "{mimetype}" in request.'})
    boundary = options.get("boundary", "").encode("latin-1", "replace")
    if not boundary:
        raise ApiError(400, {"detail": "Multipart form parse error - Invalid boundary in multipart: None"})
    parser = _Parser(open_part)
    stream = get_input_stream(environ)
    length = environ.get("CONTENT_LENGTH")
    try:
        fields, _files = parser.parse(stream, boundary, int(length) if length else None)
    except (ValueError, RequestEntityTooLarge, OSError) as exc:
        for sink in parser.sinks:
            sink.rollback()
        raise ApiError(400, {"detail": f"Multipart form parse error - {exc}"}) from None
    finally:
        for sink in parser.sinks:
            sink.close()
    complete = {}
    for sink in parser.sinks:
        if sink.complete:
            complete[sink.part_name] = sink
        else:
            sink.rollback()
    return fields, complete


class UploadHashes:
    """The running MD5 of each open chunked upload, kept between its chunks.

    After a restart the state is rebuilt once from the bytes on disk; then hashing goes on
    chunk by chunk again. One lock per upload serialises its chunks.
    """

    def __init__(self) -> None:
        self._states: dict[str, tuple[int, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def lock(self, upload_id: str) -> threading.Lock:
        """The lock serialising one upload's chunks."""
        with self._guard:
            return self._locks.setdefault(upload_id, threading.Lock())

    def hasher(self, upload_id: str, offset: int, path: Path) -> Any:
        """The MD5 state of the first ``offset`` bytes of the upload."""
        state = self._states.get(upload_id)
        if state is not None and state[0] == offset:
            return state[1]
        hasher = hashlib.md5()
        if offset and path.exists():
            with open(path, "rb") as handle:
                remaining = offset
                while remaining > 0:
                    block = handle.read(min(_BUFFER, remaining))
                    if not block:
                        break
                    hasher.update(block)
                    remaining -= len(block)
        self._states[upload_id] = (offset, hasher)
        return hasher

    def save(self, upload_id: str, offset: int, hasher: Any) -> None:
        """Keep the state after an accepted chunk."""
        self._states[upload_id] = (offset, hasher)

    def forget(self, upload_id: str) -> None:
        """Drop the state of a finished upload."""
        self._states.pop(upload_id, None)
        with self._guard:
            self._locks.pop(upload_id, None)
