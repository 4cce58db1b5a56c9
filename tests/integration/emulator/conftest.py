"""Fixtures for the emulator's own integration tests: plain ``requests`` over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emu_http import Api

from synapse.emulator import Emulator


@pytest.fixture(scope="module")
def module_emu() -> Iterator[Emulator]:
    """One demo emulator for a module of read-mostly tests."""
    with Emulator(seed="demo", job_duration=0.2) as emu:
        yield emu


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh demo emulator for one test."""
    with Emulator(seed="demo", job_duration=0.2) as emulator:
        yield emulator


@pytest.fixture
def api(emu: Emulator) -> Api:
    return Api(emu)


@pytest.fixture(scope="module")
def mapi(module_emu: Emulator) -> Api:
    return Api(module_emu)
