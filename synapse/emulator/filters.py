"""Query-string filters turned into SQL, with django-filter's 400 messages for bad values.

Unknown parameters are ignored (API.md); a known filter with a malformed value answers
400 naming the parameter, as django-filter does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import MultiDict

from synapse.emulator.clock import parse_iso
from synapse.emulator.store import SQLITE_MAX_INT
from synapse.emulator.wire import ApiError

__all__ = ["RANGE_SUFFIXES", "Where"]

RANGE_SUFFIXES = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class Where:
    """Collects SQL conditions and their parameters from the query string.

    Args:
        args: the query parameters.
    """

    def __init__(self, args: MultiDict[str, str]) -> None:
        self.args = args
        self.clauses: list[str] = []
        self.params: list[Any] = []
        self.errors: dict[str, list[str]] = {}

    # -- plumbing --------------------------------------------------------------------------
    def add(self, clause: str, *params: Any) -> None:
        """Add a raw condition."""
        if clause:
            self.clauses.append(clause)
            self.params.extend(params)

    def values(self, name: str) -> list[str]:
        """All values of a parameter, comma lists split, blanks dropped."""
        out: list[str] = []
        for raw in self.args.getlist(name):
            out.extend(v.strip() for v in raw.split(",") if v.strip())
        return out

    def _ints(self, name: str) -> list[int] | None:
        values = self.values(name)
        if not values:
            return None
        out = []
        for value in values:
            try:
                number = int(value)
            except ValueError:
                self.errors[name] = ["Enter a whole number."]
                return None
            if abs(number) > SQLITE_MAX_INT:
                self.errors[name] = ["Enter a whole number."]
                return None
            out.append(number)
        return out

    def sql(self) -> str:
        """`` WHERE ...`` (or ``""``); raises the collected 400 first."""
        if self.errors:
            raise ApiError(400, self.errors)
        return " WHERE " + " AND ".join(self.clauses) if self.clauses else ""

    # -- filters ---------------------------------------------------------------------------
    def ints(self, name: str, column: str) -> None:
        """``name=1`` or ``name=1,2`` (or repeated): the column is one of the values."""
        ids = self._ints(name)
        if ids:
            self.add(f"{column} IN ({','.join('?' * len(ids))})", *ids)

    def id_filters(self, column: str, name: str = "id") -> None:
        """``id``, ``id__in`` and ``id__gt/gte/lt/lte``."""
        self.ints(name, column)
        self.ints(f"{name}__in", column)
        for suffix, op in RANGE_SUFFIXES.items():
            key = f"{name}__{suffix}"
            ids = self._ints(key)
            if ids:
                self.add(f"{column} {op} ?", ids[0])

    def created(self, column: str, name: str = "created") -> None:
        """``created__gt/gte/lt/lte`` with ISO-8601 values."""
        for suffix, op in RANGE_SUFFIXES.items():
            key = f"{name}__{suffix}"
            raw = self.args.get(key)
            if raw is None or not raw.strip():
                continue
            value = parse_iso(raw)
            if value is None:
                self.errors[key] = ["Enter a valid date/time."]
            else:
                self.add(f"{column} {op} ?", value)

    def strings(self, name: str, column: str, *, normalise: Any = None) -> None:
        """``name=a`` or ``name=a,b``: the column equals one of the values."""
        values = self.values(name)
        if normalise is not None:
            values = [normalise(v) for v in values]
        if values:
            self.add(f"{column} IN ({','.join('?' * len(values))})", *values)

    def boolean(self, name: str, column: str) -> None:
        """``name=true|false``."""
        raw = self.args.get(name)
        if raw is None or raw == "":
            return
        low = raw.strip().lower()
        if low in _TRUE:
            self.add(f"{column} = 1")
        elif low in _FALSE:
            self.add(f"{column} = 0")
        else:
            self.errors[name] = [f"Select a valid choice. {raw} is not one of the available choices."]

    def json_any(self, name: str, column: str) -> None:
        """``name=1,2``: the JSON array in ``column`` holds any of the ids."""
        ids = self._ints(name)
        if ids:
            marks = ",".join("?" * len(ids))
            self.add(f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({marks}))", *ids)

    def exists_in(self, name: str, subquery: str) -> None:
        """``name=1,2``: ``subquery`` (with one ``{}`` for the placeholders) matches."""
        ids = self._ints(name)
        if ids:
            self.add(subquery.format(",".join("?" * len(ids))), *ids)

    def search(self, name: str, columns: Iterable[str]) -> None:
        """``search=text``: any of ``columns`` contains the text (case-insensitive)."""
        raw = self.args.get(name, "").strip()
        if raw:
            cols = list(columns)
            self.add(
                "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols) + ")",
                *[f"%{_escape_like(raw)}%"] * len(cols),
            )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
