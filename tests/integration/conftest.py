"""Fixtures shared by the integration tests: a fresh emulator on 127.0.0.1 and a client bound to it.

``emu`` and ``client`` are the plugin's ``synapse_emulator`` and ``synapse_client`` (see
``synapse.testing``) under short names; a test module that needs another emulator (a factory
with options) defines its own ``emu``.
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def emu(synapse_emulator: Any) -> Any:
    """A fresh emulator with the demo seed."""
    return synapse_emulator


@pytest.fixture
def client(synapse_client: Any) -> Any:
    """A client of ``emu`` (cache on, default retries)."""
    return synapse_client
