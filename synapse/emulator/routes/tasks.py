"""Tasks: the SDK list view, detail, create (both body forms), annotate, set tags (API.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.dm_schema import check_dm_v1
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import (
    STATUS_LABELS,
    STATUS_REVIEWS,
    created,
    expanded,
    fetch,
    invalid_pk,
    jdump,
    jload,
    no_content,
)
from synapse.emulator.routes.data import UNIT_SELECT, render_unit
from synapse.emulator.validation import (
    JSON,
    Bool,
    Choice,
    Dict,
    Int,
    IntList,
    clean_fields,
    expect_object,
    type_name,
    validate,
)
from synapse.emulator.wire import ApiError, field_error

TASK_SELECT = "id, project, data_unit, data, meta, status_label, status_review, is_discarded, tags, created"
# The row's JSON built by SQLite itself: list pages are spliced, never decoded and re-encoded.
TASK_JSON = (
    "json_object('id', id, 'project', project, 'data_unit', data_unit, 'data', json(data), "
    "'meta', json(meta), "
    "'status_label', status_label, 'status_review', status_review, "
    "'is_discarded', json(CASE WHEN is_discarded THEN 'true' ELSE 'false' END), 'tags', json(tags), "
    "'created', created)"
)
TASK_ORDERINGS = {
    "id": "id",
    "created": "created",
    "project": "project",
    "data_unit": "data_unit",
    "status_label": "status_label",
    "status_review": "status_review",
}


def task_renderer(ctx: Ctx, *, allow_fields: bool = True) -> Any:
    """A row renderer honouring ``fields=a,b`` and ``expand=data_unit``."""
    expand = expanded(ctx, "data_unit", listing=allow_fields)  # allow_fields: the list route
    raw_fields = ctx.args.get("fields", "") if allow_fields else ""
    wanted = {f.strip() for f in raw_fields.split(",") if f.strip()} or None

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        task = {
            "id": row[0],
            "project": row[1],
            "data_unit": row[2],
            "data": jload(row[3]),
            "meta": jload(row[4]),
            "status_label": row[5],
            "status_review": row[6],
            "is_discarded": bool(row[7]),
            "tags": jload(row[8]),
            "created": row[9],
        }
        if wanted is not None:
            task = {k: v for k, v in task.items() if k in wanted}
        if expand and "data_unit" in task:
            unit = db.execute(f"SELECT {UNIT_SELECT} FROM data_units WHERE id = ?", (row[2],)).fetchone()
            task["data_unit"] = render_unit(ctx, unit) if unit is not None else None
        return task

    return render


def task_filters(ctx: Ctx) -> Where:
    """The filters of ``sdk/tasks/`` (API.md), scoped to the credential's projects."""
    where = Where(ctx.args)
    where.ints("project", "project")
    where.id_filters("id")
    where.strings("status_label", "status_label")
    where.strings("status_review", "status_review")
    where.boolean("is_discarded", "is_discarded")
    where.json_any("tags", "tags")
    where.ints("data_unit", "data_unit")
    where.exists_in("assignments", "id IN (SELECT task FROM assignments WHERE id IN ({}))")
    where.exists_in("labelers", "id IN (SELECT task FROM assignments WHERE user IN ({}))")
    where.exists_in("reviewers", "id IN (SELECT task FROM assignments WHERE reviewer IN ({}))")
    where.created("created")
    where.add(ctx.project_clause("project"))
    return where


