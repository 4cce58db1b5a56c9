"""Fixtures of the security suite: distinctive credentials, and servers on 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from synapse.client import Client
from tests.conftest import LoopbackServer

API_TOKEN = "sk-API-7f3c9a1e5b2d4f60a8c7e9b1d3f5a7c9"
AGENT_TOKEN = "sk-AGENT-0b1c2d3e4f5a6b7c8d9e0f1a2b3c"
TENANT = "tenant-SECRET-4e5f6a7b8c"
USER_TOKEN = "sk-USER-9a8b7c6d5e4f3a2b1c0d9e8f"
SECRETS = (API_TOKEN, AGENT_TOKEN, TENANT, USER_TOKEN)


def leaked(text: str | bytes) -> list[str]:
    """The secrets (or their distinctive halves) found in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return [s for s in SECRETS if s in text or s[len(s) // 2 :] in text]


@pytest.fixture
def emu(synapse_emulator_factory: Callable[..., Any]) -> Any:
    """A demo emulator that accepts ``API_TOKEN`` (the agent of the seed gets ``AGENT_TOKEN``)."""
    emulator = synapse_emulator_factory(tokens={API_TOKEN: "*"})
    with emulator.db.write() as db:
        db.execute("UPDATE agents SET token = ? WHERE id = 1", (AGENT_TOKEN,))
    return emulator


@pytest.fixture
def client(emu: Any) -> Iterator[Client]:
    """A client holding all four credentials."""
    c = Client(
        base_url=emu.url, api_token=API_TOKEN, agent_token=AGENT_TOKEN, tenant=TENANT,
        user_token=USER_TOKEN, retries=1,
    )
    yield c
    c.close()


#: What a recorder answers to every request: a plausible object, so a client would read it.
ANSWER = (200, {}, {"id": 1, "title": "elsewhere"})


@pytest.fixture
def recorder(loopback: Callable[..., LoopbackServer]) -> Callable[[str], LoopbackServer]:
    """``recorder(host)``: a loopback server named ``host`` that records every request's headers."""

    def start(host: str = "localhost") -> LoopbackServer:
        return loopback(host=host, default=ANSWER)

    return start
