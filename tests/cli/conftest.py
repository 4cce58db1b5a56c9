"""Run the ``synapse`` command in a subprocess against an emulator started by the test.

Every command runs in a clean environment: no ``SYNAPSE_*`` variable of the developer's, and a
``HOME`` and ``SYNAPSE_CONFIG`` inside the test's temporary folder, so no config file leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from synapse.emulator import Emulator

Run = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a command: ours without SYNAPSE_*, a private HOME, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env.update(HOME=str(home), SYNAPSE_CONFIG=str(home / ".synapse" / "config.json"),
               IPYTHONDIR=str(home / ".ipython"), PYTHONUNBUFFERED="1", COLUMNS="120")
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


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


def _runner(home: Path, base: dict[str, str]) -> Run:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        environ = clean_env(home, **base) if env is None else clean_env(home, **env)
        return subprocess.run(
            [sys.executable, "-m", "synapse", *args], capture_output=True, text=True, timeout=timeout,
            env=environ, input=input,
        )

    return run


@pytest.fixture
def synapse_cli(emu: Emulator, home: Path) -> Run:
    """``synapse_cli("ls", "projects")``: the command with SYNAPSE_BASE_URL/SYNAPSE_API_TOKEN of ``emu``."""
    return _runner(home, {"SYNAPSE_BASE_URL": emu.url, "SYNAPSE_API_TOKEN": emu.token})


@pytest.fixture
def bare_cli(home: Path) -> Run:
    """The command with no connection settings at all (``env=`` adds some)."""
    return _runner(home, {})


@pytest.fixture
def fresh_cli(synapse_emulator: Emulator, home: Path) -> Run:
    """Like ``synapse_cli`` but against ``synapse_emulator``, fresh for the test (commands that write)."""
    emulator = synapse_emulator
    return _runner(home, {"SYNAPSE_BASE_URL": emulator.url, "SYNAPSE_API_TOKEN": emulator.token})
