"""Agents and the agent health check (API.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.wire import not_found


def render_agent(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """An agent as JSON (never its token)."""
    return {"id": row[0], "name": row[1], "url": row[2], "status": row[3]}


def list_agents(ctx: Ctx) -> Any:
    """``GET agents/``."""
    where = Where(ctx.args)
    where.id_filters("id")
    where.strings("status", "status")
    query = ListQuery(
        select="id, name, url, status",
        from_="agents",
        where=(where.sql(), where.params),
        key="id",
        orderings={"id": "id", "name": "name"},
        render=render_agent,
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def connect(ctx: Ctx, token: str) -> Any:
    """``POST agents/{agent token}/connect/``: marks the agent connected (404 for an unknown token)."""
    ctx.json({})  # an empty JSON body is expected; a malformed one is still a 400
    now = ctx.backend.clock.iso()
    with ctx.backend.store.write() as db:
        row = db.execute("SELECT id, name FROM agents WHERE token = ?", (token,)).fetchone()
        if row is None:
            raise not_found()
        db.execute("UPDATE agents SET status = 'connected', checked_at = ? WHERE id = ?", (now, row[0]))
    return {"id": row[0], "name": row[1], "status": "connected", "checked_at": now}


ROUTES = [
    Route("agents/", GET=list_agents),
    # The token in the path is the credential (API.md), so no header is required.
    Route("agents/<token>/connect/", auth=False, POST=connect),
]
