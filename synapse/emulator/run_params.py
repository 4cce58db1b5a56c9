"""Typed plugin run parameters: what a release's config declares, and the check of a run's ``params``.

A release declares its parameters per action, each with a type and optionally a default, whether
it is required, the values it may take and bounds::

    {"actions": {"train": {"entrypoint": "plugin.train.main",
                           "params": {"epochs": {"type": "integer", "default": 10, "minimum": 1},
                                      "device": {"type": "string", "choices": ["cpu", "cuda"]}}}}}

Types: ``integer`` (``int``), ``number`` (``float``), ``string`` (``str``), ``boolean`` (``bool``),
``array`` (``list``), ``object`` (``dict``). ``params`` may also be a list of declarations with a
``name``. A parameter the release does not declare is passed through unchecked (plugins take free
parameters), and so is a declaration without a known ``type``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["PARAM_TYPES", "check_params", "declared_params"]

PARAM_TYPES = {
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "string": "string",
    "str": "string",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "list": "array",
    "object": "object",
    "dict": "object",
}
_MESSAGES = {
    "integer": "must be an integer",
    "number": "must be a number",
    "string": "must be a string",
    "boolean": "must be a boolean",
    "array": "must be a list",
    "object": "must be an object",
}


def declared_params(config: Any, action: str | None) -> dict[str, dict[str, Any]]:
    """The parameter declarations of ``action`` in a release's config (name -> declaration)."""
    actions = config.get("actions") if isinstance(config, dict) else None
    spec: Any = None
    if isinstance(actions, dict):
        spec = actions.get(action) if action else None
    elif isinstance(actions, list):
        spec = next((a for a in actions if isinstance(a, dict) and a.get("name") == action), None)
    params = spec.get("params") if isinstance(spec, dict) else None
    if isinstance(params, list):
        params = {p["name"]: p for p in params if isinstance(p, dict) and isinstance(p.get("name"), str)}
    if not isinstance(params, dict):
        return {}
    return {str(name): decl for name, decl in params.items() if isinstance(decl, dict)}


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    return isinstance(value, dict)


def check_params(config: Any, action: str | None, params: dict[str, Any]) -> dict[str, list[str]]:
    """Check a run's ``params`` against the release's declarations for ``action``.

    Args:
        config: the release's ``config``.
        action: the action being run.
        params: the run's parameters.

    Returns:
        Field errors keyed ``params.<name>`` (empty when the parameters are valid).
    """
    errors: dict[str, list[str]] = {}
    for name, decl in declared_params(config, action).items():
        key = f"params.{name}"
        if name not in params:
            if decl.get("required") is True and "default" not in decl:
                errors[key] = ["This parameter is required."]
            continue
        value = params[name]
        kind = PARAM_TYPES.get(str(decl.get("type", "")).lower())
        if value is None:
            if not (decl.get("nullable") is True or ("default" in decl and decl["default"] is None)):
                errors[key] = ["may not be null"]
            continue
        if kind is None:
            continue
        if not _type_ok(kind, value):
            errors[key] = [_MESSAGES[kind]]
            continue
        choices = decl.get("choices", decl.get("enum"))
        if isinstance(choices, list) and value not in choices:
            errors[key] = [f"{value!r} is not one of {choices}"]
            continue
        if kind in ("integer", "number"):
            low, high = decl.get("minimum"), decl.get("maximum")
            if isinstance(low, (int, float)) and value < low:
                errors[key] = [f"must be >= {low}"]
            elif isinstance(high, (int, float)) and value > high:
                errors[key] = [f"must be <= {high}"]
    return errors
