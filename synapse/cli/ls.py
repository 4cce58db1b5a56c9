"""``synapse ls RESOURCE`` and ``synapse get RESOURCE ID``: objects as a table or as JSON.

``ls`` reads only the rows it shows (``--limit`` becomes the page size, so the default 50 rows
are one request); ``--json`` prints the objects as the API sent them, one JSON array.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

from synapse.cli._common import UsageError, connect, format_table, print_json
from synapse.cli._parser import RESOURCE_NAMES
from synapse.errors import ValidationError

if TYPE_CHECKING:
    from synapse.client import Client
    from synapse.orm.manager import Manager

__all__ = ["RESOURCES", "Listing", "run_get", "run_ls"]


class Listing(NamedTuple):
    """How a resource is listed: its manager on the client, default columns, relations to embed.

    A collection's ``file_specifications`` are ids in a list unless expanded.
    """

    manager: str
    columns: tuple[str, ...]
    expand: tuple[str, ...] = ()


RESOURCES: dict[str, Listing] = {
    "projects": Listing("projects", ("id", "title", "category", "task_count", "is_archived")),
    "tasks": Listing("tasks", ("id", "project", "data_unit", "status_label", "status_review", "tags")),
    "jobs": Listing("jobs", ("id", "plugin", "action", "status", "progress", "created")),
    "plugins": Listing("plugins", ("id", "code", "name", "category", "is_active")),
    "releases": Listing("plugin_releases", ("id", "plugin", "version", "available_actions", "created")),
    "collections": Listing(
        "data_collections", ("id", "name", "category", "is_archived", "created"), ("file_specifications",)
    ),
    "units": Listing("data_units", ("id", "data_collection", "checksum", "created")),
    "assignments": Listing("assignments", ("id", "project", "task", "user", "status_label", "status_review")),
    "task-tags": Listing("task_tags", ("id", "project", "name", "category")),
    "models": Listing("models", ("id", "name", "plugin", "version", "is_released")),
    "storages": Listing("storages", ("id", "name", "provider", "category")),
    "agents": Listing("agents", ("id", "name", "url", "status")),
    "gt-versions": Listing("ground_truth_versions", ("id", "ground_truth_dataset", "version", "is_archived")),
}
assert set(RESOURCES) == set(RESOURCE_NAMES)  # the parser's help lists the same names

_ALIASES = {
    "project": "projects", "task": "tasks", "job": "jobs", "plugin": "plugins", "release": "releases",
    "plugin-releases": "releases", "collection": "collections", "data-collections": "collections",
    "unit": "units", "data-units": "units", "assignment": "assignments", "tags": "task-tags",
    "task-tag": "task-tags", "model": "models", "storage": "storages", "agent": "agents",
    "ground-truth-versions": "gt-versions", "gt-version": "gt-versions",
}


def _listing(name: str) -> Listing:
    key = name.strip().lower().replace("_", "-")
    key = _ALIASES.get(key, key)
    if key not in RESOURCES:
        raise UsageError(f"unknown resource {name!r}; choose from: {', '.join(RESOURCE_NAMES)}")
    return RESOURCES[key]


def _manager(client: Client, listing: Listing) -> Manager[Any]:
    manager: Manager[Any] = getattr(client, listing.manager)
    return manager


def _value(record: dict[str, Any], column: str) -> Any:
    if column == "progress" and column not in record:  # jobs: the overall percent of progress_record
        current = (record.get("progress_record") or {}).get("current_progress") or {}
        overall = current.get("overall") if isinstance(current, dict) else None
        return None if overall is None else f"{overall:g}%"
    return record.get(column)


def run_ls(args: argparse.Namespace) -> int:
    """List objects; returns 0 (an empty list too)."""
    listing = _listing(args.resource)
    columns = listing.columns
    if args.columns:
        columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
    client = connect(args)
    try:
        qs: Any = _manager(client, listing).all()
        if listing.expand:
            qs = qs.expand(*listing.expand)
        try:
            if args.filters:
                qs = qs.filter(**dict(args.filters))
            if args.order_by:
                qs = qs.order_by(*args.order_by.split(","))
        except ValidationError as exc:  # an unknown filter or ordering name: no request was sent
            raise UsageError(str(exc.detail)) from None
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        if args.limit:
            qs = qs[: args.limit]
        records = [obj.to_dict() for obj in qs.iterator()]
    finally:
        client.close()
    if args.json:
        print_json(records)
    else:
        print(format_table(columns, ([_value(r, c) for c in columns] for r in records)))
        if not records:
            print(f"(no {args.resource})", file=sys.stderr)
    if args.limit and len(records) == args.limit:  # on stderr: `--json | jq` still reads pure JSON
        print(f"(first {args.limit} rows; --limit N for more, --limit 0 for all)", file=sys.stderr)
    return 0


def _ident(text: str) -> Any:
    return int(text) if text.isdigit() else text


def run_get(args: argparse.Namespace) -> int:
    """Show one object; exit status 1 (with the server's message) when it does not exist."""
    listing = _listing(args.resource)
    client = connect(args)
    try:
        try:
            obj = _manager(client, listing).get(_ident(args.id))
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        record = obj.to_dict()
    finally:
        client.close()
    if args.json:
        print_json(record)
    else:
        print(format_table(("field", "value"), record.items(), limit=100))
    return 0
