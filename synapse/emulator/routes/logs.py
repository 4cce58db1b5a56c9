"""Job log entries: ``POST logs/``, one entry or a list of them (API.md, "Jobs").

An entry is ``{"job", "event", "data" (object), "datetime" (ISO 8601), "step"?, "level"?,
"file"? (a data URI)}``. A list is all or nothing; its errors name the item index and the
field (``"1.datetime"``), as for data units.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from synapse.emulator.clock import parse_iso
from synapse.emulator.context import Ctx
from synapse.emulator.routes import Route
from synapse.emulator.routes.common import created, invalid_pk, jdump, jload
from synapse.emulator.validation import (
    JSON,
    Choice,
    Dict,
    Invalid,
    Str,
    clean_fields,
    expect_object,
    type_name,
)
from synapse.emulator.wire import ApiError

LOG_LEVELS = ("debug", "info", "success", "warning", "danger", "error", "critical")
LOG_SELECT = "id, job, event, data, datetime, step, level, file, created"
_DATA_URI = re.compile(r"^data:[^,]*,", re.IGNORECASE)


class JobRef(JSON):
    """A job id: a string (jobs' ids are UUIDs) or an integer."""

    def clean(self, value: Any) -> str:
        """Return the id as text."""
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            raise Invalid("Incorrect type. Expected pk value, received " + type_name(value) + ".")
        return str(value).strip()


class _DateTime(JSON):
    def clean(self, value: Any) -> str:
        parsed = parse_iso(value) if isinstance(value, str) and value.strip() else None
        if parsed is None:
            raise Invalid(
                "Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
            )
        return parsed


class _Step(JSON):
    def clean(self, value: Any) -> str | int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise Invalid("Not a valid string.")
        return value


class _DataUri(JSON):
    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or not _DATA_URI.match(value):
            raise Invalid('Expected a data URI ("data:<media type>;base64,<data>").')
        return value


LOG_FIELDS = {
    "job": JobRef(required=True),
    "event": Str(required=True, max_length=255),
    "data": Dict(required=True),
    "datetime": _DateTime(required=True),
    "step": _Step(allow_null=True, default=None),
    "level": Choice(LOG_LEVELS, allow_null=True, default=None),
    "file": _DataUri(allow_null=True, default=None),
}


def render_entry(db: sqlite3.Connection, row: Sequence[Any]) -> dict[str, Any]:
    """A log entry as JSON."""
    return {
        "id": row[0],
        "job": row[1],
        "event": row[2],
        "data": jload(row[3]),
        "datetime": row[4],
        "step": jload(row[5]),
        "level": row[6],
        "file": row[7],
        "created": row[8],
    }


def create_logs(ctx: Ctx) -> Any:
    """``POST logs/``: one entry (answers the entry) or a list (answers the list), 201."""
    body = ctx.json()
    many = isinstance(body, list)
    items = body if many else [expect_object(body)]
    if many and not items:
        raise ApiError(400, {"non_field_errors": ["This list may not be empty."]})
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []

    def name(index: int, field: str) -> str:
        return f"{index}.{field}" if many else field

    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[name(index, "non_field_errors")] = [
                f"Invalid data. Expected a dictionary, but got {type_name(item)}."
            ]
            continue
        data, item_errors = clean_fields(item, LOG_FIELDS)
        for field, messages in item_errors.items():
            errors[name(index, field)] = messages
        cleaned.append(data if not item_errors else {})
    if errors:
        raise ApiError(400, errors)
    with ctx.backend.store.write() as db:
        for index, data in enumerate(cleaned):
            if db.execute("SELECT 1 FROM jobs WHERE id = ?", (data["job"],)).fetchone() is None:
                errors[name(index, "job")] = [invalid_pk(data["job"])]
        if errors:
            raise ApiError(400, errors)
        now = ctx.backend.clock.iso()
        out = []
        for data in cleaned:
            cur = db.execute(
                "INSERT INTO log_entries (job, event, data, datetime, step, level, file, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    data["job"],
                    data["event"],
                    jdump(data["data"]),
                    data["datetime"],
                    None if data["step"] is None else jdump(data["step"]),
                    data["level"],
                    data["file"],
                    now,
                ),
            )
            row = db.execute(f"SELECT {LOG_SELECT} FROM log_entries WHERE id = ?", (cur.lastrowid,))
            out.append(render_entry(db, row.fetchone()))
    return created(out if many else out[0])


ROUTES = [
    Route("logs/", POST=create_logs),
]
