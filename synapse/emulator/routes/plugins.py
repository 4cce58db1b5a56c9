"""Plugins, plugin releases and plugin runs (API.md)."""

from __future__ import annotations

import json
import re
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
    PLUGIN_CATEGORIES,
    created,
    expanded,
    fetch,
    invalid_pk,
    jdump,
    jload,
    media_url,
    no_content,
)
from synapse.emulator.run_params import check_params
from synapse.emulator.validation import JSON, Bool, Choice, Dict, Int, Str, StrList, validate
from synapse.emulator.wire import ApiError, field_error, not_found

PLUGIN_SELECT = "id, code, name, category, description, is_active, created"
RELEASE_SELECT = "r.id, p.code, r.version, r.config, r.requirements, r.debug, r.created, r.archive"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def render_plugin(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A plugin row as JSON."""
    return {
        "id": row[0],
        "code": row[1],
        "name": row[2],
        "category": row[3],
        "description": row[4],
        "is_active": bool(row[5]),
        "created": row[6],
    }


def available_actions(config: Any) -> list[str]:
    """The action names a release's ``config["actions"]`` declares (a dict or a list)."""
    actions = config.get("actions") if isinstance(config, dict) else None
    if isinstance(actions, dict):
        return [str(k) for k in actions]
    if isinstance(actions, list):
        return [str(a.get("name")) if isinstance(a, dict) else str(a) for a in actions]
    return []


def render_release(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A release row as JSON."""
    config = jload(row[3])
    return {
        "id": row[0],
        "plugin": row[1],
        "version": row[2],
        "config": config,
        "requirements": jload(row[4]),
        "available_actions": available_actions(config),
        "debug": bool(row[5]),
        "created": row[6],
    }


def release_renderer(ctx: Ctx, *, listing: bool = False) -> Any:
    """A release renderer adding ``file`` (the archive's download URL, or null).

    ``plugin`` is the plugin object when ``expand=plugin`` names it (or on a list under
    ``list_relations="expanded"``), else its code.
    """
    embed = expanded(ctx, "plugin", listing=listing)

    def render(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
        release = render_release(db, row)
        archive = row[7]
        name = quote(Path(archive).name) if archive else None
        release["file"] = media_url(ctx, f"media/plugin_releases/{row[0]}/{name}") if name else None
        if embed:
            plugin = resolve_plugin(db, row[1])
            release["plugin"] = render_plugin(db, plugin) if plugin is not None else row[1]
        return release

    return render


def resolve_plugin(db: sqlite3.Connection, ident: Any) -> Sequence[Any] | None:
    """A plugin row by id (digits) or code."""
    text = str(ident)
    if text.isdigit() and len(text) <= 18:
        row = db.execute(f"SELECT {PLUGIN_SELECT} FROM plugins WHERE id = ?", (int(text),)).fetchone()
        if row is not None:
            return row  # type: ignore[no-any-return]
    return db.execute(f"SELECT {PLUGIN_SELECT} FROM plugins WHERE code = ?", (text,)).fetchone()  # type: ignore[no-any-return]


def _plugin_or_404(db: sqlite3.Connection, ident: str) -> Sequence[Any]:
    row = resolve_plugin(db, ident)
    if row is None:
        raise not_found()
    return row


def list_plugins(ctx: Ctx) -> Any:
    """``GET plugins/``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.strings("code", "code")
    where.strings("category", "category")
    where.boolean("is_active", "is_active")
    where.search("search", ["name", "code", "description"])
    query = ListQuery(
        select=PLUGIN_SELECT,
        from_="plugins",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name", "code": "code", "created": "created"},
        render=render_plugin,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


PLUGIN_FIELDS = {
    "name": Str(required=True, max_length=255),
    "code": Str(max_length=100),
    "category": Choice(PLUGIN_CATEGORIES, default="neural_net"),
    "description": Str(allow_blank=True, default=""),
    "is_active": Bool(default=True),
}


def slugify(name: str) -> str:
    """A plugin code derived from its name: ``"My Plugin"`` -> ``"my-plugin"``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100] or "plugin"


def _check_code(db: sqlite3.Connection, code: str, own_id: int | None = None) -> None:
    if not _CODE.match(code):
        raise field_error("code", "Enter a valid code: letters, digits, '-', '_' or '.'.")
    row = db.execute("SELECT id FROM plugins WHERE code = ?", (code,)).fetchone()
    if row is not None and row[0] != own_id:
        raise field_error("code", "plugin with this code already exists.")


def create_plugin(ctx: Ctx) -> Any:
    """``POST plugins/`` (``code`` derived from the name when left out)."""
    data = validate(ctx.json(), PLUGIN_FIELDS)
    code = data.get("code") or slugify(data["name"])
    with ctx.backend.store.write() as db:
        _check_code(db, code)
        cur = db.execute(
            "INSERT INTO plugins (code, name, category, description, is_active, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                code,
                data["name"],
                data["category"],
                data["description"],
                int(data["is_active"]),
                ctx.backend.clock.iso(),
            ),
        )
        return created(
            render_plugin(
                db, fetch(db, f"SELECT {PLUGIN_SELECT} FROM plugins WHERE id = ?", (cur.lastrowid,))
            )
        )


def get_plugin(ctx: Ctx, ident: str) -> Any:
    """``GET plugins/{id or code}/``."""
    with ctx.backend.store.read() as db:
        return render_plugin(db, _plugin_or_404(db, ident))


def update_plugin(ctx: Ctx, ident: str) -> Any:
    """``PATCH`` or ``PUT`` ``plugins/{id}/``: both partial, as the original client sends ``PUT``."""
    data = validate(ctx.json({}), PLUGIN_FIELDS, partial=True)
    with ctx.backend.store.write() as db:
        pk = _plugin_or_404(db, ident)[0]
        if "code" in data:
            _check_code(db, data["code"], pk)
        for name, value in data.items():
            db.execute(f"UPDATE plugins SET {name} = ? WHERE id = ?", (value, pk))
        return render_plugin(db, fetch(db, f"SELECT {PLUGIN_SELECT} FROM plugins WHERE id = ?", (pk,)))


def delete_plugin(ctx: Ctx, ident: str) -> Any:
    """``DELETE plugins/{id}/`` (and its releases)."""
    with ctx.backend.store.write() as db:
        pk = _plugin_or_404(db, ident)[0]
        db.execute("DELETE FROM plugin_releases WHERE plugin = ?", (pk,))
        db.execute("DELETE FROM plugins WHERE id = ?", (pk,))
    return no_content()


# -- releases ------------------------------------------------------------------------------
_RELEASE_FROM = "plugin_releases r JOIN plugins p ON p.id = r.plugin"


def list_releases(ctx: Ctx) -> Any:
    """``GET plugin_releases/?plugin=<code>``."""
    where = Where(ctx.args)
    where.id_filters("r.id")
    plugin = ctx.args.get("plugin")
    if plugin:
        where.add("(p.code = ? OR CAST(p.id AS TEXT) = ?)", plugin, plugin)
    where.strings("version", "r.version")
    query = ListQuery(
        select=RELEASE_SELECT,
        from_=_RELEASE_FROM,
        where=(where.sql(), where.params),
        key="r.id",
        orderings={"id": "r.id", "created": "r.created", "version": "r.version"},
        render=release_renderer(ctx, listing=True),
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_release(ctx: Ctx, ident: str) -> Any:
    """``GET plugin_releases/{id or code@version}/``."""
    with ctx.backend.store.read() as db:
        if "@" in ident:
            code, version = ident.rsplit("@", 1)
            row = fetch(
                db,
                f"SELECT {RELEASE_SELECT} FROM {_RELEASE_FROM} WHERE p.code = ? AND r.version = ?",
                (code, version),
            )
        elif ident.isdigit() and len(ident) <= 18:
            row = fetch(db, f"SELECT {RELEASE_SELECT} FROM {_RELEASE_FROM} WHERE r.id = ?", (int(ident),))
        else:
            raise not_found()
        return release_renderer(ctx)(db, row)


RELEASE_FIELDS = {
    "plugin": Str(required=True),
    "version": Str(required=True, max_length=64),
    "config": Dict(default=dict),
    "requirements": StrList(default=list),
    "debug": Bool(default=False),
}


def create_release(ctx: Ctx) -> Any:
    """``POST plugin_releases/``: multipart with an archive ``file``, or JSON without one."""
    archive: HashingSink | None = None
    if ctx.mimetype == "multipart/form-data":
        folder = ctx.backend.data_dir / "releases"

        def open_part(name: str, filename: str | None) -> HashingSink:
            if name != "file":
                return DiscardSink()
            # A folder per archive keeps its file name for the download URL.
            return HashingSink(folder / uuid.uuid4().hex / (secure_filename(filename or "") or "archive"))

        fields, files = ctx.multipart(open_part)
        archive = files.get("file")
        body: dict[str, Any] = {k: v for k, v in fields.items() if k != "requirements"}
        if "requirements" in fields:
            body["requirements"] = fields.getlist("requirements")
        if "config" in body:
            try:
                body["config"] = json.loads(body["config"])
            except ValueError:
                raise field_error("config", "Value must be valid JSON.") from None
    else:
        body = ctx.json()
    try:
        data = validate(body, RELEASE_FIELDS)
        with ctx.backend.store.write() as db:
            plugin = resolve_plugin(db, data["plugin"])
            if plugin is None:
                raise field_error("plugin", invalid_pk(data["plugin"]))
            if db.execute(
                "SELECT 1 FROM plugin_releases WHERE plugin = ? AND version = ?", (plugin[0], data["version"])
            ).fetchone():
                raise field_error(
                    "version", f'Release "{data["version"]}" already exists for plugin "{plugin[1]}".'
                )
            cur = db.execute(
                "INSERT INTO plugin_releases "
                "(plugin, version, config, requirements, debug, archive, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    plugin[0],
                    data["version"],
                    jdump(data["config"]),
                    jdump(data["requirements"]),
                    int(data["debug"]),
                    str(archive.path) if archive else None,
                    ctx.backend.clock.iso(),
                ),
            )
            return created(
                release_renderer(ctx)(
                    db,
                    fetch(
                        db, f"SELECT {RELEASE_SELECT} FROM {_RELEASE_FROM} WHERE r.id = ?", (cur.lastrowid,)
                    ),
                )
            )
    except BaseException:
        if archive is not None:
            archive.path.unlink(missing_ok=True)
        raise


# -- runs ----------------------------------------------------------------------------------
RUN_FIELDS = {
    "agent": Int(allow_null=True),
    "action": Str(allow_null=True, max_length=255),
    "params": Dict(default=dict),
    "version": Str(allow_null=True, max_length=64),
    "debug": Bool(default=False),
    "meta": JSON(default=dict),
}


def run_plugin(ctx: Ctx, ident: str) -> Any:
    """``POST plugins/{id or code}/run/``: a new job (201), PENDING."""
    from synapse.emulator.routes.jobs import load_job

    data = validate(ctx.json({}), RUN_FIELDS)
    runner = ctx.backend.jobs
    with ctx.backend.store.write() as db:
        plugin = _plugin_or_404(db, ident)
        agent = data.get("agent")
        if agent is None:
            connected = db.execute("SELECT id FROM agents WHERE status = 'connected' LIMIT 2").fetchall()
            if len(connected) != 1:
                raise field_error("agent", "This field is required (no single connected agent to choose).")
            agent = connected[0][0]
        elif db.execute("SELECT 1 FROM agents WHERE id = ?", (agent,)).fetchone() is None:
            raise field_error("agent", invalid_pk(agent))
        version = data.get("version")
        sql = "SELECT id, version, config FROM plugin_releases WHERE plugin = ?"
        if version:
            release = db.execute(sql + " AND version = ?", (plugin[0], version)).fetchone()
            if release is None:
                raise field_error("version", f'Plugin "{plugin[1]}" has no release "{version}".')
        else:
            release = db.execute(sql + " ORDER BY id DESC LIMIT 1", (plugin[0],)).fetchone()
            if release is None:
                raise ApiError(400, {"non_field_errors": [f'Plugin "{plugin[1]}" has no release to run.']})
        config = jload(release[2])
        actions = available_actions(config)
        action = data.get("action") or (actions[0] if actions else None)
        # API.md: an action is checked only when the release declares actions; "fail" always runs (and fails).
        if action and actions and action not in actions and action != "fail":
            raise field_error(
                "action",
                f'"{action}" is not an action of {plugin[1]}@{release[1]} (available: {", ".join(actions)}).',
            )
        param_errors = check_params(config, action, data["params"])
        if param_errors:
            raise ApiError(400, param_errors)
        job_id = str(uuid.uuid4())
        cur = db.execute(
            "INSERT INTO jobs (id, status, plugin, plugin_release, agent, action, params, meta, created) "
            "VALUES (?, 'PENDING', ?, ?, ?, ?, ?, ?, ?)",
            (
                job_id,
                plugin[1],
                release[0],
                agent,
                action,
                jdump(data["params"]),
                jdump(data["meta"]),
                ctx.backend.clock.iso(),
            ),
        )
        runner.schedule(db, int(cur.lastrowid or 0), will_fail=runner.should_fail(action, config))
        return created(load_job(db, job_id))


ROUTES = [
    Route("plugins/", GET=list_plugins, POST=create_plugin),
    Route("plugins/<ident>/", GET=get_plugin, PUT=update_plugin, PATCH=update_plugin, DELETE=delete_plugin),
    Route("plugins/<ident>/run/", POST=run_plugin),
    Route("plugin_releases/", GET=list_releases, POST=create_release),
    Route("plugin_releases/<ident>/", GET=get_release),
]
