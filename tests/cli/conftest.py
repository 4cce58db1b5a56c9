"""Run the ``synapse`` command in a subprocess against an emulator started by the test.

Every command runs in a clean environment: no ``SYNAPSE_*`` variable of the developer's, and a
``HOME`` and ``SYNAPSE_CONFIG`` inside the test's temporary folder, so no config file leaks in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import Run, runner

from synapse.emulator import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """One demo emulator for the read-only commands of a module."""
    with Emulator(seed="demo", job_duration=0.2) as emulator:
        yield emulator


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def synapse_cli(emu: Emulator, home: Path) -> Run:
    """``synapse_cli("ls", "projects")``: the command with SYNAPSE_BASE_URL/SYNAPSE_API_TOKEN of ``emu``."""
    return runner(home, {"SYNAPSE_BASE_URL": emu.url, "SYNAPSE_API_TOKEN": emu.token})


@pytest.fixture
def bare_cli(home: Path) -> Run:
    """The command with no connection settings at all (``env=`` adds some)."""
    return runner(home, {})


@pytest.fixture
def fresh_cli(synapse_emulator: Emulator, home: Path) -> Run:
    """Like ``synapse_cli`` but against ``synapse_emulator``, fresh for the test (commands that write)."""
    emulator = synapse_emulator
    return runner(home, {"SYNAPSE_BASE_URL": emulator.url, "SYNAPSE_API_TOKEN": emulator.token})
