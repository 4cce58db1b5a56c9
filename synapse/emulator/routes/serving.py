"""Model serving entries: ``GET POST serve_applications/`` (API.md, "Models and ground truth").

An entry belongs to a job; ``plugin_code`` and ``agent`` are the job's, so the list filters
``plugin_code`` and ``job__agent`` follow the job. Statuses are normalised to upper case.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import created, invalid_pk, jdump, jload
from synapse.emulator.routes.logs import JobRef
from synapse.emulator.validation import JSON, Dict, Invalid, validate
from synapse.emulator.wire import field_error

SERVE_STATUSES = ("DEPLOYING", "RUNNING", "DEPLOY_FAILED", "UNHEALTHY", "UNAVAILABLE")
SERVE_SELECT = "s.id, s.job, j.plugin, j.agent, s.status, s.data, s.created"
_SERVE_FROM = "serve_applications s LEFT JOIN jobs j ON j.id = s.job"


class _ServeStatus(JSON):
    def clean(self, value: Any) -> str:
        text = value.upper() if isinstance(value, str) else value
        if text not in SERVE_STATUSES:
            raise Invalid(f'"{value}" is not a valid choice.')
        return str(text)


SERVE_FIELDS = {
    "job": JobRef(required=True),
    "status": _ServeStatus(default="DEPLOYING"),
    "data": Dict(default=dict),
}


def render_serve_application(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A serving entry as JSON."""
    return {
        "id": row[0],
        "job": row[1],
        "plugin_code": row[2],
        "agent": row[3],
        "status": row[4],
        "data": jload(row[5]),
        "created": row[6],
    }


def list_serve_applications(ctx: Ctx) -> Any:
    """``GET serve_applications/``: filters ``plugin_code``, ``job__agent``, ``status``."""
    where = Where(ctx.args)
    where.id_filters("s.id")
    where.strings("plugin_code", "j.plugin")
    where.ints("job__agent", "j.agent")
    where.strings("status", "s.status", normalise=str.upper)
    where.strings("job", "s.job")
    query = ListQuery(
        select=SERVE_SELECT,
        from_=_SERVE_FROM,
        where=(where.sql(), where.params),
        key="s.id",
        orderings={"id": "s.id", "created": "s.created", "status": "s.status"},
        render=render_serve_application,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def create_serve_application(ctx: Ctx) -> Any:
    """``POST serve_applications/`` ``{"job", "status"?, "data"?}`` (201)."""
    data = validate(ctx.json(), SERVE_FIELDS)
    with ctx.backend.store.write() as db:
        if db.execute("SELECT 1 FROM jobs WHERE id = ?", (data["job"],)).fetchone() is None:
            raise field_error("job", invalid_pk(data["job"]))
        cur = db.execute(
            "INSERT INTO serve_applications (job, status, data, created) VALUES (?, ?, ?, ?)",
            (data["job"], data["status"], jdump(data["data"]), ctx.backend.clock.iso()),
        )
        row = db.execute(f"SELECT {SERVE_SELECT} FROM {_SERVE_FROM} WHERE s.id = ?", (cur.lastrowid,))
        return created(render_serve_application(db, row.fetchone()))


ROUTES = [
    Route("serve_applications/", GET=list_serve_applications, POST=create_serve_application),
]
