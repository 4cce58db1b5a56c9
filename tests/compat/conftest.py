"""Fixtures of the compatibility tests: the flat ``BackendClient`` against a fresh emulator.

Every test runs with the ``SYNAPSE_*`` variables removed, a missing config file and its own
cache folder (downloads of ``url_conversion`` land there), so a developer's settings never leak in.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse.clients.backend import BackendClient

#: Tokens of the compat emulators: one sees everything, one only project 2.
TOKENS = {"dev-token": "*", "viewer-token": [2]}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("SYNAPSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYNAPSE_CONFIG", str(tmp_path / "no-such-config.json"))
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def emu(synapse_emulator_factory: Callable[..., Any]) -> Any:
    """A fresh demo emulator with a full token and a token limited to project 2."""
    return synapse_emulator_factory(tokens=TOKENS)


@pytest.fixture
def backend(emu: Any) -> Iterator[BackendClient]:
    """A ``BackendClient`` on ``emu`` with the full token; the request log starts empty."""
    with BackendClient(emu.url, emu.token) as client:
        emu.requests.clear()
        yield client


@pytest.fixture
def sent(emu: Any) -> Callable[..., list[Any]]:
    """``sent(method=None, path=None)``: the emulator's request records (path glob)."""

    def records(method: str | None = None, path: str | None = None) -> list[Any]:
        return emu.requests.filter(method, path)

    return records
