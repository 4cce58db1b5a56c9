"""SQLite storage of the emulator: one connection, one lock, explicit transactions.

Every write runs in ``with store.write() as db:`` (``BEGIN IMMEDIATE`` ... ``COMMIT``; any
exception rolls the whole request back, so a failed request leaves no partial rows). Reads
run in ``with store.read() as db:``. One connection guarded by a re-entrant lock keeps the
in-memory database shared by every server thread and is plenty fast under the GIL.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from synapse.emulator.schema import SCHEMA, TABLES

__all__ = ["SQLITE_MAX_INT", "Store"]

SQLITE_MAX_INT = 2**63 - 1


class Store:
    """The emulator's database.

    Args:
        path: a database file (created if missing, WAL journal) or ``None`` for in-memory.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path in (None, ":memory:") else Path(str(path))
        self._lock = threading.RLock()
        self._depth = 0
        target = str(self.path) if self.path is not None else ":memory:"
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """Hold the database for a consistent read."""
        with self._lock:
            yield self._conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run a transaction: commit at the end, roll back on any exception (nests)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a SQL query and return the rows as dicts (for tests and debugging).

        Example: ``emu.db.query("SELECT COUNT(*) AS n FROM tasks WHERE project = ?", [1])``.
        """
        with self._lock:
            cursor = self._conn.execute(sql, tuple(params))
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a SQL query and return the first column of the first row (or ``None``)."""
        with self._lock:
            row = self._conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else row[0]

    def count(self, table: str) -> int:
        """The number of rows in ``table``."""
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}")
        return int(self.scalar(f"SELECT COUNT(*) FROM {table}"))

    def fingerprint(self) -> str:
        """A digest of every row of every table: equal digests mean an unchanged database."""
        digest = hashlib.sha1()
        with self._lock:
            for table in TABLES:
                # Blob bytes are covered by their checksum column; hashing their repr is slow.
                columns = (
                    "id, checksum, size, filename, path, length(content)" if table == "data_files" else "*"
                )
                rows = self._conn.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()
                digest.update(repr(rows).encode())
        return digest.hexdigest()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()
