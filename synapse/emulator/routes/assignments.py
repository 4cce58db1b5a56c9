"""Assignments: the SDK list view, detail and tag setting (API.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import fetch, jload
from synapse.emulator.routes.tasks import set_tags

ASSIGNMENT_SELECT = (
    "id, project, task, user, reviewer, status_label, status_review, is_confirmed, is_discarded, data, tags, "
    "created"
)

ASSIGNMENT_ORDERINGS = {"id": "id", "created": "created", "task": "task", "status_label": "status_label"}


def render_assignment(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """An assignment row as JSON."""
    return {
        "id": row[0],
        "project": row[1],
        "task": row[2],
        "user": row[3],
        "reviewer": row[4],
        "status_label": row[5],
        "status_review": row[6],
        "is_confirmed": bool(row[7]),
        "is_discarded": bool(row[8]),
        "data": jload(row[9]),
        "tags": jload(row[10]),
        "created": row[11],
    }


def assignment_filters(ctx: Ctx) -> Where:
    """The filters of ``sdk/assignments/`` (API.md), scoped to the credential's projects."""
    where = Where(ctx.args)
    where.ints("project", "project")
    where.id_filters("id")
    where.ints("tasks", "task")
    where.ints("task", "task")
    where.ints("users", "user")
    where.ints("reviewers", "reviewer")
    where.json_any("tags", "tags")
    where.exists_in(
        "task_tags",
        "EXISTS (SELECT 1 FROM tasks t, json_each(t.tags) j "
        "WHERE t.id = assignments.task AND j.value IN ({}))",
    )
    where.strings("status_label", "status_label")
    where.strings("status_review", "status_review")
    where.boolean("is_confirmed", "is_confirmed")
    where.boolean("is_discarded", "is_discarded")
    where.created("created")
    where.add(ctx.project_clause("project"))
    return where


def list_assignments(ctx: Ctx) -> Any:
    """``GET sdk/assignments/`` with the filters of API.md."""
    where = assignment_filters(ctx)
    query = ListQuery(
        select=ASSIGNMENT_SELECT,
        from_="assignments",
        where=(where.sql(), where.params),
        key="id",
        orderings=ASSIGNMENT_ORDERINGS,
        render=render_assignment,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_assignment(ctx: Ctx, pk: int) -> Any:
    """``GET assignments/{id}/``."""
    with ctx.backend.store.read() as db:
        row = fetch(db, f"SELECT {ASSIGNMENT_SELECT} FROM assignments WHERE id = ?", (pk,))
        ctx.check_project(row[1])
        return render_assignment(db, row)


ROUTES = [
    Route("sdk/assignments/", GET=list_assignments),
    Route("assignments/<id:pk>/", GET=get_assignment),
    Route("assignments/set_tags/", POST=lambda ctx: set_tags(ctx, "assignments")),
]
