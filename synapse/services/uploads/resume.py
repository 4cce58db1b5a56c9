"""Resume records: a small JSON file per running chunked upload, so ``resume(path)`` needs only the path.

A record holds the file's path, size and mtime (to tell whether it changed since), the upload's
id and URL, the chunk size and the last offset the server confirmed. It is written when the server
creates the upload, rewritten (atomically, a few hundred bytes) after each chunk, and deleted when
the upload completes. Records live under ``$SYNAPSE_CACHE_DIR/uploads/`` or, without that variable,
``$XDG_CACHE_HOME/synapse/uploads/`` (``~/.cache/synapse/uploads/``). A record is keyed by the
backend's base URL and the file's absolute path: one record per file and backend.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import attrs

__all__ = ["ResumeRecord", "ResumeStore", "default_cache_dir"]

log = logging.getLogger("synapse.services.uploads.service")

_FORMAT = 1


def default_cache_dir() -> Path:
    """Return the directory resume records go to (read from the environment on each call)."""
    root = os.environ.get("SYNAPSE_CACHE_DIR")
    if root:
        return Path(root).expanduser() / "uploads"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "synapse" / "uploads"


@attrs.frozen
class ResumeRecord:
    """What is needed to continue an upload in another process.

    Attributes:
        path: the file's absolute path.
        size: its size in bytes when the upload started.
        mtime_ns: its modification time (ns) when the upload started.
        upload_id: the server's id of the upload.
        url: the upload's URL, as the server gave it.
        chunk_size: the chunk size in use.
        base_url: the backend the upload went to.
        offset: the last offset the server confirmed (informative; the server's state wins).
    """

    path: str
    size: int
    mtime_ns: int
    upload_id: str
    url: str
    chunk_size: int
    base_url: str
    offset: int = 0

    def matches(self, size: int, mtime_ns: int) -> bool:
        """Tell whether the file still has the size and mtime it had when the upload started."""
        return self.size == size and self.mtime_ns == mtime_ns


class ResumeStore:
    """Reads and writes resume records in one directory.

    Args:
        directory: where records live; ``None`` means ``default_cache_dir()`` at each use,
            so tests can point ``SYNAPSE_CACHE_DIR`` elsewhere.

    Writing never fails an upload: a record that cannot be written (read-only home, full disk)
    is logged at WARNING and the upload goes on, only without the ``resume(path)`` shortcut.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self._directory = Path(directory) if directory is not None else None

    @property
    def directory(self) -> Path:
        """The directory records are kept in."""
        return self._directory if self._directory is not None else default_cache_dir()

    def path_for(self, base_url: str, path: str | os.PathLike[str]) -> Path:
        """Return the record file for ``path`` uploaded to ``base_url``."""
        key = f"{base_url}\0{os.path.abspath(os.fspath(path))}"
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:40]
        return self.directory / f"{digest}.json"

    def load(self, base_url: str, path: str | os.PathLike[str]) -> ResumeRecord | None:
        """Return the record for ``path``, or None when there is none (or it is unreadable)."""
        file = self.path_for(base_url, path)
        try:
            data: Any = json.loads(file.read_text("utf-8"))
            if data.pop("format", None) != _FORMAT:
                return None
            return ResumeRecord(**data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            log.warning("ignoring unreadable upload resume record %s: %s", file, exc)
            return None

    def save(self, record: ResumeRecord) -> None:
        """Write ``record`` atomically (temporary file, then rename)."""
        file = self.path_for(record.base_url, record.path)
        data = {"format": _FORMAT, **attrs.asdict(record)}
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".rec-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                os.replace(tmp, file)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            log.warning("could not write upload resume record %s: %s", file, exc)

    def delete(self, base_url: str, path: str | os.PathLike[str], upload_id: str | None = None) -> None:
        """Remove the record for ``path`` (only if it names ``upload_id``, when given)."""
        file = self.path_for(base_url, path)
        if upload_id is not None:
            current = self.load(base_url, path)
            if current is None or current.upload_id != upload_id:
                return
        try:
            file.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete upload resume record %s: %s", file, exc)