def list_tasks(ctx: Ctx) -> Any:
    """``GET sdk/tasks/`` with the filters of API.md."""
    where = task_filters(ctx)
    embeds = "fields" in ctx.args or "expand" in ctx.args or ctx.backend.settings.list_relations == "expanded"
    query = ListQuery(
        select=TASK_SELECT,
        from_="tasks",
        where=(where.sql(), where.params),
        key="id",
        orderings=TASK_ORDERINGS,
        render=task_renderer(ctx),
        raw_select=None if embeds else TASK_JSON,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def load_task(db: sqlite3.Connection, ctx: Ctx, pk: int) -> dict[str, Any]:
    """One visible task (404 unknown, 403 outside the credential's projects)."""
    row = fetch(db, f"SELECT {TASK_SELECT} FROM tasks WHERE id = ?", (pk,))
    ctx.check_project(row[1])
    return task_renderer(ctx, allow_fields=False)(db, row)  # type: ignore[no-any-return]


def get_task(ctx: Ctx, pk: int) -> Any:
    """``GET tasks/{id}/`` (``expand=data_unit`` embeds the unit)."""
    with ctx.backend.store.read() as db:
        return load_task(db, ctx, pk)


ITEM_FIELDS = {
    "project": Int(required=True),
    "data_unit": Int(required=True),
    "data": JSON(allow_null=True, default=None),
    "meta": Dict(default=dict),
}


def create_tasks(ctx: Ctx) -> Any:
    """``POST tasks/``: a list of ``{"project", "data_unit"}`` or ``{"project", "data": [...]}``."""
    body = ctx.json()
    if isinstance(body, list):
        items, prefix = body, ""
    else:
        body = expect_object(body)
        if "project" not in body:
            raise field_error("project", "This field is required.")
        if "data" not in body:
            raise field_error("data", "This field is required.")
        if not isinstance(body["data"], list):
            raise field_error("data", f'Expected a list of items but got type "{type_name(body["data"])}".')
        items = [
            {**item, "project": body["project"]} if isinstance(item, dict) else item for item in body["data"]
        ]
        prefix = "data."
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[f"{prefix}{index}"] = [f"Invalid data. Expected a dictionary, but got {type_name(item)}."]
            continue
        data, item_errors = clean_fields(item, ITEM_FIELDS)
        for name, messages in item_errors.items():
            errors[f"{prefix}{index}.{name}"] = messages
        cleaned.append(data)
    if errors:
        raise ApiError(400, errors)
    with ctx.backend.store.write() as db:
        projects = {d["project"] for d in cleaned}
        units = {d["data_unit"] for d in cleaned}
        known_projects = _existing(db, "projects", projects)
        known_units = _existing(db, "data_units", units)
        for index, data in enumerate(cleaned):
            if data["project"] not in known_projects:
                errors[f"{prefix}{index}.project"] = [invalid_pk(data["project"])]
            if data["data_unit"] not in known_units:
                errors[f"{prefix}{index}.data_unit"] = [invalid_pk(data["data_unit"])]
        if errors:
            raise ApiError(400, errors)
        ctx.check_projects(sorted(projects))
        now = ctx.backend.clock.iso()
        first = None
        for data in cleaned:
            cur = db.execute(
                "INSERT INTO tasks (project, data_unit, data, meta, created) VALUES (?, ?, ?, ?, ?)",
                (
                    data["project"],
                    data["data_unit"],
                    None if data["data"] is None else jdump(data["data"]),
                    jdump(data["meta"]),
                    now,
                ),
            )
            first = first or cur.lastrowid
        render = task_renderer(ctx, allow_fields=False)
        rows = db.execute(
            f"SELECT {TASK_SELECT} FROM tasks WHERE id >= ? ORDER BY id LIMIT ?", (first or 0, len(cleaned))
        ).fetchall()
        return created([render(db, row) for row in rows])


def _existing(db: sqlite3.Connection, table: str, ids: set[int]) -> set[int]:
    rows = db.execute(
        f"SELECT id FROM {table} WHERE id IN (SELECT value FROM json_each(?))", (jdump(sorted(ids)),)
    )
    return {r[0] for r in rows}


TASK_UPDATE_FIELDS = {
    "data": JSON(allow_null=True),
    "meta": Dict(),
    "status_label": Choice(STATUS_LABELS),
    "status_review": Choice(STATUS_REVIEWS),
    "is_discarded": Bool(),
    "tags": IntList(),
}


def update_task(ctx: Ctx, pk: int) -> Any:
    """``PATCH tasks/{id}/``."""
    data = validate(ctx.json({}), TASK_UPDATE_FIELDS, partial=True)
    with ctx.backend.store.write() as db:
        load_task(db, ctx, pk)
        if "tags" in data:
            missing = set(data["tags"]) - _existing(db, "task_tags", set(data["tags"]))
            if missing:
                raise field_error("tags", invalid_pk(min(missing)))
            data["tags"] = sorted(set(data["tags"]))
        for name, value in data.items():
            if name in ("data", "meta", "tags"):
                value = None if value is None else jdump(value)
            db.execute(f"UPDATE tasks SET {name} = ? WHERE id = ?", (value, pk))
        return load_task(db, ctx, pk)


def delete_task(ctx: Ctx, pk: int) -> Any:
    """``DELETE tasks/{id}/`` (and its assignments)."""
    with ctx.backend.store.write() as db:
        load_task(db, ctx, pk)
        db.execute("DELETE FROM assignments WHERE task = ?", (pk,))
        db.execute("DELETE FROM tasks WHERE id = ?", (pk,))
    return no_content()


ANNOTATION_SCHEMAS = ("dm_schema_v1", "any")
ANNOTATE_ACTIONS = ("save", "submit")
_NO_BODY = object()


def annotate_task(ctx: Ctx, pk: int) -> Any:
    """``PUT tasks/{id}/annotate_task_data/``: DM v1, bare or in ``{"action", "data"}`` (ANNOTATIONS §1)."""
    schema = ctx.args.get("schema") or "dm_schema_v1"
    if schema not in ANNOTATION_SCHEMAS:
        raise field_error("schema", f'"{schema}" is not a valid choice.')
    body = ctx.json(_NO_BODY)
    if body is _NO_BODY:
        if ctx.record is not None:
            ctx.record.body = None  # the log says "no body", not our marker
        raise ApiError(400, {"non_field_errors": ["No annotation: send a DM v1 document or {action, data}."]})
    document = unwrap_annotation(body, strict=schema == "any")
    with ctx.backend.store.write() as db:
        task = load_task(db, ctx, pk)
        if schema != "any":
            row = db.execute("SELECT configuration FROM projects WHERE id = ?", (task["project"],)).fetchone()
            errors = check_dm_v1(document, jload(row[0]) if row is not None else None)
            if errors:
                raise ApiError(400, errors)
        db.execute(
            "UPDATE tasks SET data = ? WHERE id = ?", (None if document is None else jdump(document), pk)
        )
        return load_task(db, ctx, pk)


def unwrap_annotation(body: Any, *, strict: bool = False) -> Any:
    """The DM document of an annotate body: the body itself, or the ``data`` of the envelope.

    A DM v1 document never has just ``data``, so ``{"data": ...}`` is an envelope; under
    ``?schema=any`` (``strict``), where any JSON is an annotation, only one naming its ``action`` is.
    """
    if not (isinstance(body, dict) and "data" in body and set(body) <= {"action", "data"}):
        return body
    if strict and body.get("action") not in ANNOTATE_ACTIONS:
        return body
    if body.get("action", "submit") not in ANNOTATE_ACTIONS:
        raise field_error("action", f'"{body.get("action")}" is not a valid choice.')
    return body["data"]


SET_TAGS_FIELDS = {
    "ids": IntList(required=True),
    "tags": IntList(required=True),
    "action": Choice(("add", "remove"), default="add"),
}


def set_tags(ctx: Ctx, table: str) -> Any:
    """``POST tasks/set_tags/`` and ``POST assignments/set_tags/``."""
    data = validate(ctx.json(), SET_TAGS_FIELDS)
    ids, tags = list(dict.fromkeys(data["ids"])), list(dict.fromkeys(data["tags"]))
    with ctx.backend.store.write() as db:
        rows = db.execute(
            f"SELECT id, project, tags FROM {table} WHERE id IN (SELECT value FROM json_each(?))",
            (jdump(ids),),
        ).fetchall()
        found = {r[0] for r in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise field_error("ids", invalid_pk(missing[0]))
        missing_tags = set(tags) - _existing(db, "task_tags", set(tags))
        if missing_tags:
            raise field_error("tags", invalid_pk(min(missing_tags)))
        ctx.check_projects(sorted({r[1] for r in rows}))
        updates = []
        for pk, _project, current in rows:
            have = set(jload(current))
            have = have | set(tags) if data["action"] == "add" else have - set(tags)
            updates.append((jdump(sorted(have)), pk))
        db.executemany(f"UPDATE {table} SET tags = ? WHERE id = ?", updates)
    return {"ids": ids, "tags": tags, "action": data["action"]}


ROUTES = [
    Route("sdk/tasks/", GET=list_tasks),
    Route("tasks/", POST=create_tasks),
    Route("tasks/set_tags/", POST=lambda ctx: set_tags(ctx, "tasks")),
    Route("tasks/<id:pk>/", GET=get_task, PATCH=update_task, DELETE=delete_task),
    Route("tasks/<id:pk>/annotate_task_data/", PUT=annotate_task),
]
