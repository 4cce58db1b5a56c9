"""Reading settings (config file, environment) and checking their values, for ``config.py``."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse.errors import ConfigurationError

Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (5.0, 30.0)

ENV_VARS: dict[str, tuple[str, ...]] = {
    "base_url": ("SYNAPSE_BASE_URL", "SYNAPSE_HOST"),
    "api_token": ("SYNAPSE_API_TOKEN", "SYNAPSE_ACCESS_TOKEN"),
    "agent_token": ("SYNAPSE_AGENT_TOKEN",),
    "tenant": ("SYNAPSE_TENANT",),
    "user_token": ("SYNAPSE_USER_TOKEN",),
}
"""Setting -> environment variables read for it, first set wins (API.md "Auth headers")."""

# setting -> keys accepted in the config file (the original tooling writes host/access_token).
_FILE_KEYS: dict[str, tuple[str, ...]] = {
    "base_url": ("host", "base_url"),
    "api_token": ("access_token", "api_token"),
    "agent_token": ("agent_token",),
    "tenant": ("tenant",),
    "user_token": ("user_token",),
    "timeout": ("timeout",),
    "verify": ("verify",),
    "allow_insecure_http": ("allow_insecure_http",),
}


def load_file(path: Path) -> dict[str, Any]:
    """Read the JSON config file at ``path`` (``{}`` when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        # The message names the position only, never the content (it holds tokens).
        raise ConfigurationError(
            f"config file {path} is not valid JSON (line {getattr(exc, 'lineno', '?')})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"config file {path} must hold a JSON object")
    return data


def file_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level settings of a config file (the original tooling's keys mapped to ours)."""
    out: dict[str, Any] = {}
    for setting, keys in _FILE_KEYS.items():
        for key in keys:
            if data.get(key) not in (None, ""):
                out[setting] = data[key]
                break
    return out


def profile_settings(data: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    """The settings of the named profile of a config file."""
    profiles = data.get("profiles") or {}
    if not isinstance(profiles, dict) or not isinstance(profiles.get(name), dict):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
        raise ConfigurationError(f"no profile {name!r} in {path} (profiles: {known})")
    return file_settings(profiles[name])


def env_settings(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The settings the environment gives: ``{setting: (value, variable name)}``."""
    out: dict[str, tuple[str, str]] = {}
    for setting, names in ENV_VARS.items():
        for name in names:
            value = environ.get(name, "").strip()
            if value:
                out[setting] = (value, name)
                break
    return out


def clean_secret(name: str, value: Any) -> str | None:
    """A token as given, stripped; ``None`` when unset or empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {type(value).__name__}")
    value = value.strip()
    # Accept a value pasted with its header prefix: the prefix is added when sending.
    if value[:6].lower() == "token ":
        value = value[6:].strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigurationError(f"{name} contains control characters (a line break?)")
    return value or None


def check_seconds(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """A number of seconds, checked to be finite and positive (or zero when allowed)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(f"{name} must be a number of seconds, got {value!r}")
    if math.isnan(value) or math.isinf(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigurationError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def timeout(value: Any) -> Timeout:
    """A timeout setting read as seconds or a ``(connect, read)`` pair."""
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ConfigurationError(f"timeout must be seconds or a (connect, read) pair, got {value!r}")
        return (check_seconds("connect timeout", value[0]), check_seconds("read timeout", value[1]))
    seconds = check_seconds("timeout", value)
    return (seconds, seconds)


def page_size(value: Any) -> int:
    """A page size, checked to be a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"page_size must be an int >= 1, got {value!r}")
    return value


def verify(value: Any) -> bool | str:
    """The TLS verification setting: a bool or the path of a CA bundle."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, os.PathLike)):
        path = os.fspath(value)
        if not os.path.exists(path):
            raise ConfigurationError(f"verify: CA bundle {path!r} does not exist")
        return str(path)
    raise ConfigurationError(f"verify must be True, False or a CA bundle path, got {value!r}")


def as_bool(name: str, value: Any) -> bool:
    """A boolean setting, checked to be a real bool."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be true or false, got {value!r}")
    return value
