"""Pytest fixtures for testing your own code against the local emulator.

Installed as a pytest plugin (entry point ``pytest11``), so the fixtures are available in any
project that has ``synapse-orm[emulator]`` installed::

    def test_my_pipeline(synapse_client, synapse_emulator):
        project = synapse_client.projects.get(1)          # the demo seed
        ...
        assert synapse_emulator.requests.count("POST", "/tasks/") == 1

Fixtures:

- ``synapse_emulator``: a fresh emulator per test (demo seed, in-memory database, jobs that
  finish in 0.2 s), stopped afterwards.
- ``synapse_client``: a ``synapse.Client`` bound to it (``api_token`` is ``"dev-token"``).
- ``synapse_emulator_factory``: ``factory(**kwargs) -> Emulator`` for other settings
  (``tokens=...``, ``auto_jobs=False``, ``seed=None`` ...); every emulator it starts is closed.

This module stays light at import: the emulator is imported inside the fixtures only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from synapse.client import Client

if TYPE_CHECKING:
    from synapse.emulator.server import Emulator

__all__ = ["connect", "synapse_client", "synapse_emulator", "synapse_emulator_factory"]

#: What ``synapse_emulator`` passes to ``Emulator``.
DEFAULTS: dict[str, Any] = {"seed": "demo", "job_duration": 0.2}


@pytest.fixture
def synapse_emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with any ``Emulator`` arguments; all are closed after the test."""
    from synapse.emulator.server import Emulator

    started: list[Emulator] = []

    def factory(**kwargs: Any) -> Emulator:
        emulator = Emulator(**{**DEFAULTS, **kwargs}).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in reversed(started):
        emulator.close()


@pytest.fixture
def synapse_emulator(synapse_emulator_factory: Callable[..., Emulator]) -> Emulator:
    """A running emulator with the demo seed, fresh for each test."""
    return synapse_emulator_factory()


def connect(emulator: Emulator, **kwargs: Any) -> Client:
    """A ``synapse.Client`` of ``emulator`` (its URL and token filled in; ``kwargs`` go to ``Client``).

    Raises:
        ConfigurationError: as ``Client`` raises it for a bad argument.
    """
    return emulator.client(Client, **kwargs)


@pytest.fixture
def synapse_client(synapse_emulator: Emulator) -> Iterator[Client]:
    """A ``synapse.Client`` bound to ``synapse_emulator``."""
    client = connect(synapse_emulator)
    try:
        yield client
    finally:
        client.close()
