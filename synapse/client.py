"""``synapse.Client``: configuration, one Transport, one cache, one manager per collection."""

from __future__ import annotations

from typing import Any

from synapse.config import Config, RetryPolicy
from synapse.transport import Transport

__all__ = ["Client"]


class Client:
    """A connection to one Synapse backend.

    CONTRACT STUB: constructor signature fixed (issue 2); the foundation work implements the
    configuration part, the object model adds the managers (``client.projects`` ...), the
    upload work ``client.uploads``.
    """

    config: Config
    _transport: Transport

    def __init__(
        self,
        base_url: str | None = None,
        api_token: str | None = None,
        *,
        agent_token: str | None = None,
        tenant: str | None = None,
        user_token: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        retries: int | RetryPolicy | None = None,
        cache_ttl: float = 30.0,
        page_size: int = 100,
        profile: str | None = None,
        allow_insecure_http: bool = False,
        verify: bool | str | None = None,
    ) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Close the client's connections."""
        raise NotImplementedError

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
