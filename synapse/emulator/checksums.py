"""Data-file checksums in the digest a deployment uses (``Emulator(checksum="sha1")``).

The backend answers a data file's ``checksum`` as the hex digest of its bytes: MD5 by
default, SHA-1 on some deployments (API.md). Units name their files by that checksum, so a
seeded workspace is re-hashed once, files, units and ground-truth events together.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from synapse.emulator.store import Store

__all__ = ["CHECKSUMS", "file_digest", "new_hasher", "rehash_data_files"]

#: The digests ``Emulator(checksum=...)`` accepts.
CHECKSUMS = ("md5", "sha1", "sha256")
_BLOCK = 1 << 20


def new_hasher(algorithm: str) -> Any:
    """A fresh hasher for ``algorithm`` (one of ``CHECKSUMS``)."""
    if algorithm not in CHECKSUMS:
        raise ValueError(f"unknown checksum {algorithm!r}; known: {', '.join(CHECKSUMS)}")
    return hashlib.new(algorithm)


def file_digest(path: str | Path, algorithm: str) -> str:
    """The hex digest of a file on disk."""
    hasher = new_hasher(algorithm)
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            hasher.update(block)
    return str(hasher.hexdigest())


def _retag(files_json: str, mapping: dict[str, str]) -> str:
    files = json.loads(files_json)
    if isinstance(files, dict):
        for entry in files.values():
            if isinstance(entry, dict) and entry.get("checksum") in mapping:
                entry["checksum"] = mapping[entry["checksum"]]
    return json.dumps(files, separators=(",", ":"))


def rehash_data_files(store: Store, algorithm: str) -> None:
    """Recompute every data file's checksum in ``algorithm`` and rename it where units and events cite it."""
    with store.write() as db:
        mapping: dict[str, str] = {}
        updates = []
        for pk, checksum, path, content in db.execute(
            "SELECT id, checksum, path, content FROM data_files"
        ).fetchall():
            if content is not None:
                hasher = new_hasher(algorithm)
                hasher.update(content)
                digest = str(hasher.hexdigest())
            elif path is not None and Path(path).is_file():
                digest = file_digest(path, algorithm)
            else:
                continue
            mapping[checksum] = digest
            updates.append((digest, pk))
        db.executemany("UPDATE data_files SET checksum = ? WHERE id = ?", updates)
        units = db.execute("SELECT id, checksum, files FROM data_units").fetchall()
        db.executemany(
            "UPDATE data_units SET checksum = ?, files = ? WHERE id = ?",
            [(mapping.get(checksum, checksum), _retag(files, mapping), pk) for pk, checksum, files in units],
        )
        events = db.execute("SELECT pgh_id, files FROM ground_truth_events").fetchall()
        db.executemany(
            "UPDATE ground_truth_events SET files = ? WHERE pgh_id = ?",
            [(_retag(files, mapping), pk) for pk, files in events],
        )
