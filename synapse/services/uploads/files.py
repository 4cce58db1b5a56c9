"""Local-file checks and the running MD5 shared by the upload paths."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from synapse.errors import UploadError

__all__ = ["RunningMD5", "StrPath", "check_chunk_size", "check_file", "md5_of_file", "open_for_upload"]

StrPath = str | os.PathLike[str]


def check_chunk_size(chunk_size: object) -> int:
    """Return ``chunk_size`` if it is a positive int.

    Raises:
        TypeError: when it is not an int (``bool`` and ``float`` included).
        ValueError: when it is zero or negative.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise TypeError(f"chunk_size must be an int number of bytes, not {type(chunk_size).__name__}")
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be > 0 bytes, got {chunk_size}")
    return chunk_size


def check_file(path: StrPath) -> tuple[Path, os.stat_result]:
    """Check that ``path`` names a regular file and return it with its ``stat``.

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: it is a directory.
        ValueError: it is something else that is not a regular file (a FIFO, a device).
    """
    p = Path(os.fspath(path))
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FileNotFoundError(2, "No such file to upload", str(p)) from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory, not a file to upload", str(p))
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"not a regular file: {p}")
    return p, st


def open_for_upload(path: Path) -> BinaryIO:
    """Open ``path`` for reading, unbuffered (the bodies read big blocks themselves).

    Raises:
        PermissionError: the file cannot be read.
    """
    return path.open("rb", buffering=0)


def md5_of_file(path: StrPath, block_size: int = 1024 * 1024) -> tuple[str, int]:
    """Return the MD5 hex digest and size of a file, read once in blocks."""
    p, _ = check_file(path)
    md5 = hashlib.md5()
    size = 0
    with open_for_upload(p) as fh:
        while block := fh.read(block_size):
            md5.update(block)
            size += len(block)
    return md5.hexdigest(), size


class RunningMD5:
    """The MD5 of ``[0, position)`` of a file, with snapshots to roll back to.

    A snapshot (``md5.copy()``, about 100 bytes) is taken at each chunk start; :meth:`seek` moves
    the hash to any offset by restoring the nearest snapshot at or before it, or going forward
    from the current position, and re-reading only the bytes in between. Only the last
    ``keep`` snapshots (and the one at 0) are kept, so memory stays flat with tiny chunks and
    huge files; a server that lost more than that many chunks costs a longer re-read.
    """

    keep = 8

    def __init__(self) -> None:
        self.md5 = hashlib.md5()
        self.position = 0
        self._snapshots: dict[int, Any] = {0: hashlib.md5()}

    def update(self, block: bytes) -> None:
        """Hash the next ``block`` of the file."""
        self.md5.update(block)
        self.position += len(block)

    def snapshot(self) -> None:
        """Remember the hash state at the current position."""
        if self.position not in self._snapshots:
            self._snapshots[self.position] = self.md5.copy()
            if len(self._snapshots) > self.keep + 1:
                del self._snapshots[min(k for k in self._snapshots if k)]

    def seek(self, file: BinaryIO, target: int, block_size: int) -> int:
        """Make the hash cover exactly ``[0, target)``; return how many bytes were re-read.

        Raises:
            UploadError: the file is shorter than ``target``.
        """
        if target == self.position:
            return 0
        base = max(k for k in self._snapshots if k <= target)
        if base <= self.position <= target:  # going forward from here reads less
            base = self.position
        else:
            self.md5, self.position = self._snapshots[base].copy(), base
        file.seek(base)
        while self.position < target:
            block = file.read(min(block_size, target - self.position))
            if not block:
                raise UploadError(f"the file is shorter than the server's offset {target}")
            self.update(block)
        return target - base

    def hexdigest(self) -> str:
        """The MD5 hex digest of ``[0, position)``."""
        return str(self.md5.hexdigest())
