"""Data collections and their file specifications (API.md, "Data collections, files and units")."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import (
    COLLECTION_CATEGORIES,
    created,
    expanded,
    fetch,
    jdump,
    jload,
    no_content,
)
from synapse.emulator.validation import JSON, Bool, Choice, Dict, Int, Str, clean_fields, type_name, validate
from synapse.emulator.wire import ApiError, field_error

COLLECTION_SELECT = "id, name, description, category, meta, is_archived, created"
SPEC_SELECT = "id, name, file_type, is_required, is_primary, idx"


def specs_of(db: sqlite3.Connection, collection: int) -> list[dict[str, Any]]:
    """The file specifications of a collection, in index order."""
    rows = db.execute(
        f"SELECT {SPEC_SELECT} FROM file_specifications WHERE data_collection = ? ORDER BY idx, id",
        (collection,),
    ).fetchall()
    return [
        {
            "id": r[0],
            "name": r[1],
            "file_type": r[2],
            "is_required": bool(r[3]),
            "is_primary": bool(r[4]),
            "index": r[5],
        }
        for r in rows
    ]


def collection_renderer(ctx: Ctx, *, listing: bool = False) -> Any:
    """A row renderer honouring ``expand=file_specifications`` (and ``list_relations`` on the list)."""
    expand = expanded(ctx, "file_specifications", listing=listing)

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        specs = specs_of(db, row[0])
        return {
            "id": row[0],
            "name": row[1],
            "description": row[2],
            "category": row[3],
            "meta": jload(row[4]),
            "is_archived": bool(row[5]),
            "created": row[6],
            "file_specifications": specs if expand else [s["id"] for s in specs],
        }

    return render


def list_collections(ctx: Ctx) -> Any:
    """``GET data_collections/``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.strings("name", "name")
    where.strings("category", "category")
    where.boolean("is_archived", "is_archived")
    where.search("search", ["name", "description"])
    query = ListQuery(
        select=COLLECTION_SELECT,
        from_="data_collections",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name", "created": "created"},
        render=collection_renderer(ctx, listing=True),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def _load_collection(db: sqlite3.Connection, ctx: Ctx, pk: int) -> dict[str, Any]:
    row = fetch(db, f"SELECT {COLLECTION_SELECT} FROM data_collections WHERE id = ?", (pk,))
    return collection_renderer(ctx)(db, row)  # type: ignore[no-any-return]


def get_collection(ctx: Ctx, pk: int) -> Any:
    """``GET data_collections/{id}/?expand=file_specifications``."""
    with ctx.backend.store.read() as db:
        return _load_collection(db, ctx, pk)


COLLECTION_FIELDS = {
    "name": Str(required=True, max_length=255),
    "description": Str(allow_blank=True, default=""),
    "category": Choice(COLLECTION_CATEGORIES, default="image"),
    "meta": Dict(default=dict),
    "is_archived": Bool(default=False),
    "file_specifications": JSON(default=list),
}
SPEC_FIELDS = {
    "name": Str(required=True, max_length=255),
    "file_type": Str(default="image", max_length=64),
    "is_required": Bool(default=False),
    "is_primary": Bool(default=False),
    "index": Int(min_value=0),
}


def _clean_specs(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise field_error(
            "file_specifications", f'Expected a list of items but got type "{type_name(value)}".'
        )
    specs: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors[f"file_specifications.{i}"] = [
                f"Invalid data. Expected a dictionary, but got {type_name(item)}."
            ]
            continue
        spec, spec_errors = clean_fields(item, SPEC_FIELDS)
        for name, messages in spec_errors.items():
            errors[f"file_specifications.{i}.{name}"] = messages
        spec.setdefault("index", i)
        specs.append(spec)
    if errors:
        raise ApiError(400, errors)
    names = [s["name"] for s in specs]
    if len(set(names)) != len(names):
        raise field_error("file_specifications", "File specification names must be unique.")
    if sum(1 for s in specs if s["is_primary"]) > 1:
        raise field_error("file_specifications", "Only one file specification may be primary.")
    return specs


def _write_specs(db: sqlite3.Connection, collection: int, specs: list[dict[str, Any]]) -> None:
    db.execute("DELETE FROM file_specifications WHERE data_collection = ?", (collection,))
    db.executemany(
        "INSERT INTO file_specifications (data_collection, name, file_type, is_required, is_primary, idx) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (collection, s["name"], s["file_type"], int(s["is_required"]), int(s["is_primary"]), s["index"])
            for s in specs
        ],
    )


def create_collection(ctx: Ctx) -> Any:
    """``POST data_collections/`` (with optional nested ``file_specifications``)."""
    data = validate(ctx.json(), COLLECTION_FIELDS)
    specs = _clean_specs(data["file_specifications"])
    with ctx.backend.store.write() as db:
        cur = db.execute(
            "INSERT INTO data_collections (name, description, category, meta, is_archived, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                data["name"],
                data["description"],
                data["category"],
                jdump(data["meta"]),
                int(data["is_archived"]),
                ctx.backend.clock.iso(),
            ),
        )
        pk = int(cur.lastrowid or 0)
        _write_specs(db, pk, specs)
        return created(_load_collection(db, ctx, pk))


def update_collection(ctx: Ctx, pk: int) -> Any:
    """``PATCH data_collections/{id}/``."""
    data = validate(ctx.json({}), COLLECTION_FIELDS, partial=True)
    specs = _clean_specs(data.pop("file_specifications")) if "file_specifications" in data else None
    with ctx.backend.store.write() as db:
        _load_collection(db, ctx, pk)
        for name, value in data.items():
            db.execute(
                f"UPDATE data_collections SET {name} = ? WHERE id = ?",
                (jdump(value) if name == "meta" else value, pk),
            )
        if specs is not None:
            _write_specs(db, pk, specs)
        return _load_collection(db, ctx, pk)


def delete_collection(ctx: Ctx, pk: int) -> Any:
    """``DELETE data_collections/{id}/``: cascades to its specifications, units and their tasks."""
    with ctx.backend.store.write() as db:
        _load_collection(db, ctx, pk)
        units = "SELECT id FROM data_units WHERE data_collection = ?"
        tasks = f"SELECT id FROM tasks WHERE data_unit IN ({units})"
        db.execute(f"DELETE FROM assignments WHERE task IN ({tasks})", (pk,))
        db.execute(f"DELETE FROM tasks WHERE data_unit IN ({units})", (pk,))
        db.execute("DELETE FROM data_units WHERE data_collection = ?", (pk,))
        db.execute("DELETE FROM file_specifications WHERE data_collection = ?", (pk,))
        db.execute("UPDATE projects SET data_collection = NULL WHERE data_collection = ?", (pk,))
        db.execute("DELETE FROM data_collections WHERE id = ?", (pk,))
    return no_content()


ROUTES = [
    Route("data_collections/", GET=list_collections, POST=create_collection),
    Route("data_collections/<id:pk>/", GET=get_collection, PATCH=update_collection, DELETE=delete_collection),
]
