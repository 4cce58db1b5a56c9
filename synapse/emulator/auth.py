"""Credentials: API/user tokens mapped to the projects they may see, and agent tokens.

Headers follow API.md: ``Synapse-Access-Token: Token <t>``, ``Authorization: Token <t>``
(a user token; a ``Synapse-Tenant`` header beside it is accepted and ignored) and
``SYNAPSE-Agent: Token <agent token>``. Messages are DRF's ``TokenAuthentication`` ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from synapse.emulator.wire import ApiError

__all__ = ["Auth", "Identity", "Scope", "TokenScopes"]

#: ``None`` means every project; otherwise the ids of the projects the credential may see.
Scope = frozenset[int] | None
#: What ``Emulator(tokens=...)`` accepts: token -> ``"*"`` or project ids.
TokenScopes = Mapping[str, str | Iterable[int]]

_HEADERS = (
    ("HTTP_SYNAPSE_ACCESS_TOKEN", "api"),
    ("HTTP_AUTHORIZATION", "user"),
    ("HTTP_SYNAPSE_AGENT", "agent"),
)
_CHALLENGE = {"WWW-Authenticate": "Token"}


class Identity:
    """Who sent a request: the credential kind, its (secret) key and its project scope."""

    __slots__ = ("key", "kind", "scope")

    def __init__(self, kind: str, key: str, scope: Scope) -> None:
        self.kind = kind
        self.key = key
        self.scope = scope

    def __repr__(self) -> str:
        return f"Identity(kind={self.kind!r})"


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, {"detail": detail}, _CHALLENGE)


class Auth:
    """Checks the credentials of each request.

    Args:
        tokens: API/user token -> ``"*"`` (every project) or an iterable of project ids.
        agent_lookup: returns whether a string is a known agent token (agents live in the
            database); positive answers are cached.
    """

    def __init__(self, tokens: TokenScopes, agent_lookup: Callable[[str], bool]) -> None:
        self._tokens: dict[str, Scope] = {}
        for token, scope in tokens.items():
            if not isinstance(token, str) or not token or " " in token:
                raise ValueError("tokens must be non-empty strings without spaces")
            if isinstance(scope, str):
                if scope != "*":
                    raise ValueError('a token scope is "*" or a list of project ids')
                self._tokens[token] = None
            else:
                self._tokens[token] = frozenset(int(p) for p in scope)
        self._agent_lookup = agent_lookup
        self._agents: set[str] = set()

    @property
    def first_token(self) -> str | None:
        """The first configured token (``emu.token``)."""
        return next(iter(self._tokens), None)

    def forget_agents(self) -> None:
        """Drop the agent-token cache (after agents change in the database)."""
        self._agents.clear()

    def authenticate(self, environ: Mapping[str, Any]) -> Identity:
        """The identity of a request, or a 401 ``ApiError``."""
        for header, kind in _HEADERS:
            value = environ.get(header)
            if value is None:
                continue
            parts = value.split()
            if not parts or parts[0].lower() != "token":
                continue  # DRF: another scheme is not ours to judge
            if len(parts) == 1:
                raise _unauthorized("Invalid token header. No credentials provided.")
            if len(parts) > 2:
                raise _unauthorized("Invalid token header. Token string should not contain spaces.")
            key = parts[1]
            if kind == "agent":
                if self.is_agent(key):
                    return Identity("agent", key, None)
            elif key in self._tokens:
                return Identity(kind, key, self._tokens[key])
            raise _unauthorized("Invalid token.")
        raise _unauthorized("Authentication credentials were not provided.")

    def is_agent(self, key: str) -> bool:
        """Whether ``key`` is an agent token."""
        if key in self._agents:
            return True
        if self._agent_lookup(key):
            self._agents.add(key)
            return True
        return False
