"""Storages: credentials in ``configuration`` are hidden unless ``?with_configuration=true``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import STORAGE_CATEGORIES, STORAGE_PROVIDERS, created, fetch, jdump, jload
from synapse.emulator.validation import Choice, Dict, Str, validate

STORAGE_SELECT = "id, name, provider, category, configuration, created"


def storage_renderer(ctx: Ctx) -> Any:
    """A storage renderer; ``configuration`` only with ``with_configuration=true``."""
    reveal = ctx.flag("with_configuration")

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        out = {"id": row[0], "name": row[1], "provider": row[2], "category": row[3], "created": row[5]}
        if reveal:
            out["configuration"] = jload(row[4])
        return out

    return render


def list_storages(ctx: Ctx) -> Any:
    """``GET storages/?category=internal``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.strings("category", "category")
    where.strings("provider", "provider")
    where.strings("name", "name")
    query = ListQuery(
        select=STORAGE_SELECT,
        from_="storages",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name", "created": "created"},
        render=storage_renderer(ctx),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_storage(ctx: Ctx, pk: int) -> Any:
    """``GET storages/{id}/``."""
    with ctx.backend.store.read() as db:
        return storage_renderer(ctx)(
            db, fetch(db, f"SELECT {STORAGE_SELECT} FROM storages WHERE id = ?", (pk,))
        )


STORAGE_FIELDS = {
    "name": Str(required=True, max_length=255),
    "provider": Choice(STORAGE_PROVIDERS, required=True),
    "category": Choice(STORAGE_CATEGORIES, default="external"),
    "configuration": Dict(default=dict),
}


def create_storage(ctx: Ctx) -> Any:
    """``POST storages/`` (the answer hides ``configuration`` like every read)."""
    data = validate(ctx.json(), STORAGE_FIELDS)
    with ctx.backend.store.write() as db:
        cur = db.execute(
            "INSERT INTO storages (name, provider, category, configuration, created) VALUES (?, ?, ?, ?, ?)",
            (
                data["name"],
                data["provider"],
                data["category"],
                jdump(data["configuration"]),
                ctx.backend.clock.iso(),
            ),
        )
        row = fetch(db, f"SELECT {STORAGE_SELECT} FROM storages WHERE id = ?", (cur.lastrowid,))
        return created(storage_renderer(ctx)(db, row))


ROUTES = [
    Route("storages/", GET=list_storages, POST=create_storage),
    Route("storages/<id:pk>/", GET=get_storage),
]
