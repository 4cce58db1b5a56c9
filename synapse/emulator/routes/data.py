"""Data files (direct or from a chunked upload), checksum verification and data units (API.md)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from werkzeug.utils import secure_filename

from synapse.emulator.checksums import file_digest, new_hasher
from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.multipart import DiscardSink, HashingSink
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import (
    created,
    fetch,
    invalid_pk,
    jdump,
    jload,
    media_url,
)
from synapse.emulator.routes.data_collections import specs_of
from synapse.emulator.validation import (
    Dict,
    Int,
    Str,
    StrList,
    clean_fields,
    expect_object,
    type_name,
    validate,
)
from synapse.emulator.wire import ApiError, field_error

UNIT_SELECT = "id, data_collection, checksum, meta, files, created"


# -- data files ----------------------------------------------------------------------------
def file_url(pk: int, filename: str) -> str:
    """The relative download path of a data file."""
    return f"media/data_files/{pk}/{quote(filename or 'file')}"


def render_file(
    ctx: Ctx, pk: int, checksum: str, size: int, filename: str, created_at: str
) -> dict[str, Any]:
    """A data file as JSON."""
    return {
        "id": pk,
        "checksum": checksum,
        "size": size,
        "file": media_url(ctx, file_url(pk, filename)),
        "created_at": created_at,
    }


def insert_file(
    db: sqlite3.Connection, ctx: Ctx, checksum: str, size: int, filename: str, path: str
) -> dict[str, Any]:
    """Insert a data file row and return its JSON."""
    now = ctx.backend.clock.iso()
    cur = db.execute(
        "INSERT INTO data_files (checksum, size, filename, path, created_at) VALUES (?, ?, ?, ?, ?)",
        (checksum, size, filename, path, now),
    )
    return render_file(ctx, int(cur.lastrowid or 0), checksum, size, filename, now)


def create_file(ctx: Ctx) -> Any:
    """``POST data_files/``: a multipart ``file`` part, or JSON ``{"chunked_upload": id}``."""
    if ctx.mimetype == "multipart/form-data":
        return _create_file_direct(ctx)
    data = validate(ctx.json(), {"chunked_upload": Str(required=True, max_length=64)})
    with ctx.backend.store.write() as db:
        row = db.execute(
            'SELECT filename, "offset", status, path, md5 FROM uploads WHERE id = ?',
            (data["chunked_upload"],),
        ).fetchone()
        if row is None:
            raise field_error("chunked_upload", invalid_pk(data["chunked_upload"]))
        if row[2] != 2:
            raise field_error("chunked_upload", "Upload is not complete.")
        algorithm = ctx.backend.settings.checksum
        # The upload was checked in MD5 (its protocol); a deployment hashing otherwise rehashes.
        checksum = row[4] if algorithm == "md5" else file_digest(row[3], algorithm)
        return created(insert_file(db, ctx, checksum, row[1], row[0] or "file", row[3]))


def _create_file_direct(ctx: Ctx) -> Any:
    folder: Path = ctx.backend.data_dir / "files"

    def open_part(name: str, filename: str | None) -> HashingSink:
        if name != "file":
            return DiscardSink()
        return HashingSink(folder / uuid.uuid4().hex, hasher=new_hasher(ctx.backend.settings.checksum))

    _fields, files = ctx.multipart(open_part)
    sink = files.get("file")
    if sink is None:
        raise field_error("file", "No file was submitted.")
    filename = secure_filename(sink.filename or "") or "file"
    try:
        with ctx.backend.store.write() as db:
            return created(insert_file(db, ctx, sink.hasher.hexdigest(), sink.size, filename, str(sink.path)))
    except BaseException:
        sink.path.unlink(missing_ok=True)
        raise


def verify_checksums(ctx: Ctx) -> Any:
    """``POST data_files/verify_checksums/``."""
    data = validate(ctx.json(), {"checksums": StrList(required=True)})
    wanted = list(dict.fromkeys(data["checksums"]))
    with ctx.backend.store.read() as db:
        found = {
            r[0]
            for r in db.execute(
                "SELECT DISTINCT checksum FROM data_files WHERE checksum IN (SELECT value FROM json_each(?))",
                (jdump(wanted),),
            )
        }
    return {"existing_checksums": [c for c in wanted if c in found]}


# -- data units ----------------------------------------------------------------------------
def render_unit(ctx: Ctx, row: Sequence[Any]) -> dict[str, Any]:
    """A data unit row as JSON (file URLs made absolute)."""
    files = jload(row[4])
    for entry in files.values():
        entry["url"] = media_url(ctx, entry["url"])
    return {
        "id": row[0],
        "data_collection": row[1],
        "checksum": row[2],
        "meta": jload(row[3]),
        "files": files,
        "created": row[5],
    }


def list_units(ctx: Ctx) -> Any:
    """``GET data_units/?data_collection=C``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.ints("data_collection", "data_collection")
    where.strings("checksum", "checksum")
    where.created("created")
    query = ListQuery(
        select=UNIT_SELECT,
        from_="data_units",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "created": "created"},
        render=lambda db, row: render_unit(ctx, row),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_unit(ctx: Ctx, pk: int) -> Any:
    """``GET data_units/{id}/``."""
    with ctx.backend.store.read() as db:
        return render_unit(ctx, fetch(db, f"SELECT {UNIT_SELECT} FROM data_units WHERE id = ?", (pk,)))


