"""Ground truths of a dataset or version (``GET ground_truths/``), and the file URLs of events.

A ground truth's state is its latest event (``sdk/ground_truth_events/``) within the asked
versions; one removed by its latest event (a ``pgh_label`` ending in ``remove`` or
``delete``) is not listed. Event ``files`` entries carry a ``url`` as units' files do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import jload, media_url
from synapse.emulator.routes.data import file_url


def event_files(ctx: Ctx, db: sqlite3.Connection, files: Any, data_unit: int | None) -> Any:
    """An event's ``files`` with each entry's ``url`` (and its unit file's type and primacy)."""
    if not isinstance(files, dict):
        return files
    unit_files: dict[str, Any] = {}
    if data_unit is not None:
        row = db.execute("SELECT files FROM data_units WHERE id = ?", (data_unit,)).fetchone()
        loaded = jload(row[0]) if row is not None else None
        unit_files = loaded if isinstance(loaded, dict) else {}
    out: dict[str, Any] = {}
    for name, entry in files.items():
        if not isinstance(entry, dict):
            out[name] = entry
            continue
        entry = dict(entry)
        unit_entry = unit_files.get(name)
        if not isinstance(unit_entry, dict) or unit_entry.get("checksum") != entry.get("checksum"):
            unit_entry = None
        url = entry.get("url")
        if not url:
            if unit_entry is not None:
                url = unit_entry.get("url")
            elif isinstance(entry.get("checksum"), str):
                found = db.execute(
                    "SELECT id, filename FROM data_files WHERE checksum = ? ORDER BY id DESC LIMIT 1",
                    (entry["checksum"],),
                ).fetchone()
                url = file_url(found[0], found[1]) if found is not None else None
        entry["url"] = media_url(ctx, url) if isinstance(url, str) and not url.startswith("http") else url
        if unit_entry is not None:
            entry.setdefault("file_type", unit_entry.get("file_type"))
            entry.setdefault("is_primary", unit_entry.get("is_primary"))
        out[name] = entry
    return out


_LATEST = (
    "(SELECT e.id AS id, v.ground_truth_dataset AS ground_truth_dataset, e.data_unit AS data_unit, "
    "e.category AS category, e.data AS data, e.files AS files, e.pgh_label AS pgh_label, "
    "ROW_NUMBER() OVER (PARTITION BY e.id ORDER BY e.pgh_id DESC) AS rn "
    "FROM ground_truth_events e JOIN ground_truth_versions v ON v.id = e.version{}) g"
)
_REMOVED = "g.pgh_label LIKE '%remove' OR g.pgh_label LIKE '%delete'"


def ground_truth_renderer(ctx: Ctx) -> Any:
    """A ground-truth row renderer (``files`` with their URLs)."""

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        return {
            "id": row[0],
            "ground_truth_dataset": row[1],
            "data_unit": row[2],
            "category": row[3],
            "data": jload(row[4]),
            "files": event_files(ctx, db, jload(row[5]), row[2]),
        }

    return render


def list_ground_truths(ctx: Ctx) -> Any:
    """``GET ground_truths/``: filters ``ground_truth_dataset``, ``ground_truth_dataset_versions``."""
    inner = Where(ctx.args)
    inner.ints("ground_truth_dataset", "v.ground_truth_dataset")
    inner.ints("ground_truth_dataset_versions", "e.version")
    outer = Where(ctx.args)
    outer.id_filters("g.id")
    outer.strings("category", "g.category")
    outer.ints("data_unit", "g.data_unit")
    outer.add(f"g.rn = 1 AND NOT ({_REMOVED})")
    query = ListQuery(
        select="g.id, g.ground_truth_dataset, g.data_unit, g.category, g.data, g.files",
        from_=_LATEST.format(inner.sql()),
        where=(outer.sql(), [*inner.params, *outer.params]),
        key="g.id",
        orderings={"id": "g.id", "category": "g.category", "data_unit": "g.data_unit"},
        render=ground_truth_renderer(ctx),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


ROUTES = [
    Route("ground_truths/", GET=list_ground_truths),
]
