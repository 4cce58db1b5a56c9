"""Client settings: from arguments, then the environment, then ``~/.synapse/config.json``.

Each setting is resolved on its own; the first layer that gives it a value wins:

1. **arguments** of ``Config.resolve`` (and so of ``synapse.Client``);
2. an **explicitly selected profile** (``profile=`` or ``SYNAPSE_PROFILE``): naming a profile is a
   deliberate choice, so it beats variables that happen to be set in the shell;
3. the **environment**: ``SYNAPSE_BASE_URL`` (or ``SYNAPSE_HOST``), ``SYNAPSE_API_TOKEN`` (or
   ``SYNAPSE_ACCESS_TOKEN``), ``SYNAPSE_AGENT_TOKEN``, ``SYNAPSE_TENANT``, ``SYNAPSE_USER_TOKEN``;
4. the **config file** (``SYNAPSE_CONFIG`` or ``~/.synapse/config.json``): its ``default_profile``
   when it names one, else its top-level keys.

The config file keeps the keys the original tooling writes, and adds named profiles::

    {
      "host": "https://api.synapse.sh",          # or "base_url"
      "access_token": "...",                     # or "api_token"
      "tenant": "acme",
      "default_profile": "staging",              # optional: used when none is selected
      "profiles": {
        "staging": {"host": "https://staging.example.com", "access_token": "...",
                    "agent_token": "...", "user_token": "...", "timeout": [5, 60],
                    "verify": "/etc/ssl/staging-ca.pem", "allow_insecure_http": false}
      }
    }

A profile is self-contained: when one is selected the top-level keys are not mixed into it
(so a production token is never sent to a staging host by accident). A missing file is fine;
an unreadable or invalid one, or an unknown profile, raises ``ConfigurationError``.

There is no built-in base URL: when nothing names one, ``resolve`` raises (credentials are only
sent to a host the user named; ``DEFAULT_BASE_URL`` is the hosted platform, suggested in the
message). Plain ``http`` is refused for non-loopback hosts unless ``allow_insecure_http=True``.
``Config.sources`` records where each setting came from (``"argument"``, ``"env:SYNAPSE_API_TOKEN"``,
``"profile:staging"``, ``"file:/home/me/.synapse/config.json"``, ``"default"``), never the value.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs

from synapse.config import sources as _sources
from synapse.config.sources import DEFAULT_TIMEOUT, ENV_VARS, Timeout
from synapse.errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "ENV_VARS",
    "UNSET",
    "Config",
    "RetryPolicy",
    "Timeout",
    "Unset",
    "config_path",
    "is_loopback",
    "normalize_base_url",
    "origin_of",
    "timeout_pair",
]

DEFAULT_BASE_URL = "https://api.synapse.sh"
_DEFAULT_PORTS = {"http": 80, "https": 443}


_SECRETS = ("api_token", "agent_token", "tenant", "user_token")
_CREDENTIALS = ("api_token", "agent_token", "user_token")


@attrs.frozen
class RetryPolicy:
    """How a request is retried (see DESIGN.md "Retries").

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_factor: base of the exponential backoff, in seconds (full jitter is applied).
        backoff_max: the longest single wait computed from the backoff.
        retry_after_max: the longest ``Retry-After`` honoured; a longer one is not waited for.
        total_timeout: the budget in seconds for one call, all attempts and waits included.
    """

    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0
    total_timeout: float = 300.0

    def __attrs_post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int):
            raise ConfigurationError(f"max_retries must be an int >= 0, got {self.max_retries!r}")
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        for name in ("backoff_factor", "backoff_max", "retry_after_max", "total_timeout"):
            _sources.check_seconds(name, getattr(self, name), allow_zero=True)



class Unset(enum.Enum):
    """The type of :data:`UNSET`."""

    UNSET = "UNSET"


#: "Not given": an argument left at this is not a setting, so a lower layer or the default decides,
#: and an explicit value equal to the default still reports its source as ``argument``.
UNSET = Unset.UNSET

@attrs.frozen
class Config:
    """Resolved, immutable client settings. Build one with ``Config.resolve(...)``.

    ``repr`` never shows a token; ``sources`` says where each setting came from. A Config
    pickles (credentials included, so process-pool workers can connect).
    """

    base_url: str
    api_token: str | None = attrs.field(default=None, repr=False)
    agent_token: str | None = attrs.field(default=None, repr=False)
    tenant: str | None = attrs.field(default=None, repr=False)
    user_token: str | None = attrs.field(default=None, repr=False)
    timeout: Timeout = DEFAULT_TIMEOUT
    retries: RetryPolicy = RetryPolicy()
    cache_ttl: float = 30.0
    page_size: int = 100
    profile: str | None = None
    allow_insecure_http: bool = False
    verify: bool | str = True
    # Where each setting came from, e.g. {"base_url": "argument", "api_token": "env:SYNAPSE_API_TOKEN"}.
    sources: dict[str, str] = attrs.field(factory=dict, eq=False)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of ``base_url``: the only place credentials are sent."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def secrets(self) -> tuple[str, ...]:
        """The credential values set, longest first, for redaction; never log or show them."""
        values = {v for v in (self.api_token, self.agent_token, self.user_token, self.tenant) if v}
        return tuple(sorted(values, key=len, reverse=True))

    def describe_credentials(self) -> str:
        """Say which credentials are set and where from, e.g. ``api token from env:SYNAPSE_API_TOKEN``."""
        parts = [
            f"{name.replace('_', ' ')} from {self.sources.get(name, 'argument')}"
            for name in _SECRETS
            if getattr(self, name)
        ]
        return ", ".join(parts) or "no credentials"

    @classmethod
    def resolve(
        cls,
        base_url: str | None = None,
        api_token: str | None = None,
        agent_token: str | None = None,
        tenant: str | None = None,
        user_token: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        retries: int | RetryPolicy | None = None,
        cache_ttl: float | Unset = UNSET,
        page_size: int | Unset = UNSET,
        profile: str | None = None,
        allow_insecure_http: bool = False,
        verify: bool | str | None = None,
        env: Mapping[str, str] | None = None,
        config_file: str | os.PathLike[str] | None = None,
        require_credential: bool = True,
    ) -> Config:
        """Resolve settings from arguments, environment and config file (see module docstring).

        Three steps: read the layers (arguments, profile, environment, file), merge them (the
        first layer that sets a value wins, and says so in ``sources``), validate the result.

        Args:
            base_url: the backend's base URL; paths are joined to it.
            api_token: sent as ``Synapse-Access-Token: Token <api_token>``.
            agent_token: sent as ``SYNAPSE-Agent: Token <agent_token>``.
            tenant: sent as ``Synapse-Tenant: Token <tenant>``.
            user_token: sent as ``Authorization: Token <user_token>``.
            timeout: seconds, or a ``(connect, read)`` pair; default ``(5, 30)``.
            retries: a ``RetryPolicy``, or the number of retries; default ``RetryPolicy()``.
            cache_ttl: seconds a fetched resource stays cached; 0 turns the cache off; default 30.
            page_size: items per page when listing; default 100.
            profile: a profile of the config file to use.
            allow_insecure_http: allow plain ``http`` to a non-loopback host.
            verify: TLS verification: ``True``, ``False`` or a CA bundle path.
            env: the environment to read (default ``os.environ``; tests pass a dict).
            config_file: the config file (default ``SYNAPSE_CONFIG`` or ``~/.synapse/config.json``).
            require_credential: raise when no API, agent or user token is found.

        Returns:
            The resolved ``Config``.

        Raises:
            ConfigurationError: no base URL, no credential, an unsafe URL, an invalid value,
                an unreadable config file or an unknown profile.
        """
        environ: Mapping[str, str] = os.environ if env is None else env
        path = Path(config_file) if config_file is not None else config_path(environ)
        arguments = {
            "base_url": base_url,
            "api_token": api_token,
            "agent_token": agent_token,
            "tenant": tenant,
            "user_token": user_token,
            "timeout": timeout,
            "retries": retries,
            "cache_ttl": cache_ttl,
            "page_size": page_size,
            "verify": verify,
            "allow_insecure_http": allow_insecure_http or None,
        }
        layers, selected = _read_layers(arguments, profile, environ, path)
        values, sources = _merge(layers)
        if selected is not None:
            sources["profile"] = selected[1]
        return cls._validated(values, sources, path, selected[0] if selected else None, require_credential)

    @classmethod
    def _validated(
        cls,
        values: Mapping[str, Any],
        sources: dict[str, str],
        path: Path,
        profile: str | None,
        require_credential: bool,
    ) -> Config:
        """Check the merged values and build the Config (every unset setting: source ``default``)."""
        url = values.get("base_url")
        if not url:
            raise ConfigurationError(
                "no base URL: pass base_url=..., set SYNAPSE_BASE_URL (or SYNAPSE_HOST), or add "
                f"'host' to {path}; looked at the arguments, SYNAPSE_BASE_URL, SYNAPSE_HOST and "
                f"{path}. The hosted platform is {DEFAULT_BASE_URL}"
            )
        creds = {k: _sources.clean_secret(k, values.get(k)) for k in _SECRETS}
        if require_credential and not any(creds[k] for k in _CREDENTIALS):
            raise ConfigurationError(
                "no credential: pass api_token=... (or agent_token/user_token), or set one of "
                "SYNAPSE_API_TOKEN, SYNAPSE_ACCESS_TOKEN, SYNAPSE_AGENT_TOKEN, SYNAPSE_USER_TOKEN, "
                f"or add 'access_token' to {path}"
            )
        insecure = _sources.as_bool("allow_insecure_http", values.get("allow_insecure_http", False))
        for name in ("timeout", "retries", "cache_ttl", "page_size", "verify"):
            sources.setdefault(name, "default")
        return cls(
            base_url=normalize_base_url(str(url), allow_insecure_http=insecure),
            api_token=creds["api_token"],
            agent_token=creds["agent_token"],
            tenant=creds["tenant"],
            user_token=creds["user_token"],
            timeout=_sources.timeout(values.get("timeout")),
            retries=_retries(values.get("retries")),
            cache_ttl=_sources.check_seconds("cache_ttl", values.get("cache_ttl", 30.0), allow_zero=True),
            page_size=_sources.page_size(values.get("page_size", 100)),
            profile=profile,
            allow_insecure_http=insecure,
            verify=_sources.verify(values.get("verify")),
            sources=sources,
        )


#: A layer: its label (``argument``, ``env``, ``profile:NAME``, ``file:PATH``) and the settings it
#: sets; the environment's values are ``(value, variable name)`` pairs.
Layer = tuple[str, dict[str, Any]]


def _read_layers(
    arguments: Mapping[str, Any], profile: str | None, environ: Mapping[str, str], path: Path
) -> tuple[list[Layer], tuple[str, str] | None]:
    """The layers, highest first, and the profile used with where its name came from (or None)."""
    data = _sources.load_file(path)
    explicit, named_by = profile, "argument"
    if explicit is None and environ.get("SYNAPSE_PROFILE", "").strip():
        explicit, named_by = environ["SYNAPSE_PROFILE"].strip(), "env:SYNAPSE_PROFILE"
    given = {k: v for k, v in arguments.items() if v is not None and not isinstance(v, Unset)}
    layers: list[Layer] = [("argument", given)]
    if explicit is not None:
        layers.append((f"profile:{explicit}", _sources.profile_settings(data, explicit, path)))
    layers.append(("env", _sources.env_settings(environ)))
    if explicit is not None:
        return layers, (explicit, named_by)
    default_profile = data.get("default_profile")
    if default_profile:
        name = str(default_profile)
        layers.append((f"profile:{name}", _sources.profile_settings(data, name, path)))
        return layers, (name, f"file:{path}")
    layers.append((f"file:{path}", _sources.file_settings(data)))
    return layers, None


def _merge(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, str]]:
    """The first value each layer sets, highest layer first, and where each came from."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for label, layer in layers:
        for key, value in layer.items():
            if key in values or value is None or value == "":
                continue
            if label == "env":
                value, variable = value
                sources[key] = f"env:{variable}"
            else:
                sources[key] = label
            values[key] = value
    return values, sources


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Return the config file's path: ``SYNAPSE_CONFIG`` or ``~/.synapse/config.json``."""
    environ = os.environ if env is None else env
    override = environ.get("SYNAPSE_CONFIG", "").strip()
    return Path(override).expanduser() if override else Path.home() / ".synapse" / "config.json"


