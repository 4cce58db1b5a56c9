"""What ``upload_many`` sends to executor workers: module-level functions of picklable arguments.

With a process pool (or a Dask cluster) each task travels pickled: a path string, the
``Transport`` (which pickles as its configuration and re-creates its session on the worker)
and the submitting process's id. In a worker *process*, transports unpickled from equal
configurations are replaced by one cached transport per configuration, so a worker keeps one
connection pool for all its tasks instead of opening a session per file. In the submitting
process (thread pools), the caller's own transport is used as is.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from synapse.services.uploads.files import file_digests
from synapse.services.uploads.service import UploadService
from synapse.transport import Transport

__all__ = ["create_data_file_task", "hash_file_task"]

_transports: dict[Any, Transport] = {}
_transports_lock = threading.Lock()


def _worker_transport(transport: Transport, parent_pid: int) -> Transport:
    if os.getpid() == parent_pid:
        return transport
    try:
        key = transport.config
        hash(key)
    except (AttributeError, TypeError):
        return transport
    with _transports_lock:
        return _transports.setdefault(key, transport)


def hash_file_task(path: str) -> tuple[dict[str, str], int]:
    """Return ``({"md5": hex, "sha1": hex}, size)`` of a local file (one read, in blocks)."""
    return file_digests(path)


def create_data_file_task(transport: Transport, path: str, parent_pid: int) -> dict[str, Any]:
    """Create a data file from ``path`` (direct or chunked by size) and return the server's answer."""
    return UploadService(_worker_transport(transport, parent_pid)).create_data_file(path)
