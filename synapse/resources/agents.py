"""Agents: the workers that run plugin jobs (``agents/``), and the agent health check.

The health check is ``POST agents/{agent token}/connect/``: the token is part of the *path*
(that is the protocol). So that it never shows up in an error or a log line, the token is
registered for redaction before the request (urllib3, which logs URL paths, has its records
scrubbed), and the transport is told to hide it for this request (``redact=``): its log lines,
the paths request hooks receive, and the message, ``path`` and body of any error show ``***``.
Only ``client.last_response``, the raw ``requests.Response`` kept for inspection, still holds
the real URL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from synapse.errors import ConfigurationError, NotFound
from synapse.http import redaction
from synapse.orm.build import MalformedAnswer, build
from synapse.orm.filters import Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Gettable

__all__ = ["Agent", "AgentManager"]


@resource
class Agent(Resource):
    """An agent: a machine that runs plugin jobs; ``status == "connected"`` means online.

    API.md has no detail route for agents: ``client.agents.get(1)`` (and completing a partial
    agent, e.g. one from ``health_check``) reads the list and picks the row.
    """

    options = ResourceOptions(
        path="agents/",
        repr_fields=("name", "status"),
        filters=Filters("status", ordering=("id", "name")),
        read_only={"id", "name", "url", "status", "checked_at"},
    )

    id: int
    name: str = NOT_LOADED
    url: str | None = NOT_LOADED
    status: str | None = NOT_LOADED
    checked_at: dt.datetime | None = NOT_LOADED

    @property
    def is_connected(self) -> bool:
        """Whether the agent is online (``status == "connected"``)."""
        return self.status == "connected"


class AgentManager(Gettable[Agent]):
    """``client.agents``: list agents, and check an agent's connection with its token."""

    _model = Agent

    def _fetch_raw(self, ident: Any, *, use_cache: bool) -> tuple[dict[str, Any], bool]:
        # No detail route (API.md): walk the list (``id`` narrows it where supported) and pick.
        client = self._require_client()
        if use_cache:
            raw = client.cache.get("Agent", ident)
            if raw is not None:
                return raw, True
        since = client.cache.generation
        for page in client.transport.iter_pages("agents/", {"id": ident}, page_size=100):
            for row in page.results:
                if isinstance(row, dict) and row.get("id") == ident:
                    client.cache.set("Agent", ident, row, since=since)
                    return row, False
        raise NotFound(404, f"no agent with id {ident}", method="GET", path="agents/")

    def health_check(self, token: str | None = None) -> Agent:
        """Tell the server the agent with this token is alive (``POST agents/{token}/connect/``).

        Args:
            token: the agent's token (default: the client's ``agent_token``).

        Returns:
            The agent (``id``, ``name``, ``status``, ``checked_at``); other fields load on read.

        Raises:
            NotFound: no agent has this token (the error never contains it).
            ConfigurationError: no token given and the client has no agent token.
            TypeError: ``token`` is not a non-empty string (before any request).
        """
        client = self._require_client()
        if token is None:
            token = client.config.agent_token
            if not token:
                raise ConfigurationError(
                    "health_check() needs an agent token: pass one or set SYNAPSE_AGENT_TOKEN"
                )
        if not isinstance(token, str) or not token.strip():
            raise TypeError(f"an agent token is a non-empty string, got {type(token).__name__}")
        segment = quote(token, safe="")
        secrets = tuple(dict.fromkeys((token, segment)))
        redaction.register_secrets(secrets)  # urllib3 logs the URL path: its records are scrubbed
        path = f"agents/{segment}/connect/"
        raw = self._write("POST", path, json={}, redact=secrets)  # its errors show "***" for the token
        if not isinstance(raw, dict):
            where = "agents/***/connect/"
            raise MalformedAnswer(f"POST {where}: expected an agent object", path=where)
        return build(Agent, raw, client, path="agents/")
