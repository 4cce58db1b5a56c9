"""Jobs: list, detail, PATCH (stop, progress), console logs and their SSE tail (API.md)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from synapse.emulator.context import Backend, Ctx
from synapse.emulator.filters import Where
from synapse.emulator.pagination import ListQuery, paginate
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import JOB_STATUSES, TERMINAL_STATUSES, fetch, jdump, jload
from synapse.emulator.validation import JSON, Dict, Invalid, validate
from synapse.emulator.wire import Reply, not_found

JOB_SELECT = (
    "seq, id, status, plugin, plugin_release, agent, action, params, progress_record, metrics_record, "
    "result, "
    "meta, created, started, finished"
)


def render_job(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A job row as JSON (``job_id`` equals ``id``)."""
    return {
        "id": row[1],
        "job_id": row[1],
        "status": row[2],
        "plugin": row[3],
        "plugin_release": row[4],
        "agent": row[5],
        "action": row[6],
        "params": jload(row[7]),
        "progress_record": jload(row[8]),
        "metrics_record": jload(row[9]),
        "result": jload(row[10]),
        "meta": jload(row[11]),
        "created": row[12],
        "started": row[13],
        "finished": row[14],
    }


def load_job(db: sqlite3.Connection, job_id: str) -> dict[str, Any]:
    """One job as JSON, or a 404."""
    return render_job(db, fetch(db, f"SELECT {JOB_SELECT} FROM jobs WHERE id = ?", (job_id,)))


def list_jobs(ctx: Ctx) -> Any:
    """``GET jobs/`` with filters ``status``, ``plugin``, ``agent``, ``action``."""
    ctx.backend.jobs.catch_up()
    where = Where(ctx.args)
    where.strings("status", "status", normalise=str.upper)
    plugin = where.values("plugin")
    if plugin:
        marks = ",".join("?" * len(plugin))
        where.add(
            f"(plugin IN ({marks}) OR plugin IN "
            f"(SELECT code FROM plugins WHERE CAST(id AS TEXT) IN ({marks})))",
            *plugin,
            *plugin,
        )
    where.ints("agent", "agent")
    where.strings("action", "action")
    where.created("created")
    query = ListQuery(
        select=JOB_SELECT,
        from_="jobs",
        where=(where.sql(), where.params),
        key="seq",
        orderings={"created": "seq", "id": "seq", "status": "status"},
        render=render_job,
        default_order="seq DESC",
    )
    with ctx.backend.store.read() as db:
        return paginate(ctx, db, query)


def get_job(ctx: Ctx, job_id: str) -> Any:
    """``GET jobs/{id}/``."""
    ctx.backend.jobs.catch_up()
    with ctx.backend.store.read() as db:
        return load_job(db, job_id)


class _Status(JSON):
    def clean(self, value: Any) -> str:
        text = value.upper() if isinstance(value, str) else value
        if text not in JOB_STATUSES:
            raise Invalid(f'"{value}" is not a valid choice.')
        return str(text)


class _Lines(JSON):
    """One console entry or a list: each a string or ``{"message", "level"?, ...}`` (its message is kept)."""

    def clean(self, value: Any) -> list[str]:
        entries = value if isinstance(value, list) else [value]
        lines: list[str] = []
        for entry in entries:
            if isinstance(entry, dict):
                entry = entry.get("message")
            if not isinstance(entry, str):
                raise Invalid('Expected a string, a {"message": ...} object, or a list of them.')
            lines.extend(entry.splitlines() or [entry])
        return lines


JOB_UPDATE_FIELDS = {
    "status": _Status(),
    "progress_record": Dict(),
    "metrics_record": Dict(),
    "console_logs": _Lines(),
    "result": JSON(allow_null=True),
    "meta": Dict(),
}


