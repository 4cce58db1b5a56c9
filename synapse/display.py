"""How resources and QuerySets show themselves in a REPL and a notebook; pandas export.

Nothing here sends a request: a repr reads only what an object already holds. pandas is
imported only by ``to_dataframe``.
"""

from __future__ import annotations

import datetime as _dt
import html
import importlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from synapse.orm.build import NOT_LOADED

if TYPE_CHECKING:
    from synapse.orm.queryset import QuerySet
    from synapse.orm.resource import Resource

__all__ = [
    "DisplayOptions",
    "options",
    "queryset_repr",
    "require_pandas",
    "resource_html",
    "resource_repr",
    "rows_html",
    "to_dataframe",
]

_MAX_TEXT = 40
_MAX_CELL = 120


class DisplayOptions:
    """Switches of the notebook display: ``synapse.display.options.thumbnails = True``.

    Attributes:
        thumbnails: The HTML view of a task includes a small render of it (off by default: it
            fetches the task's file, its unit and its project the first time).
        thumbnail_size: The longest side of that render, in pixels.
    """

    def __init__(self) -> None:
        self.thumbnails = False
        self.thumbnail_size = 160

    def __repr__(self) -> str:
        return f"DisplayOptions(thumbnails={self.thumbnails!r}, thumbnail_size={self.thumbnail_size!r})"


options = DisplayOptions()
"""The display switches in effect (module-wide)."""


def _short(value: Any, limit: int = _MAX_TEXT) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def resource_repr(obj: Resource) -> str:
    """``<Project 12 'Cars'>``; ``<Project 12 (not loaded)>`` for a lazy object."""
    cls = type(obj)
    id_attr = cls.options.id_attr
    ident = obj.__dict__.get(id_attr, "?")
    loaded = [name for name in obj._loaded_fields if name != id_attr]
    if not loaded:
        return f"<{cls.__name__} {ident} (not loaded)>"
    parts = [f"<{cls.__name__} {ident}"]
    for position, name in enumerate(cls.options.repr_fields):
        held = obj._peek(name)
        if held is NOT_LOADED:
            continue
        value = _short(held)
        parts.append(value if position == 0 else f"{name}={value}")
    return " ".join(parts) + ">"


def _cell(value: Any) -> str:
    if hasattr(value, "_ident") and hasattr(value, "options"):  # a resource
        value = repr(value)
    elif isinstance(value, (_dt.datetime, _dt.date)):  # ISO text, not a datetime.datetime(...) repr
        value = value.isoformat()
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _MAX_CELL:
        text = text[: _MAX_CELL - 1] + "…"
    return html.escape(text)


def resource_html(obj: Resource) -> str:
    """A two-column field table; fields not loaded yet are marked, never fetched."""
    from synapse.orm.schema import compiled

    d = obj.__dict__
    rows = []
    for name in compiled(type(obj), by_attr=True):
        held = obj._peek(name)
        value = "<i>(not loaded)</i>" if held is NOT_LOADED else _cell(held)
        rows.append(f"<tr><th style='text-align:left'>{html.escape(name)}</th><td>{value}</td></tr>")
    for key, value in (d.get("_extra") or {}).items():
        rows.append(f"<tr><th style='text-align:left'>{html.escape(key)}</th><td>{_cell(value)}</td></tr>")
    title = html.escape(resource_repr(obj))
    return f"<table><caption>{title}</caption>{''.join(rows)}</table>"


def queryset_repr(qs: QuerySet[Any]) -> str:
    """``<QuerySet Task: GET sdk/tasks/?project=12&ordering=-created [0:50]>``: the query, not the data."""
    model = qs._model
    query = "&".join(f"{k}={v}" for k, v in qs._query().items())
    path = model.options.list_path or model.options.path or "?"
    window = ""
    if qs._low or qs._high is not None:
        window = f" [{qs._low}:{'' if qs._high is None else qs._high}]"
    unbound = "" if qs._client is not None else " (unbound)"
    return f"<QuerySet {model.__name__}: GET {path}{'?' + query if query else ''}{window}{unbound}>"


def rows_html(rows: Sequence[Resource], *, title: str = "", more: bool = False) -> str:
    """An HTML table of resources, one row each, columns from the fields they hold."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row._loaded_fields))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        held = [row._peek(c) for c in columns]
        cells = "".join(f"<td>{'' if v is NOT_LOADED else _cell(v)}</td>" for v in held)
        body.append(f"<tr>{cells}</tr>")
    if not rows:
        body.append("<tr><td><i>(no rows)</i></td></tr>")
    foot = f"<tr><td colspan='{max(len(columns), 1)}'>…</td></tr>" if more else ""
    return f"<table><caption>{title}</caption><tr>{head}</tr>{''.join(body)}{foot}</table>"


def require_pandas() -> Any:
    """Import pandas, or raise an ImportError that names the extra to install."""
    try:
        pandas = importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(
            "QuerySet.to_dataframe() needs pandas, which is not installed: "
            "pip install 'synapse-orm[pandas]'"
        ) from exc
    return pandas


def to_dataframe(rows: Iterable[Resource], columns: list[str] | None = None) -> Any:
    """Build a ``pandas.DataFrame`` from resources.

    Columns are the attribute names (``project_id``), as in the notebook tables; fields the
    SDK does not know keep the server's key. Datetimes stay datetimes.
    """
    pandas = require_pandas()
    records = []
    for row in rows:
        wire = row.to_dict()
        plans = type(row)._attr_plans
        by_wire = {plan.wire: plan.attr for plan in plans.values()}
        record = {by_wire.get(key, key): value for key, value in wire.items()}
        d = row.__dict__
        for plan in plans.values():
            if plan.is_datetime and plan.attr in d:
                record[plan.attr] = d[plan.attr]
        records.append(record)
    frame = pandas.DataFrame.from_records(records, columns=columns) if columns else pandas.DataFrame(records)
    return frame
