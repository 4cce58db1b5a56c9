"""A local folder of downloaded files, named by checksum: fetched once, verified, written atomically.

Used by ``task.render()`` (the primary file of a task) and ``synapse.datasets`` (every file of a
dataset). The bytes come through ``synapse.services.downloads`` (the transport's origin rules
apply: credentials never go to another host). A file is downloaded into ``<dir>/.partial/``,
its digest checked against the checksum the API gave (MD5, SHA-1 or SHA-256, told apart by
length), and only then renamed to ``<dir>/<checksum><ext>``: a name in the folder is always a
complete, verified file, so "present" means "done" and an interrupted run resumes by skipping
what is there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from synapse.errors import TransportError

if TYPE_CHECKING:
    from synapse.transport import Transport

__all__ = ["CACHE_ENV", "cache_name", "default_cache_dir", "fetch", "file_digest", "matches"]

#: The environment variable naming the file cache folder.
CACHE_ENV = "SYNAPSE_CACHE_DIR"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_EXT = re.compile(r"\.[A-Za-z0-9]{1,8}")
_ALGORITHMS = {32: "md5", 40: "sha1", 64: "sha256"}
_BLOCK = 1024 * 1024


def default_cache_dir() -> Path:
    """``$SYNAPSE_CACHE_DIR``, else ``~/.cache/synapse/files``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "synapse" / "files"


def cache_name(checksum: str | None, url: str) -> str:
    """The file name a download is cached under: ``<checksum><ext>``.

    The extension is the URL path's (``.png``); a checksum that is not a plain token, or none,
    is replaced by the SHA-256 of the URL's path (the query of a pre-signed URL changes, its path
    does not).
    """
    path = unquote(urlsplit(url).path)
    suffix = os.path.splitext(path)[1]
    ext = suffix.lower() if _EXT.fullmatch(suffix) else ""
    if checksum and _SAFE.fullmatch(checksum):
        return f"{checksum.lower()}{ext}"
    return f"url-{hashlib.sha256(path.encode('utf-8')).hexdigest()[:40]}{ext}"


def file_digest(path: str | os.PathLike[str], algorithm: str) -> str:
    """The hex digest of a file, read in blocks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def matches(path: str | os.PathLike[str], checksum: str | None) -> bool | None:
    """Whether the file's digest is ``checksum``; None when the checksum's algorithm is unknown."""
    if not checksum:
        return None
    algorithm = _ALGORITHMS.get(len(checksum))
    if algorithm is None or not all(c in "0123456789abcdefABCDEF" for c in checksum):
        return None
    return file_digest(path, algorithm) == checksum.lower()


def fetch(
    transport: Transport,
    url: str,
    directory: str | os.PathLike[str],
    *,
    checksum: str | None = None,
    name: str | None = None,
    progress: Any = None,
) -> tuple[Path, bool]:
    """Return the cached copy of ``url`` in ``directory``, downloading it first when absent.

    Args:
        transport: what fetches the URL (``client.transport``).
        url: the file URL the API handed out.
        directory: the cache folder (created when missing).
        checksum: the file's checksum from the API; verified after the download.
        name: the name to cache under (default: :func:`cache_name`).
        progress: a ``progress=`` argument for the bytes of this one file.

    Returns:
        ``(path, downloaded)``: ``downloaded`` is False when the file was already there.

    Raises:
        TransportError: the bytes do not match ``checksum`` (nothing is kept), or the download broke.
        UnsafeURLError: the URL's host cannot be sent to.
        ClientError: the server refused the download.
    """
    from synapse.services import downloads

    root = Path(directory).expanduser()
    target = root / (name or cache_name(checksum, url))
    if target.is_file():
        return target, False
    (root / ".partial").mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root / ".partial"))  # one per fetch: parallel fetches never meet
    try:
        written = downloads.download(transport, url, staging, filename=target.name, progress=progress)
        if matches(written, checksum) is False:
            where = urlsplit(url).path
            raise TransportError(
                f"GET {where}: the downloaded file does not match its checksum {checksum}; it was not kept",
                method="GET", path=where,
            )
        os.replace(written, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, True
