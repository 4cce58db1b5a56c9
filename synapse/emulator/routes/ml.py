"""Models (with or without weights from a chunked upload) and ground-truth versions and events (API.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import created, fetch, invalid_pk, jdump, jload, media_url
from synapse.emulator.routes.ground_truths import event_files
from synapse.emulator.validation import Dict, Int, Str, validate
from synapse.emulator.wire import field_error

MODEL_SELECT = (
    "id, name, plugin, version, checkpoint, configuration, description, filename, is_released, created"
)
VERSION_SELECT = "id, ground_truth_dataset, version, description, is_archived, created"
EVENT_SELECT = "pgh_id, id, pgh_label, data_unit, category, data, files, classes"


def model_renderer(ctx: Ctx) -> Any:
    """A model row renderer (``file`` is an absolute download URL)."""

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        file_url = media_url(ctx, f"media/models/{row[0]}/{quote(row[7] or 'model')}") if row[7] else None
        return {
            "id": row[0],
            "name": row[1],
            "plugin": row[2],
            "version": row[3],
            "checkpoint": row[4],
            "configuration": jload(row[5]),
            "description": row[6],
            "file": file_url,
            "is_released": bool(row[8]),
            "created": row[9],
        }

    return render


def list_models(ctx: Ctx) -> Any:
    """``GET models/``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.strings("plugin", "plugin")
    where.strings("name", "name")
    where.strings("version", "version")
    where.ints("checkpoint", "checkpoint")
    where.boolean("is_released", "is_released")
    query = ListQuery(
        select=MODEL_SELECT,
        from_="models",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name", "created": "created"},
        render=model_renderer(ctx),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_model(ctx: Ctx, pk: int) -> Any:
    """``GET models/{id}/``."""
    with ctx.backend.store.read() as db:
        return model_renderer(ctx)(db, fetch(db, f"SELECT {MODEL_SELECT} FROM models WHERE id = ?", (pk,)))


MODEL_FIELDS = {
    "name": Str(required=True, max_length=255),
    "plugin": Str(allow_null=True, default=None),
    "version": Str(allow_null=True, default=None, max_length=64),
    "checkpoint": Int(allow_null=True, default=None),
    "chunked_upload": Str(allow_null=True, default=None, max_length=64),
    "configuration": Dict(default=dict),
    "description": Str(allow_blank=True, default=""),
}


def create_model(ctx: Ctx) -> Any:
    """``POST models/``: the weights come from a completed chunked upload, or there are none."""
    data = validate(ctx.json(), MODEL_FIELDS)
    with ctx.backend.store.write() as db:
        if (
            data["plugin"] is not None
            and not db.execute("SELECT 1 FROM plugins WHERE code = ?", (data["plugin"],)).fetchone()
        ):
            raise field_error("plugin", invalid_pk(data["plugin"]))
        if (
            data["checkpoint"] is not None
            and not db.execute("SELECT 1 FROM models WHERE id = ?", (data["checkpoint"],)).fetchone()
        ):
            raise field_error("checkpoint", invalid_pk(data["checkpoint"]))
        path, filename = None, ""
        if data["chunked_upload"] is not None:
            upload = db.execute(
                "SELECT filename, status, path FROM uploads WHERE id = ?", (data["chunked_upload"],)
            ).fetchone()
            if upload is None:
                raise field_error("chunked_upload", invalid_pk(data["chunked_upload"]))
            if upload[1] != 2:
                raise field_error("chunked_upload", "Upload is not complete.")
            path, filename = upload[2], upload[0] or "model"
        cur = db.execute(
            "INSERT INTO models (name, plugin, version, checkpoint, configuration, description, path, "
            "filename, "
            "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data["name"],
                data["plugin"],
                data["version"],
                data["checkpoint"],
                jdump(data["configuration"]),
                data["description"],
                path,
                filename,
                ctx.backend.clock.iso(),
            ),
        )
        row = fetch(db, f"SELECT {MODEL_SELECT} FROM models WHERE id = ?", (cur.lastrowid,))
        return created(model_renderer(ctx)(db, row))


def render_version(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A ground-truth dataset version as JSON."""
    return {
        "id": row[0],
        "ground_truth_dataset": row[1],
        "version": row[2],
        "description": row[3],
        "is_archived": bool(row[4]),
        "created": row[5],
    }


def list_versions(ctx: Ctx) -> Any:
    """``GET ground_truth_dataset_versions/``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.ints("ground_truth_dataset", "ground_truth_dataset")
    where.boolean("is_archived", "is_archived")
    query = ListQuery(
        select=VERSION_SELECT,
        from_="ground_truth_versions",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "created": "created"},
        render=render_version,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_version(ctx: Ctx, pk: int) -> Any:
    """``GET ground_truth_dataset_versions/{id}/``."""
    with ctx.backend.store.read() as db:
        return render_version(
            db, fetch(db, f"SELECT {VERSION_SELECT} FROM ground_truth_versions WHERE id = ?", (pk,))
        )


def event_renderer(ctx: Ctx) -> Any:
    """A ground-truth event renderer (``files`` entries carry their ``url``)."""

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        return {
            "pgh_id": row[0],
            "id": row[1],
            "pgh_label": row[2],
            "data_unit": row[3],
            "category": row[4],
            "data": jload(row[5]),
            "files": event_files(ctx, db, jload(row[6]), row[3]),
            "classes": jload(row[7]),
        }

    return render


def list_events(ctx: Ctx) -> Any:
    """``GET sdk/ground_truth_events/?ground_truth_dataset_versions={id}`` (page or cursor mode)."""
    where = Where(ctx.args)
    where.ints("ground_truth_dataset_versions", "version")
    where.ints("ground_truth", "id")
    where.strings("category", "category")
    where.exists_in("task", "data_unit IN (SELECT data_unit FROM tasks WHERE id IN ({}))")
    where.ints("data_unit", "data_unit")
    query = ListQuery(
        select=EVENT_SELECT,
        from_="ground_truth_events",
        where=(where.sql(), where.params),
        key="pgh_id",
        key_name="pgh_id",
        orderings={"pgh_id": "pgh_id", "id": "id"},
        render=event_renderer(ctx),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


ROUTES = [
    Route("models/", GET=list_models, POST=create_model),
    Route("models/<id:pk>/", GET=get_model),
    Route("ground_truth_dataset_versions/", GET=list_versions),
    Route("ground_truth_dataset_versions/<id:pk>/", GET=get_version),
    Route("sdk/ground_truth_events/", GET=list_events),
]
