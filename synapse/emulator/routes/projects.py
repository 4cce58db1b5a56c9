"""Projects and task tags (API.md, "Projects and task tags")."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import (
    PROJECT_CATEGORIES,
    exists,
    fetch,
    invalid_pk,
    jdump,
    jload,
    no_content,
)
from synapse.emulator.validation import Bool, Choice, Dict, Int, Str, validate
from synapse.emulator.wire import field_error

PROJECT_SELECT = (
    "p.id, p.title, p.description, p.category, p.data_collection, p.configuration, p.settings, "
    "p.is_archived, p.created, (SELECT COUNT(*) FROM tasks t WHERE t.project = p.id)"
)
TAG_SELECT = "id, project, name, category, description, meta, created"


def render_project(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A project row as JSON."""
    return {
        "id": row[0],
        "title": row[1],
        "description": row[2],
        "category": row[3],
        "data_collection": row[4],
        "configuration": jload(row[5]),
        "settings": jload(row[6]),
        "is_archived": bool(row[7]),
        "task_count": row[9],
        "created": row[8],
    }


def render_tag(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A task tag row as JSON."""
    return {
        "id": row[0],
        "project": row[1],
        "name": row[2],
        "category": row[3],
        "description": row[4],
        "meta": jload(row[5]),
        "created": row[6],
    }


def list_projects(ctx: Ctx) -> Any:
    """``GET projects/``."""
    where = Where(ctx.args)
    where.id_filters("p.id")
    where.strings("title", "p.title")
    where.strings("category", "p.category")
    where.boolean("is_archived", "p.is_archived")
    where.search("search", ["p.title", "p.description"])
    where.created("p.created")
    where.add(ctx.project_clause("p.id"))
    query = ListQuery(
        select=PROJECT_SELECT,
        from_="projects p",
        where=(where.sql(), where.params),
        key="p.id",
        orderings={"id": "p.id", "title": "p.title", "created": "p.created", "category": "p.category"},
        render=render_project,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def load_project(db: sqlite3.Connection, ctx: Ctx, pk: int) -> dict[str, Any]:
    """One visible project (404 unknown, 403 outside the credential's scope)."""
    row = fetch(db, f"SELECT {PROJECT_SELECT} FROM projects p WHERE p.id = ?", (pk,))
    ctx.check_project(row[0])
    return render_project(db, row)


def get_project(ctx: Ctx, pk: int) -> Any:
    """``GET projects/{id}/``."""
    with ctx.backend.store.read() as db:
        return load_project(db, ctx, pk)


PROJECT_FIELDS = {
    "title": Str(max_length=255),
    "description": Str(allow_blank=True),
    "category": Choice(PROJECT_CATEGORIES),
    "data_collection": Int(allow_null=True),
    "configuration": Dict(),
    "settings": Dict(),
    "is_archived": Bool(),
}


def update_project(ctx: Ctx, pk: int) -> Any:
    """``PATCH projects/{id}/``."""
    body = ctx.json({})
    data = validate(body, PROJECT_FIELDS, partial=True)
    with ctx.backend.store.write() as db:
        load_project(db, ctx, pk)
        collection = data.get("data_collection")
        if collection is not None and not exists(db, "data_collections", collection):
            raise field_error("data_collection", invalid_pk(collection))
        for name, value in data.items():
            if name in ("configuration", "settings"):
                value = jdump(value)
            db.execute(f"UPDATE projects SET {name} = ? WHERE id = ?", (value, pk))
        return load_project(db, ctx, pk)


def delete_project(ctx: Ctx, pk: int) -> Any:
    """``DELETE projects/{id}/``: the project, its tasks, assignments and tags."""
    with ctx.backend.store.write() as db:
        load_project(db, ctx, pk)
        for table in ("assignments", "tasks", "task_tags"):
            db.execute(f"DELETE FROM {table} WHERE project = ?", (pk,))
        db.execute("DELETE FROM projects WHERE id = ?", (pk,))
    return no_content()


def list_tags(ctx: Ctx) -> Any:
    """``GET task_tags/?project={id}``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.ints("project", "project")
    where.strings("category", "category")
    where.strings("name", "name")
    where.add(ctx.project_clause("project"))
    query = ListQuery(
        select=TAG_SELECT,
        from_="task_tags",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name", "created": "created"},
        render=render_tag,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_tag(ctx: Ctx, pk: int) -> Any:
    """``GET task_tags/{id}/``."""
    with ctx.backend.store.read() as db:
        row = fetch(db, f"SELECT {TAG_SELECT} FROM task_tags WHERE id = ?", (pk,))
        ctx.check_project(row[1])
        return render_tag(db, row)


ROUTES = [
    Route("projects/", GET=list_projects),
    Route("projects/<id:pk>/", GET=get_project, PATCH=update_project, DELETE=delete_project),
    Route("task_tags/", GET=list_tags),
    Route("task_tags/<id:pk>/", GET=get_tag),
]
