"""Client settings: from arguments, then the environment, then ``~/.synapse/config.json``.

CONTRACT STUB: the foundation work fills in the resolution logic; the names below are fixed.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["DEFAULT_BASE_URL", "Config", "RetryPolicy", "Timeout"]

DEFAULT_BASE_URL = "https://api.synapse.sh"

Timeout = tuple[float, float]


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


@attrs.frozen
class Config:
    """Resolved, immutable client settings. Build one with ``Config.resolve(...)``.

    ``repr`` never shows a token.
    """

    base_url: str
    api_token: str | None = attrs.field(default=None, repr=False)
    agent_token: str | None = attrs.field(default=None, repr=False)
    tenant: str | None = attrs.field(default=None, repr=False)
    user_token: str | None = attrs.field(default=None, repr=False)
    timeout: Timeout = (5.0, 30.0)
    retries: RetryPolicy = RetryPolicy()
    cache_ttl: float = 30.0
    page_size: int = 100
    profile: str | None = None
    allow_insecure_http: bool = False
    verify: bool | str = True
    # Where each setting came from, e.g. {"base_url": "argument", "api_token": "env:SYNAPSE_API_TOKEN"}.
    sources: dict[str, str] = attrs.field(factory=dict, eq=False)

    @classmethod
    def resolve(cls, **kwargs: Any) -> Config:
        """Resolve settings from arguments, environment and config file (see module docstring)."""
        raise NotImplementedError
