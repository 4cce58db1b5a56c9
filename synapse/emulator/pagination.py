"""DRF page envelopes: page-number (with ``count``) and cursor mode (keyset, no ``count``).

``next``/``previous`` are absolute and carry every original query parameter (API.md);
``page_size`` is capped at the maximum; a page past the end is DRF's 404 ``Invalid page.``.
Cursor tokens are opaque (base64 of a small JSON position) and stable under inserts.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.wire import Reply, dumps, not_found

__all__ = ["ListQuery", "paginate"]

Row = Sequence[Any]


class ListQuery:
    """What a list route selects.

    Args:
        select: the SELECT list; its first column must be the keyset column.
        from_: the FROM clause (a table, possibly aliased).
        where: the `` WHERE ...`` text (or ``""``) and its parameters.
        key: the keyset column (unique, integer), e.g. ``"id"`` or ``"pgh_id"``.
        orderings: ``ordering`` names accepted in page mode -> SQL column.
        default_order: the ORDER BY used when no valid ``ordering`` is given.
        render: turns a row into the JSON object (may read more from ``db``).
        raw_select: optional SQL expression building a row's JSON text in SQLite (json_object);
            when given, pages are spliced from it without decoding (the fast path for big lists).
    """

    def __init__(
        self,
        *,
        select: str,
        from_: str,
        where: tuple[str, list[Any]],
        key: str,
        orderings: Mapping[str, str],
        render: Callable[[sqlite3.Connection, Row], dict[str, Any]],
        key_name: str = "id",
        default_order: str | None = None,
        raw_select: str | None = None,
    ) -> None:
        self.select = select
        self.from_ = from_
        self.where, self.params = where
        self.key = key
        self.key_name = key_name
        self.orderings = orderings
        self.render = render
        self.default_order = default_order or f"{key} ASC"
        self.raw_select = raw_select


def page_size(ctx: Ctx) -> int:
    """The requested page size, defaulted and capped."""
    settings = ctx.backend.settings
    raw = ctx.args.get("page_size") or ctx.args.get("limit")
    try:
        size = int(raw) if raw else settings.page_size
    except ValueError:
        size = settings.page_size
    if size <= 0:
        size = settings.page_size
    return min(size, settings.max_page_size)


def order_by(ctx: Ctx, q: ListQuery) -> str:
    """The ORDER BY from ``ordering`` (unknown fields ignored), with the key as tiebreaker."""
    parts: list[str] = []
    for raw in ctx.args.get("ordering", "").split(","):
        name = raw.strip()
        desc = name.startswith("-")
        column = q.orderings.get(name.lstrip("-"))
        if column:
            parts.append(f"{column} {'DESC' if desc else 'ASC'}")
    if not parts:
        return q.default_order
    if not any(p.startswith(q.key + " ") for p in parts):
        parts.append(f"{q.key} ASC")
    return ", ".join(parts)


def paginate(ctx: Ctx, db: sqlite3.Connection, q: ListQuery) -> dict[str, Any] | Reply:
    """Answer a list request in page-number or cursor mode."""
    if ctx.args.get("pagination") == "cursor" or "cursor" in ctx.args:
        return _cursor_page(ctx, db, q)
    size = page_size(ctx)
    raw_page = ctx.args.get("page", "1")
    try:
        number = 1 if raw_page in ("", "last") else int(raw_page)
    except ValueError:
        raise not_found("Invalid page.") from None
    count = db.execute(f"SELECT COUNT(*) FROM {q.from_}{q.where}", q.params).fetchone()[0]
    if raw_page == "last":
        number = max(1, -(-count // size))
    if number < 1 or (number > 1 and (number - 1) * size >= count):
        raise not_found("Invalid page.")
    select = f"{q.key}, {q.raw_select}" if q.raw_select else q.select
    rows = db.execute(
        f"SELECT {select} FROM {q.from_}{q.where} ORDER BY {order_by(ctx, q)} LIMIT ? OFFSET ?",
        [*q.params, size, (number - 1) * size],
    ).fetchall()
    nxt = ctx.url_with(page=number + 1) if number * size < count else None
    if number <= 1:
        prev = None
    elif number == 2:
        prev = ctx.url_with(page=None)
    else:
        prev = ctx.url_with(page=number - 1)
    envelope = {"count": count, "next": nxt, "previous": prev}
    if q.raw_select:
        return _spliced(envelope, rows)
    return {**envelope, "results": [q.render(db, row) for row in rows]}


def _spliced(envelope: dict[str, Any], rows: list[Any]) -> Reply:
    """A page whose rows are JSON text already: join them without decoding."""
    head = dumps(envelope)[:-1]
    body = b"".join((head, b',"results":[', ",".join(r[1] for r in rows).encode(), b"]}"))
    return Reply(200, raw=body)


def _encode_cursor(position: int, reverse: bool) -> str:
    raw = json.dumps({"p": position, "r": int(reverse)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[int, bool]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        position, reverse = data["p"], data["r"]
        if not isinstance(position, int) or isinstance(position, bool) or abs(position) >= 2**63:
            raise ValueError
        return position, bool(reverse)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise not_found("Invalid cursor") from None


def _cursor_page(ctx: Ctx, db: sqlite3.Connection, q: ListQuery) -> dict[str, Any]:
    size = page_size(ctx)
    ordering = ctx.args.get("ordering", f"-{q.key_name}").strip()
    descending = ordering != q.key_name  # only the key orders a cursor walk; "-key" by default
    token = ctx.args.get("cursor")
    position, reverse = _decode_cursor(token) if token else (None, False)
    # Walking backwards (a "previous" link) flips both the comparison and the sort.
    forward_desc = descending != reverse
    conds = [q.where[len(" WHERE ") :]] if q.where else []
    params = list(q.params)
    if position is not None:
        conds.append(f"{q.key} {'<' if forward_desc else '>'} ?")
        params.append(position)
    where = " WHERE " + " AND ".join(conds) if conds else ""
    direction = "DESC" if forward_desc else "ASC"
    rows = db.execute(
        f"SELECT {q.select} FROM {q.from_}{where} ORDER BY {q.key} {direction} LIMIT ?",
        [*params, size + 1],
    ).fetchall()
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()
    results = [q.render(db, row) for row in rows]
    nxt = prev = None
    if rows:
        first, last = rows[0][0], rows[-1][0]
        if more or reverse:
            nxt = ctx.url_with(cursor=_encode_cursor(last, False))
        if (position is not None and not reverse) or (reverse and more):
            prev = ctx.url_with(cursor=_encode_cursor(first, True))
    return {"next": nxt, "previous": prev, "results": results}
