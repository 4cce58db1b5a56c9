"""What the commands share: connecting from the options, errors, tables and JSON output."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from synapse.client import Client
    from synapse.config import Config

__all__ = ["UsageError", "connect", "fail", "format_table", "print_json", "resolve_config", "text_of"]

_CELL_MAX = 48
_TOKEN_WARNING = (
    "warning: --token puts the token in your shell history and the process list; "
    "prefer the SYNAPSE_API_TOKEN environment variable or a profile in ~/.synapse/config.json"
)
_warned = False
_ISO = re.compile(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)?")


class UsageError(Exception):
    """The command was called wrongly (exit status 2): a bad path, an unknown name."""


def fail(prog: str, message: str, *, status: int, hint: str = "") -> int:
    """Print ``prog: error: message`` (and a ``hint:`` line) to stderr and return ``status``."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    if hint:
        print(f"hint: {hint}", file=sys.stderr)
    return status


def resolve_config(
    args: argparse.Namespace, *, require_credential: bool = True, retries: int | None = None
) -> Config:
    """Resolve the settings from ``--base-url``/``--token``/``--profile``, the environment and the file.

    Warns (once, on stderr) when the token came from ``--token``.

    Args:
        args: the parsed command line.
        require_credential: raise when no token is configured.
        retries: retries per request (default: the client's policy).

    Raises:
        ConfigurationError: no base URL, no credential, or an invalid setting.
    """
    global _warned
    from synapse.config import Config

    token = getattr(args, "api_token", None)
    if token and not _warned:
        _warned = True
        print(f"synapse: {_TOKEN_WARNING}", file=sys.stderr)
    return Config.resolve(
        getattr(args, "base_url", None), token, profile=getattr(args, "profile", None),
        require_credential=require_credential, retries=retries,
    )


def connect(args: argparse.Namespace) -> Client:
    """Return a ``synapse.Client`` built from the command's connection options.

    Raises:
        ConfigurationError: see ``resolve_config``.
    """
    from synapse.client import Client

    return Client.from_config(resolve_config(args))


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def print_json(value: Any, stream: TextIO | None = None) -> None:
    """Print ``value`` as indented JSON (datetimes as ISO strings)."""
    out = stream or sys.stdout
    out.write(json.dumps(value, indent=2, default=_json_default, ensure_ascii=False) + "\n")


def text_of(value: Any, limit: int = _CELL_MAX) -> str:
    """One table cell: ``None`` empty, lists comma-joined, objects as compact JSON, cut at ``limit``."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        text = ",".join(str(v) for v in value)
    elif isinstance(value, (dict, list, tuple)):
        text = json.dumps(value, separators=(",", ":"), default=_json_default, ensure_ascii=False)
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
        iso = _ISO.fullmatch(text)
        if iso:  # 2024-01-01T00:01:30.000000Z -> 2024-01-01 00:01:30 (UTC shown as is)
            date, time, zone = iso.groups()
            text = f"{date} {time}" + ("" if zone in (None, "Z", "+00:00") else zone)
    text = " ".join(text.split())  # one line per row, whatever the value holds
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, limit: int = _CELL_MAX) -> str:
    """A plain-text table: a header line, a rule, one line per row; numbers right-aligned.

    Args:
        headers: the column names.
        rows: the values, one sequence per row (see ``text_of``).
        limit: the widest a cell may be; longer ones are cut with an ellipsis.
    """
    cells = [[text_of(v, limit) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    numeric = [True] * len(headers)
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
            if cell and not cell.lstrip("-").replace(".", "", 1).isdigit():
                numeric[i] = False

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out)
