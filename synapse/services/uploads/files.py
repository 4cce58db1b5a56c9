"""Local-file checks, and the running digests (MD5, SHA-1, ...) shared by the upload paths.

A data file's ``checksum`` is the hex digest of its bytes in the form the server uses: MD5 by
default, SHA-1 on some deployments, maybe SHA-256 (API.md). Its length names its algorithm
(32, 40 or 64 hex digits, see :func:`digest_algorithm`). The upload paths hash every block once,
as it is sent, with several algorithms at the same time (:class:`RunningDigests`), so whichever
form the server answers in is checked without reading the file again; a form the client did
not compute, or cannot recognise, is never a failure (:func:`check_checksum` says so at DEBUG
on the ``synapse`` logger).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from synapse.errors import UploadError

__all__ = [
    "DEFAULT_DIGESTS",
    "DIGEST_ALGORITHMS",
    "RunningDigests",
    "RunningMD5",
    "StrPath",
    "check_checksum",
    "check_chunk_size",
    "check_file",
    "digest_algorithm",
    "file_digests",
    "md5_of_file",
    "open_for_upload",
]

logger = logging.getLogger("synapse")

#: The algorithm a hex digest's length names (API.md: MD5 by default, SHA-1 on some deployments).
DIGEST_ALGORITHMS: Mapping[int, str] = {32: "md5", 40: "sha1", 64: "sha256"}
#: What the upload paths compute while reading: MD5 (the chunked protocol's own check) and SHA-1.
#: SHA-1 costs less than MD5 per byte, so checking either form adds well under half a pass of CPU.
DEFAULT_DIGESTS: tuple[str, ...] = ("md5", "sha1")
_HEX = frozenset("0123456789abcdefABCDEF")
_NAMES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256"}

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


def digest_algorithm(checksum: object) -> str | None:
    """The algorithm a hex digest's form names: ``"md5"`` (32 hex digits), ``"sha1"`` (40), ``"sha256"`` (64).

    Returns:
        The ``hashlib`` name, or None for anything else (not a str, not hex, another length).
    """
    if not isinstance(checksum, str) or not _HEX.issuperset(checksum):
        return None
    return DIGEST_ALGORITHMS.get(len(checksum))


def _algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    """``algorithms`` with MD5 first and no repeats (MD5 is what the chunked protocol checks)."""
    return tuple(dict.fromkeys(("md5", *algorithms)))


def file_digests(
    path: StrPath, algorithms: Iterable[str] = DEFAULT_DIGESTS, block_size: int = 1024 * 1024
) -> tuple[dict[str, str], int]:
    """Return ``({algorithm: hex digest}, size)`` of a file, read once in blocks (MD5 always included)."""
    p, _ = check_file(path)
    digests = RunningDigests(algorithms)
    with open_for_upload(p) as fh:
        while block := fh.read(block_size):
            digests.update(block)
    return digests.hexdigests(), digests.position


def check_checksum(
    server: object, digests: Mapping[str, str], *, what: str, upload_id: str | None = None
) -> bool:
    """Check the server's ``checksum`` against the digests computed while sending.

    The algorithm is the one the checksum's form names (:func:`digest_algorithm`). A form that
    names none, or an algorithm that was not computed, is not checked: that is never a failure,
    and it is logged at DEBUG on the ``synapse`` logger.

    Args:
        server: the ``checksum`` the server answered (anything; None when it sent none).
        digests: ``{algorithm: hex digest}`` of what was sent.
        what: what was uploaded, for the messages (``"data file cat.png"``).
        upload_id: the chunked upload's id, carried by the error.

    Returns:
        True when it was checked and matches, False when it could not be checked.

    Raises:
        UploadError: the digests differ (``expected`` is ours, ``actual`` the server's).
    """
    if server is None:
        return False
    algorithm = digest_algorithm(server)
    if algorithm is None:
        logger.debug("%s: the server's checksum %.80r is not a digest form the client knows; not checked",
                     what, server)
        return False
    ours = digests.get(algorithm)
    if ours is None:
        logger.debug("%s: the server answered a %s checksum, which was not computed while sending; "
                     "not checked", what, _NAMES.get(algorithm, algorithm))
        return False
    theirs = str(server).lower()
    if theirs != ours:
        raise UploadError(
            f"{_NAMES.get(algorithm, algorithm)} checksum mismatch for {what}: client computed {ours}, "
            f"server computed {theirs}",
            upload_id=upload_id, expected=ours, actual=theirs,
        )
    return True


class RunningDigests:
    """The digests of ``[0, position)`` of a file in several algorithms, with snapshots to roll back to.

    Every block is hashed once per algorithm as it is read (MD5 always, first; by default SHA-1
    too), so the checksum the server answers can be checked in the form it uses without
    reading the file again. A snapshot (a ``copy()`` of each hash, about 100 bytes each) is
    taken at each chunk start; :meth:`seek` moves the hashes to any offset by restoring the
    nearest snapshot at or before it, or going forward from the current position, and re-reading
    only the bytes in between. Only the last ``keep`` snapshots (and the one at 0) are kept, so
    memory stays flat with tiny chunks and huge files; a server that lost more than that many
    chunks costs a longer re-read.

    Args:
        algorithms: ``hashlib`` names to compute besides MD5 (default: ``DEFAULT_DIGESTS``).
    """

    keep = 8

    def __init__(self, algorithms: Iterable[str] = DEFAULT_DIGESTS) -> None:
        self.algorithms = _algorithms(algorithms)
        self._hashes = [hashlib.new(a) for a in self.algorithms]
        self.position = 0
        self._snapshots: dict[int, list[Any]] = {0: [h.copy() for h in self._hashes]}

    @property
    def md5(self) -> Any:
        """The running MD5 hash object."""
        return self._hashes[0]

    def update(self, block: bytes) -> None:
        """Hash the next ``block`` of the file."""
        for h in self._hashes:
            h.update(block)
        self.position += len(block)

    def snapshot(self) -> None:
        """Remember the hash states at the current position."""
        if self.position not in self._snapshots:
            self._snapshots[self.position] = [h.copy() for h in self._hashes]
            if len(self._snapshots) > self.keep + 1:
                del self._snapshots[min(k for k in self._snapshots if k)]

    def seek(self, file: BinaryIO, target: int, block_size: int) -> int:
        """Make the hashes cover exactly ``[0, target)``; return how many bytes were re-read.

        Raises:
            UploadError: the file is shorter than ``target``.
        """
        if target == self.position:
            return 0
        base = max(k for k in self._snapshots if k <= target)
        if base <= self.position <= target:  # going forward from here reads less
            base = self.position
        else:
            self._hashes, self.position = [h.copy() for h in self._snapshots[base]], base
        file.seek(base)
        while self.position < target:
            block = file.read(min(block_size, target - self.position))
            if not block:
                raise UploadError(f"the file is shorter than the server's offset {target}")
            self.update(block)
        return target - base

    def hexdigest(self) -> str:
        """The MD5 hex digest of ``[0, position)`` (what the chunked protocol's finishing POST sends)."""
        return str(self._hashes[0].hexdigest())

    def hexdigests(self) -> dict[str, str]:
        """``{algorithm: hex digest}`` of ``[0, position)``; its ``"md5"`` is what ``hexdigest()`` says."""
        out = {a: str(h.hexdigest()) for a, h in zip(self.algorithms, self._hashes, strict=True)}
        out["md5"] = self.hexdigest()
        return out


#: The former name of :class:`RunningDigests` (it computed MD5 only).
RunningMD5 = RunningDigests
