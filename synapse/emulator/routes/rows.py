"""Narrow SDK row views: task and assignment data, task files (API.md, "Tasks" and "Assignments").

``GET sdk/tasks/data/`` and ``GET sdk/assignments/data/`` answer rows of ``{"id", "data"}``;
``GET sdk/tasks/files/`` answers ``{"id", "data_unit", "files": [...]}`` with the unit's files
as a list. Each takes the filters and orderings of its full list route, in page or cursor mode.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.assignments import ASSIGNMENT_ORDERINGS, assignment_filters
from synapse.emulator.routes.common import jload, media_url
from synapse.emulator.routes.tasks import TASK_ORDERINGS, task_filters

_DATA_JSON = "json_object('id', id, 'data', json(data))"


def _render_data(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    return {"id": row[0], "data": jload(row[1])}


def _data_rows(ctx: Ctx, table: str, where: Where, orderings: dict[str, str]) -> Any:
    query = ListQuery(
        select="id, data",
        from_=table,
        where=(where.sql(), where.params),
        key="id",
        orderings=orderings,
        render=_render_data,
        raw_select=_DATA_JSON,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def list_task_data(ctx: Ctx) -> Any:
    """``GET sdk/tasks/data/``: ``{"id", "data"}`` of each task the filters select."""
    return _data_rows(ctx, "tasks", task_filters(ctx), TASK_ORDERINGS)


def list_assignment_data(ctx: Ctx) -> Any:
    """``GET sdk/assignments/data/``: ``{"id", "data"}`` of each assignment the filters select."""
    return _data_rows(ctx, "assignments", assignment_filters(ctx), ASSIGNMENT_ORDERINGS)


def unit_file_list(ctx: Ctx, files: Any) -> list[dict[str, Any]]:
    """A unit's ``files`` mapping as the list ``sdk/tasks/files/`` answers (absolute URLs)."""
    if not isinstance(files, dict):
        return []
    return [
        {
            "specification": name,
            "checksum": entry.get("checksum"),
            "url": media_url(ctx, entry["url"]) if entry.get("url") else None,
            "file_type": entry.get("file_type"),
            "is_primary": entry.get("is_primary"),
            "size": entry.get("size"),
        }
        for name, entry in files.items()
        if isinstance(entry, dict)
    ]


def list_task_files(ctx: Ctx) -> Any:
    """``GET sdk/tasks/files/``: ``{"id", "data_unit", "files": [...]}`` of each selected task."""
    where = task_filters(ctx)

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        unit = db.execute("SELECT files FROM data_units WHERE id = ?", (row[1],)).fetchone()
        files = unit_file_list(ctx, jload(unit[0])) if unit is not None else []
        return {"id": row[0], "data_unit": row[1], "files": files}

    query = ListQuery(
        select="id, data_unit",
        from_="tasks",
        where=(where.sql(), where.params),
        key="id",
        orderings=TASK_ORDERINGS,
        render=render,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


ROUTES = [
    Route("sdk/tasks/data/", GET=list_task_data),
    Route("sdk/tasks/files/", GET=list_task_files),
    Route("sdk/assignments/data/", GET=list_assignment_data),
]
