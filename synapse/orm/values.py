"""Values from the wire: ``NOT_LOADED``, JSON copies, timestamps, ids and the one cattrs converter.

The tolerant readers live here too: an id is read the way the platform types it (a job id sent
as an int, an int id sent as its digits), and a relation sent unexpanded (a bare id where an
object was expected) becomes ``{id attribute: id}``, which builds an unloaded related object.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import Any, Final

import cattrs

from synapse.errors import MalformedAnswer
from synapse.http import redaction

__all__ = [
    "CONTAINERS",
    "NOT_LOADED",
    "as_id",
    "check_ident",
    "converter",
    "format_datetime",
    "id_stub",
    "id_types",
    "json_copy",
    "parse_datetime",
    "shown",
]


class _NotLoaded:
    """The default of every resource field: "the server has not told us yet".

    It never stays on an instance: the attribute is removed instead, so that reading it falls
    through to ``Resource.__getattr__``, which completes the object with one GET. Typed ``Any``
    where it is used as a default so that ``title: str = NOT_LOADED`` passes ``mypy --strict``.
    """

    _instance: _NotLoaded | None = None

    def __new__(cls) -> _NotLoaded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LOADED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED: Final[Any] = _NotLoaded()

CONTAINERS: Final = (dict, list)  # the JSON values that are copied (scalars are shared)


def json_copy(value: Any) -> Any:
    """Return a deep copy of a JSON value (dicts and lists copied, scalars shared).

    Several times faster than ``copy.deepcopy`` on decoded JSON.

    Raises:
        MalformedAnswer: the value is nested too deeply to copy (a hostile answer can be
            parsed at a depth the copy, two frames per level, cannot reach).
    """
    try:
        return _json_copy(value)
    except RecursionError:
        raise MalformedAnswer("a JSON value from the server is nested too deeply") from None


def _json_copy(value: Any) -> Any:
    t = type(value)
    if t is dict:
        return {k: _json_copy(v) if type(v) in CONTAINERS else v for k, v in value.items()}
    if t is list:
        return [_json_copy(v) if type(v) in CONTAINERS else v for v in value]
    return value


def shown(value: Any, show: Callable[[Any], str] = repr) -> str:
    """A server value for an error message: credentials redacted (a server may echo a header), cut."""
    text = redaction.redact(show(value), redaction._secrets)
    return text if len(text) <= 60 else text[:59] + "…"


def parse_datetime(value: Any) -> _dt.datetime:
    """Parse an ISO 8601 timestamp from the wire (``Z`` accepted on every Python >= 3.10).

    Raises:
        MalformedAnswer: the value is not an ISO 8601 timestamp.
    """
    if isinstance(value, _dt.datetime):
        return value
    if not isinstance(value, str):
        raise MalformedAnswer(f"expected an ISO 8601 timestamp, got {type(value).__name__} {shown(value)}")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise MalformedAnswer(f"expected an ISO 8601 timestamp, got {shown(value)}") from None


def format_datetime(value: _dt.datetime) -> str:
    """Format a datetime for the wire (ISO 8601)."""
    return value.isoformat()


converter: Final = cattrs.Converter()
converter.register_structure_hook(_dt.datetime, lambda v, _: parse_datetime(v))
converter.register_unstructure_hook(_dt.datetime, format_datetime)


def id_types(cls: type[Any]) -> tuple[type, ...]:
    """The types an id of resource class ``cls`` may have, as a tuple (``(int,)``, ``(int, str)``)."""
    id_type = cls._id_type
    return id_type if isinstance(id_type, tuple) else (id_type,)


def as_id(types: tuple[type, ...], value: Any) -> Any:
    """An id as the platform types it: a str id (jobs) may arrive as an int, an int id as digits.

    Args:
        types: the id types of the resource (see ``id_types``).
        value: the value the server sent; returned unchanged when it cannot be read as an id.
    """
    if type(value) is bool or isinstance(value, types):
        return value
    if str in types and type(value) is int:
        return str(value)
    if int in types and type(value) is str and value.isascii() and value.isdigit():
        return int(value)
    return value


def id_stub(model: type[Any], value: Any) -> Any:
    """``{id attribute: id}`` for a bare id of ``model`` (a relation sent unexpanded); else ``value``."""
    if type(value) is bool or not isinstance(value, (int, str)):
        return value
    return {model._id_attr: as_id(id_types(model), value)}


def check_ident(cls: type[Any], ident: Any, path: str) -> Any:
    """Return ``ident`` (not exactly of the id type) as a valid id of ``cls``, or raise.

    An int where the platform uses str ids (a job id) becomes its str, and digits where it
    uses int ids become the int: both are read, never refused.

    Raises:
        MalformedAnswer: the id is missing or cannot be read as one (names ``path``).
    """
    types = id_types(cls)
    ident = as_id(types, ident)
    if ident is NOT_LOADED or ident is None or type(ident) is bool or not isinstance(ident, types):
        names = " or ".join(t.__name__ for t in types)
        raise MalformedAnswer(
            f"a {cls.__name__} object needs {cls._id_attr!r} of type {names}, got {shown(ident)}",
            path=path,
        )
    return ident
