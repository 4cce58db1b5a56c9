"""Data collections with file specifications, data files and data units (API.md)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from werkzeug.utils import secure_filename

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.multipart import DiscardSink, HashingSink
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import (
    COLLECTION_CATEGORIES,
    created,
    fetch,
    invalid_pk,
    jdump,
    jload,
    no_content,
)
from synapse.emulator.validation import (
    JSON,
    Bool,
    Choice,
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

COLLECTION_SELECT = "id, name, description, category, meta, is_archived, created"
SPEC_SELECT = "id, name, file_type, is_required, is_primary, idx"
UNIT_SELECT = "id, data_collection, checksum, meta, files, created"


# -- collections ---------------------------------------------------------------------------
def _specs(db: sqlite3.Connection, collection: int) -> list[dict[str, Any]]:
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


def collection_renderer(ctx: Ctx) -> Any:
    """A row renderer honouring ``expand=file_specifications``."""
    expand = "file_specifications" in ctx.args.get("expand", "").split(",")

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        specs = _specs(db, row[0])
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
        render=collection_renderer(ctx),
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
        "file": ctx.url(file_url(pk, filename)),
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
        return created(insert_file(db, ctx, row[4], row[1], row[0] or "file", row[3]))


def _create_file_direct(ctx: Ctx) -> Any:
    folder: Path = ctx.backend.data_dir / "files"

    def open_part(name: str, filename: str | None) -> HashingSink:
        if name != "file":
            return DiscardSink()
        return HashingSink(folder / uuid.uuid4().hex)

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
        entry["url"] = ctx.url(entry["url"])
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
                self._specs[collection] = {s["name"]: s for s in _specs(self.db, collection)}
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
    Route("data_collections/", GET=list_collections, POST=create_collection),
    Route("data_collections/<id:pk>/", GET=get_collection, PATCH=update_collection, DELETE=delete_collection),
    Route("data_files/", POST=create_file),
    Route("data_files/verify_checksums/", POST=verify_checksums),
    Route("data_units/", GET=list_units, POST=create_units),
    Route("data_units/<id:pk>/", GET=get_unit),
]