def is_loopback(host: str | None) -> bool:
    """Return True for ``localhost`` (and ``*.localhost``) and loopback IPs (127.0.0.0/8, ::1)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> str:
    """Return ``scheme://host:port`` of ``url`` (default port filled in), for origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def timeout_pair(value: float | tuple[float, float] | None, default: Timeout = DEFAULT_TIMEOUT) -> Timeout:
    """Normalise a timeout: seconds for both, a ``(connect, read)`` pair, or ``None`` for ``default``.

    Raises:
        ConfigurationError: not positive numbers.
    """
    return default if value is None else _sources.timeout(value)


def normalize_base_url(url: str, *, allow_insecure_http: bool = False) -> str:
    """Check a base URL and return it with a trailing ``/``.

    Args:
        url: ``http(s)://host[:port][/prefix]``.
        allow_insecure_http: accept plain ``http`` to a non-loopback host.

    Returns:
        The URL with a lower-case scheme and host and a path ending in ``/``.

    Raises:
        ConfigurationError: not http(s), no host, user info, query or fragment, or plain
            http to a remote host without the opt-in.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base URL must look like https://host[/prefix], got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("base URL must not hold credentials (user:password@); pass a token")
    if parts.query or parts.fragment:
        raise ConfigurationError("base URL must not have a query string or fragment")
    try:
        parts.port  # noqa: B018 - raises on an invalid port
    except ValueError as exc:
        raise ConfigurationError(f"base URL has an invalid port: {exc}") from None
    if scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http to {parts.hostname}: credentials would travel unencrypted; "
            "use https, or pass allow_insecure_http=True (loopback hosts are always allowed)"
        )
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((scheme, parts.netloc.lower(), path, "", ""))


def _retries(value: Any) -> RetryPolicy:
    if value is None:
        return RetryPolicy()
    if isinstance(value, RetryPolicy):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"retries must be an int >= 0 or a RetryPolicy, got {value!r}")
    return RetryPolicy(max_retries=value)
