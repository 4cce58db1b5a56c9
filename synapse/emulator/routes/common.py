"""Helpers and vocabularies shared by the route modules."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.wire import Reply, not_found

__all__ = [
    "COLLECTION_CATEGORIES",
    "GT_CATEGORIES",
    "JOB_STATUSES",
    "PLUGIN_CATEGORIES",
    "PROJECT_CATEGORIES",
    "STATUS_LABELS",
    "STATUS_REVIEWS",
    "STORAGE_CATEGORIES",
    "STORAGE_PROVIDERS",
    "TAG_CATEGORIES",
    "created",
    "exists",
    "expanded",
    "fetch",
    "invalid_pk",
    "jdump",
    "jload",
    "media_url",
    "no_content",
]

PROJECT_CATEGORIES = ("image", "video", "audio", "text", "pcd", "prompt", "time_series")
TAG_CATEGORIES = ("export", "project")
COLLECTION_CATEGORIES = ("image", "video", "audio", "text", "pcd", "data")
STATUS_LABELS = ("stand_by", "in_progress", "completed", "skipped")
STATUS_REVIEWS = ("stand_by", "in_progress", "rejected", "completed", "skipped")
PLUGIN_CATEGORIES = (
    "neural_net",
    "export",
    "upload",
    "smart_tool",
    "pre_annotation",
    "post_annotation",
    "data_validation",
    "converter",
)
JOB_STATUSES = ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED")
TERMINAL_STATUSES = frozenset({"STOPPED", "SUCCEEDED", "FAILED"})
STORAGE_PROVIDERS = ("amazon_s3", "azure", "digital_ocean", "file_system", "ftp", "sftp", "minio", "gcp")
STORAGE_CATEGORIES = ("internal", "external")
GT_CATEGORIES = ("train", "validation", "test")


def jload(text: str | None) -> Any:
    """Decode a JSON column (``None`` stays ``None``)."""
    return None if text is None else json.loads(text)


def jdump(value: Any) -> str:
    """Encode a value for a JSON column."""
    return json.dumps(value, separators=(",", ":"))


def fetch(db: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Sequence[Any]:
    """The first row of a query, or a 404."""
    row = db.execute(sql, params).fetchone()
    if row is None:
        raise not_found()
    return row  # type: ignore[no-any-return]


def exists(db: sqlite3.Connection, table: str, pk: Any, column: str = "id") -> bool:
    """Whether a row with this key exists."""
    return db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (pk,)).fetchone() is not None


def invalid_pk(value: Any) -> str:
    """DRF's message for an unknown foreign key."""
    return f'Invalid pk "{value}" - object does not exist.'


def created(body: Any) -> Reply:
    """A 201 answer."""
    return Reply(201, body)


def no_content() -> Reply:
    """A 204 answer."""
    return Reply(204)


def scope_ids(ctx: Ctx) -> frozenset[int] | None:
    """The credential's visible projects (``None``: all)."""
    return ctx.identity.scope if ctx.identity else None


def media_url(ctx: Ctx, path: str) -> str:
    """The absolute URL of a file path such as ``media/data_files/1/a.png``.

    On the API origin by default; on the storage origin, pre-signed, under
    ``Emulator(storage_origin=True)``.
    """
    signer = ctx.backend.storage
    if signer is None:
        return ctx.url(path)
    return signer.sign(path)


def expanded(ctx: Ctx, name: str, *, listing: bool = False) -> bool:
    """Whether the relation ``name`` is embedded as an object rather than given as its id.

    It is when ``expand`` names it; on a list route (``listing``) also under
    ``Emulator(list_relations="expanded")``.
    """
    if listing and ctx.backend.settings.list_relations == "expanded":
        return True
    return name in ctx.args.get("expand", "").split(",")