UNIT_FIELDS = {
    "data_collection": Int(required=True),
    "files": Dict(required=True),
    "meta": Dict(default=dict),
    "groups": StrList(default=list),
}


class _UnitValidator:
    """Checks unit items against their collection's specifications and known checksums."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._specs: dict[int, dict[str, dict[str, Any]] | None] = {}
        self._files: dict[str, tuple[int, int, str] | None] = {}

    def specs(self, collection: int) -> dict[str, dict[str, Any]] | None:
        if collection not in self._specs:
            if (
                self.db.execute("SELECT 1 FROM data_collections WHERE id = ?", (collection,)).fetchone()
                is None
            ):
                self._specs[collection] = None
            else:
                self._specs[collection] = {s["name"]: s for s in specs_of(self.db, collection)}
        return self._specs[collection]

    def data_file(self, checksum: str) -> tuple[int, int, str] | None:
        if checksum not in self._files:
            row = self.db.execute(
                "SELECT id, size, filename FROM data_files WHERE checksum = ? ORDER BY id DESC LIMIT 1",
                (checksum,),
            ).fetchone()
            self._files[checksum] = None if row is None else (row[0], row[1], row[2])
        return self._files[checksum]

    def check(self, item: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
        if not isinstance(item, dict):
            return {}, {
                "non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name(item)}."]
            }
        data, errors = clean_fields(item, UNIT_FIELDS)
        if errors:
            return data, errors
        specs = self.specs(data["data_collection"])
        if specs is None:
            return data, {"data_collection": [invalid_pk(data["data_collection"])]}
        messages: list[str] = []
        files: dict[str, dict[str, Any]] = {}
        for name, value in data["files"].items():
            spec = specs.get(name)
            if spec is None:
                messages.append(
                    f'"{name}" is not a file specification of data collection {data["data_collection"]}.'
                )
                continue
            checksum = value.get("checksum") if isinstance(value, dict) else None
            if not isinstance(checksum, str) or not checksum:
                messages.append(f'File "{name}" needs a "checksum" string.')
                continue
            found = self.data_file(checksum)
            if found is None:
                messages.append(f'No data file has the checksum "{checksum}" (file "{name}").')
                continue
            files[name] = {
                "checksum": checksum,
                "url": file_url(found[0], found[2]),
                "size": found[1],
                "file_type": spec["file_type"],
                "is_primary": spec["is_primary"],
            }
            path = value.get("path")
            if isinstance(path, str):
                files[name]["path"] = path
        for name, spec in specs.items():
            if spec["is_required"] and name not in data["files"]:
                messages.append(f'The required file specification "{name}" is missing.')
        if not data["files"] and not messages:
            messages.append("A data unit needs at least one file.")
        if messages:
            return data, {"files": messages}
        data["files"] = files
        return data, {}


def _unit_checksum(files: dict[str, dict[str, Any]]) -> str:
    primary = [f for f in files.values() if f["is_primary"]]
    return str((primary or list(files.values()))[0]["checksum"])


def create_units(ctx: Ctx) -> Any:
    """``POST data_units/``: one object, or a list of them (all or nothing)."""
    body = ctx.json()
    many = isinstance(body, list)
    items = body if many else [expect_object(body)]
    with ctx.backend.store.write() as db:
        validator = _UnitValidator(db)
        cleaned: list[dict[str, Any]] = []
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(items):
            data, item_errors = validator.check(item)
            for name, messages in item_errors.items():
                # API.md: a list's errors name the item index and the field ("3.files").
                errors[f"{index}.{name}" if many else name] = messages
            cleaned.append(data)
        if errors:
            raise ApiError(400, errors)
        now = ctx.backend.clock.iso()
        out = []
        for data in cleaned:
            stored = {k: {kk: vv for kk, vv in v.items() if kk != "path"} for k, v in data["files"].items()}
            cur = db.execute(
                "INSERT INTO data_units (data_collection, checksum, meta, files, groups, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    data["data_collection"],
                    _unit_checksum(stored),
                    jdump(data["meta"]),
                    jdump(stored),
                    jdump(data["groups"]),
                    now,
                ),
            )
            out.append(
                render_unit(
                    ctx,
                    (
                        cur.lastrowid,
                        data["data_collection"],
                        _unit_checksum(stored),
                        jdump(data["meta"]),
                        jdump(stored),
                        now,
                    ),
                )
            )
    return created(out if many else out[0])


ROUTES = [
    Route("data_files/", POST=create_file),
    Route("data_files/verify_checksums/", POST=verify_checksums),
    Route("data_units/", GET=list_units, POST=create_units),
    Route("data_units/<id:pk>/", GET=get_unit),
]
