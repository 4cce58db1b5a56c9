"""Body validation with DRF's messages: typed fields, choices, required fields.

A handler declares its fields and gets either clean values or a 400 naming each bad field::

    data = validate(ctx.json(), {"name": Str(), "category": Choice(CATEGORIES, default="image")})
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from synapse.emulator.store import SQLITE_MAX_INT
from synapse.emulator.wire import ApiError

__all__ = [
    "JSON",
    "Bool",
    "Choice",
    "Dict",
    "Field",
    "Int",
    "IntList",
    "Invalid",
    "Str",
    "StrList",
    "expect_object",
    "type_name",
    "validate",
]

_MISSING: Any = object()
_INT_RE = re.compile(r"^\s*-?\d{1,19}\s*$")


class Invalid(Exception):
    """A field's value is invalid; the message is DRF's."""


def type_name(value: Any) -> str:
    """The Python type name DRF puts in its messages."""
    return type(value).__name__


class Field:
    """A body field: whether it is required, its default, whether ``null`` is allowed."""

    def __init__(self, *, required: bool = False, default: Any = _MISSING, allow_null: bool = False) -> None:
        self.required = required
        self.default = default
        self.allow_null = allow_null

    def clean(self, value: Any) -> Any:
        """Check and convert ``value``; raise ``Invalid``."""
        return value


class JSON(Field):
    """Any JSON value."""


class Int(Field):
    """An integer (DRF also takes integral strings and floats, never booleans)."""

    def __init__(self, *, min_value: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.min_value = min_value

    def clean(self, value: Any) -> int:
        """Return the integer."""
        return to_int(value, self.min_value)


def to_int(value: Any, min_value: int | None = None) -> int:
    """DRF's ``IntegerField`` conversion, bounded to what SQLite stores."""
    if isinstance(value, bool):
        raise Invalid("A valid integer is required.")
    if isinstance(value, int):
        result = value
    elif (isinstance(value, float) and value.is_integer() and abs(value) < 2**63) or (
        isinstance(value, str) and _INT_RE.match(value)
    ):
        result = int(value)
    else:
        raise Invalid("A valid integer is required.")
    if result > SQLITE_MAX_INT:
        raise Invalid(f"Ensure this value is less than or equal to {SQLITE_MAX_INT}.")
    if result < (min_value if min_value is not None else -SQLITE_MAX_INT):
        raise Invalid(f"Ensure this value is greater than or equal to {min_value}.")
    return result


class Str(Field):
    """A string; blank refused unless ``allow_blank``."""

    def __init__(self, *, allow_blank: bool = False, max_length: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.allow_blank = allow_blank
        self.max_length = max_length

    def clean(self, value: Any) -> str:
        """Return the string."""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise Invalid("Not a valid string.")
        text = str(value)
        if not text.strip() and not self.allow_blank:
            raise Invalid("This field may not be blank.")
        if self.max_length is not None and len(text) > self.max_length:
            raise Invalid(f"Ensure this field has no more than {self.max_length} characters.")
        return text


class Choice(Field):
    """One of a fixed set of strings."""

    def __init__(self, choices: Collection[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.choices = choices

    def clean(self, value: Any) -> str:
        """Return the choice."""
        if not isinstance(value, str) or value not in self.choices:
            raise Invalid(f'"{value}" is not a valid choice.')
        return value


class Bool(Field):
    """A boolean (DRF's accepted spellings)."""

    TRUE = frozenset({True, "true", "True", "TRUE", "1", "yes", "on", "y", "t"})
    FALSE = frozenset({False, "false", "False", "FALSE", "0", "no", "off", "n", "f"})

    def clean(self, value: Any) -> bool:
        """Return the boolean."""
        if isinstance(value, (bool, int, str)) and not isinstance(value, float):
            if value in self.TRUE:
                return True
            if value in self.FALSE:
                return False
        raise Invalid("Must be a valid boolean.")


class Dict(Field):
    """A JSON object."""

    def clean(self, value: Any) -> dict[str, Any]:
        """Return the dict."""
        if not isinstance(value, dict):
            raise Invalid(f'Expected a dictionary of items but got type "{type_name(value)}".')
        return value


class IntList(Field):
    """A list of integers (primary keys)."""

    def clean(self, value: Any) -> list[int]:
        """Return the list."""
        if not isinstance(value, list):
            raise Invalid(f'Expected a list of items but got type "{type_name(value)}".')
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, str)):
                raise Invalid(f"Incorrect type. Expected pk value, received {type_name(item)}.")
            try:
                out.append(to_int(item, 0))
            except Invalid:
                raise Invalid(f'Invalid pk "{item}" - object does not exist.') from None
        return out


class StrList(Field):
    """A list of strings."""

    def clean(self, value: Any) -> list[str]:
        """Return the list."""
        if not isinstance(value, list):
            raise Invalid(f'Expected a list of items but got type "{type_name(value)}".')
        if not all(isinstance(v, str) for v in value):
            raise Invalid("Not a valid string.")
        return list(value)


def expect_object(body: Any) -> dict[str, Any]:
    """The body as a dict, or DRF's 400 for another type."""
    if not isinstance(body, dict):
        raise ApiError(
            400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type_name(body)}."]}
        )
    return body


def validate(body: Any, fields: Mapping[str, Field], *, partial: bool = False) -> dict[str, Any]:
    """Validate a JSON object against ``fields``; unknown keys are ignored (as DRF does).

    Args:
        body: the decoded body.
        fields: name -> field declaration.
        partial: a PATCH: nothing is required and defaults are not applied.

    Returns:
        The cleaned values of the fields present (and defaults when not ``partial``).

    Raises:
        ApiError: 400 with every field's messages.
    """
    data = expect_object(body)
    clean, errors = clean_fields(data, fields, partial=partial)
    if errors:
        raise ApiError(400, errors)
    return clean


def clean_fields(
    data: Mapping[str, Any], fields: Mapping[str, Field], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Like ``validate`` but returning ``(clean values, errors)`` instead of raising."""
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if partial:
                continue
            if field.required:
                errors[name] = ["This field is required."]
            elif field.default is not _MISSING:
                clean[name] = field.default() if callable(field.default) else field.default
            continue
        if value is None:
            if field.allow_null:
                clean[name] = None
            else:
                errors[name] = ["This field may not be null."]
            continue
        try:
            clean[name] = field.clean(value)
        except Invalid as exc:
            errors[name] = [str(exc)]
    return clean, errors
