"""Shared by the examples: a local emulator when ``SYNAPSE_BASE_URL`` is unset.

With ``SYNAPSE_BASE_URL`` set (and a token in ``SYNAPSE_API_TOKEN`` or ``SYNAPSE_ACCESS_TOKEN``),
an example runs against that backend. Without it, ``local_backend()`` starts
``synapse.emulator.Emulator(seed="demo")`` for the length of the example and sets the same
variables, so the example's code is the same either way. The ids the examples use (project 1,
collection 1, assignments 1-3, ...) are the demo seed's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

#: The emulator's tokens: one sees everything, one only project 2 (to show a 403).
LOCAL_TOKENS = {"demo-access-token": "*", "project-2-token": [2]}
#: Settings that name another backend or its credentials: set aside while the emulator runs.
TARGET_VARIABLES = (
    "SYNAPSE_BASE_URL",
    "SYNAPSE_HOST",
    "SYNAPSE_API_TOKEN",
    "SYNAPSE_ACCESS_TOKEN",
    "SYNAPSE_AGENT_TOKEN",
    "SYNAPSE_TENANT",
    "SYNAPSE_USER_TOKEN",
    "SYNAPSE_PROFILE",
)


@dataclass(frozen=True)
class Backend:
    """Where an example sends its requests, and with which credentials."""

    base_url: str
    access_token: str
    agent_token: str | None
    limited_token: str | None  # sees project 2 only (SYNAPSE_LIMITED_TOKEN on a real backend)


@contextmanager
def local_backend() -> Iterator[Backend]:
    """Yield the backend to use: the configured one, or a demo emulator started for the example."""
    if os.environ.get("SYNAPSE_BASE_URL"):
        token = os.environ.get("SYNAPSE_API_TOKEN") or os.environ.get("SYNAPSE_ACCESS_TOKEN")
        if not token:
            raise SystemExit("SYNAPSE_BASE_URL is set: set SYNAPSE_API_TOKEN (or SYNAPSE_ACCESS_TOKEN) too")
        yield Backend(
            os.environ["SYNAPSE_BASE_URL"],
            token,
            os.environ.get("SYNAPSE_AGENT_TOKEN"),
            os.environ.get("SYNAPSE_LIMITED_TOKEN"),
        )
        return

    from synapse.emulator import Emulator

    saved = {name: os.environ.pop(name) for name in TARGET_VARIABLES if name in os.environ}
    with Emulator(seed="demo", tokens=LOCAL_TOKENS, job_duration=0.3) as emu:
        access_token, agent_token = "demo-access-token", emu.agent_token
        os.environ["SYNAPSE_BASE_URL"] = emu.url
        os.environ["SYNAPSE_ACCESS_TOKEN"] = access_token
        if agent_token:
            os.environ["SYNAPSE_AGENT_TOKEN"] = agent_token
        print(f"(a local emulator with the demo data at {emu.url}; set SYNAPSE_BASE_URL to use yours)")
        try:
            yield Backend(emu.url, access_token, agent_token, "project-2-token")
        finally:
            for name in TARGET_VARIABLES:
                os.environ.pop(name, None)
            os.environ.update(saved)
