"""What ``upload_many`` sends to executor workers: module-level functions of picklable arguments.

With a process pool (or a Dask cluster) each task travels pickled: a path string, a
``synapse.Client`` (which pickles as its configuration and re-creates its session on the worker)
and the submitting process's id. In a worker *process*, clients unpickled from equal
configurations are replaced by one cached client per configuration, so a worker keeps one
connection pool for all its tasks instead of opening a session per file. In the submitting
process (thread pools), the caller's own client is used as is.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from synapse.services.uploads.files import md5_of_file
from synapse.services.uploads.service import UploadService

if TYPE_CHECKING:
    from synapse.client import Client

__all__ = ["create_data_file_task", "hash_file_task"]

_clients: dict[Any, Client] = {}
_clients_lock = threading.Lock()


def _worker_client(client: Client, parent_pid: int) -> Client:
    if os.getpid() == parent_pid:
        return client
    try:
        key = client.config
        hash(key)
    except (AttributeError, TypeError):
        return client
    with _clients_lock:
        return _clients.setdefault(key, client)


def hash_file_task(path: str) -> tuple[str, int]:
    """Return ``(md5 hex, size)`` of a local file (one read, in blocks)."""
    return md5_of_file(path)


def create_data_file_task(client: Client, path: str, parent_pid: int) -> dict[str, Any]:
    """Create a data file from ``path`` (direct or chunked by size) and return the server's answer."""
    worker = _worker_client(client, parent_pid)
    service = getattr(worker, "uploads", None)
    if not isinstance(service, UploadService):
        service = UploadService(worker)
    return service.create_data_file(path)
