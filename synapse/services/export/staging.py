"""An export's staging: each page of tasks kept in ``<dest>/.synapse/items.sqlite``, committed on a thread.

The staging is what a ``since=`` run merges with and what the writer reads back when it cannot
write in the walk's pass (another order, media, a merge). See :mod:`synapse.services.export`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["Stager", "Staging"]

_ENCODERS = {
    sort: json.JSONEncoder(sort_keys=sort, separators=(",", ":"), default=str, check_circular=False)
    for sort in (False, True)
}
"""The staging's encoders, keys sorted or not (built once; decoded JSON has no cycles to check)."""


class Staging:
    """The staged records of an export in ``items.sqlite``: one row per page of tasks (or ground truths).

    Each committed page is one row of ``pages``: the task ids it holds (``keys``) and either the
    page's body as the server sent it (``body``: nothing is encoded again; the records are built
    from its rows when read back) or its records encoded once as one JSON list (``records``: pages
    that came without a body, such as a version's events). :meth:`get` finds a task's record
    through an index of the keys built on first use (a later page wins over an earlier one), then
    in the one-row-per-task ``items`` table and the one-file-per-task folder earlier versions staged.

    Commits come from the :class:`Stager`'s thread and reads from the caller's, never at the same time.
    """

    def __init__(
        self,
        staging: Path,
        *,
        record: Callable[[Mapping[str, Any]], dict[str, Any]],
        sort_keys: bool = True,
        fresh: bool = False,
    ) -> None:
        # Keys sorted unless the format's output does not depend on their order (the staging is
        # only ever read back by the format of the manifest's arguments).
        self.encode = _ENCODERS[sort_keys].encode
        self.record = record  # a row of a staged body -> its record
        self.legacy = staging / "items"  # one JSON file per task, as earlier versions staged
        self.db = sqlite3.connect(staging / "items.sqlite", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, record TEXT NOT NULL)")
        self.db.execute("CREATE TABLE IF NOT EXISTS pages (page INTEGER PRIMARY KEY, keys TEXT NOT NULL, "
                        "records TEXT NOT NULL, body BLOB)")
        if "body" not in {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}:
            self.db.execute("ALTER TABLE pages ADD COLUMN body BLOB")  # staged by an earlier version
        if fresh:  # a run without since= reads back only what it stages itself
            with self.db:
                self.db.execute("BEGIN")
                self.db.execute("DELETE FROM items")
                self.db.execute("DELETE FROM pages")
        self.index: dict[str, int] | None = None
        self.cached: tuple[int, dict[str, dict[str, Any]]] | None = None

    def commit(self, records: Sequence[Mapping[str, Any]], body: bytes | None = None) -> None:
        """Stage a page's records, all or none: as ``body`` (the page as received) when given."""
        if not records:
            return
        keys = json.dumps([record["task"] for record in records])
        encoded = "" if body is not None else self.encode(records)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("INSERT INTO pages (keys, records, body) VALUES (?, ?, ?)", (keys, encoded, body))
        self.index = None

    def get(self, task: Any) -> dict[str, Any]:
        """The staged record of ``task``."""
        key = json.dumps(task)
        if self.index is None:
            self.index = {}
            for page, keys in self.db.execute("SELECT page, keys FROM pages ORDER BY page"):
                for staged in json.loads(keys):
                    self.index[json.dumps(staged)] = page
        page = self.index.get(key)
        if page is not None:
            if self.cached is None or self.cached[0] != page:
                self.cached = (page, self._page(page))
            return self.cached[1][key]
        row = self.db.execute("SELECT record FROM items WHERE key = ?", (key,)).fetchone()
        text = row[0] if row is not None else (self.legacy / f"{task}.json").read_text(encoding="utf-8")
        value: dict[str, Any] = json.loads(text)
        return value

    def _page(self, page: int) -> dict[str, dict[str, Any]]:
        """The records of a staged page by key."""
        keys, encoded, body = self.db.execute("SELECT keys, records, body FROM pages WHERE page = ?",
                                              (page,)).fetchone()
        if body is None:
            records = json.loads(encoded)
            return {json.dumps(k): record for k, record in zip(json.loads(keys), records, strict=True)}
        decoded = json.loads(body)
        rows = decoded["results"] if isinstance(decoded, dict) else decoded
        wanted = {json.dumps(k) for k in json.loads(keys)}  # a slice may stage part of a page
        out = {}
        for row in rows:
            key = json.dumps(row["id"])
            if key in wanted:
                out[key] = self.record(row)
        return out

    def close(self) -> None:
        """Close the SQLite file."""
        self.db.close()


class Stager:
    """Stages pages on a thread of its own, in order, while the caller converts (SQLite lets it run).

    At most ``ahead`` pages wait to be staged (memory stays flat); an error of a commit is raised
    in the caller at the next :meth:`stage` or at :meth:`flush`.
    """

    def __init__(self, staged: Staging, ahead: int = 2) -> None:
        self.staged, self.ahead = staged, ahead
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synapse-export-stage")
        self.pending: list[Future[None]] = []

    def stage(self, records: list[dict[str, Any]], body: bytes | None) -> None:
        """Queue a page's commit (waits while ``ahead`` are queued)."""
        while len(self.pending) >= self.ahead:
            self.pending.pop(0).result()
        self.pending.append(self.pool.submit(self.staged.commit, records, body))

    def flush(self) -> None:
        """Wait until every queued page is staged."""
        while self.pending:
            self.pending.pop(0).result()

    def close(self) -> None:
        """Stop: queued commits not started are dropped, the one running finishes."""
        self.pool.shutdown(wait=True, cancel_futures=True)