def update_job(ctx: Ctx, job_id: str) -> Any:
    """``PATCH jobs/{id}/``: status (``STOPPED`` stops it), records, appended console lines."""
    data = validate(ctx.json({}), JOB_UPDATE_FIELDS, partial=True)
    backend = ctx.backend
    backend.jobs.catch_up()
    with backend.store.write() as db:
        seq, status = fetch(db, "SELECT seq, status FROM jobs WHERE id = ?", (job_id,))
        for line in data.pop("console_logs", []):
            db.execute("INSERT INTO job_logs (job, line) VALUES (?, ?)", (seq, line))
        new_status = data.pop("status", None)
        if new_status is not None and new_status != status:
            now = backend.clock.iso()
            # A status set from outside takes the job off the emulator's script.
            db.execute("UPDATE jobs SET status = ?, next_due = NULL WHERE seq = ?", (new_status, seq))
            if new_status in TERMINAL_STATUSES:
                db.execute("UPDATE jobs SET finished = COALESCE(finished, ?) WHERE seq = ?", (now, seq))
            if new_status == "RUNNING":
                db.execute("UPDATE jobs SET started = COALESCE(started, ?) WHERE seq = ?", (now, seq))
            if new_status == "STOPPED":
                db.execute("INSERT INTO job_logs (job, line) VALUES (?, ?)", (seq, "Job stopped"))
        for name, value in data.items():
            db.execute(
                f"UPDATE jobs SET {name} = ? WHERE seq = ?", (None if value is None else jdump(value), seq)
            )
        return load_job(db, job_id)


def console_logs(ctx: Ctx, job_id: str) -> Any:
    """``GET jobs/{id}/console_logs/``: a JSON array of strings."""
    ctx.backend.jobs.catch_up()
    with ctx.backend.store.read() as db:
        (seq,) = fetch(db, "SELECT seq FROM jobs WHERE id = ?", (job_id,))
        return [r[0] for r in db.execute("SELECT line FROM job_logs WHERE job = ? ORDER BY seq", (seq,))]


def tail_logs(ctx: Ctx, job_id: str) -> Any:
    """``GET jobs/{id}/tail_console_logs/``: server-sent events until the job is terminal."""
    backend = ctx.backend
    backend.jobs.catch_up()
    with backend.store.read() as db:
        row = db.execute("SELECT seq FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise not_found()
    return Reply(
        200,
        stream=_events(backend, job_id, row[0]),
        content_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _events(backend: Backend, job_id: str, seq: int) -> Iterator[bytes]:
    yield _event({"type": "connected", "job_id": job_id})
    last_line = 0
    index = 0
    last_beat = time.monotonic()
    while not backend.stopping.is_set():
        backend.jobs.catch_up()
        with backend.store.read() as db:
            lines = db.execute(
                "SELECT seq, line FROM job_logs WHERE job = ? AND seq > ? ORDER BY seq", (seq, last_line)
            ).fetchall()
            state = db.execute("SELECT status, result FROM jobs WHERE seq = ?", (seq,)).fetchone()
        for line_seq, line in lines:
            # API.md: the platform nests the agent's own event line under ``data``.
            nested = "data: " + json.dumps({"type": "log", "message": line})
            yield _event({"type": "log", "index": index, "data": nested})
            index += 1
            last_line = line_seq
        if state is None:
            yield _event({"type": "error", "message": "The job was deleted."})
            return
        status, result = state
        if status in TERMINAL_STATUSES:
            if status == "FAILED":
                outcome = jload(result)
                error = outcome.get("error") if isinstance(outcome, dict) else None
                yield _event({"type": "error", "message": error or "The job failed."})
            yield _event({"type": "complete", "status": status})
            return
        if time.monotonic() - last_beat >= backend.settings.sse_heartbeat:
            last_beat = time.monotonic()
            yield b": heartbeat\n\n"
        backend.stopping.wait(0.05)


ROUTES = [
    Route("jobs/", GET=list_jobs),
    Route("jobs/<job_id>/", GET=get_job, PATCH=update_job),
    Route("jobs/<job_id>/console_logs/", GET=console_logs),
    Route("jobs/<job_id>/tail_console_logs/", GET=tail_logs),
]
