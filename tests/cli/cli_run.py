"""Helpers of the command-line tests: a clean environment and a runner of ``python -m synapse``.

(A module of its own, not ``conftest``: test modules import it by name.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

Run = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a command: ours without SYNAPSE_*, a private HOME, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env.update(HOME=str(home), SYNAPSE_CONFIG=str(home / ".synapse" / "config.json"),
               IPYTHONDIR=str(home / ".ipython"), PYTHONUNBUFFERED="1", COLUMNS="120")
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


def runner(home: Path, base: dict[str, str]) -> Run:
    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
        environ = clean_env(home, **base) if env is None else clean_env(home, **env)
        return subprocess.run(
            [sys.executable, "-m", "synapse", *args], capture_output=True, text=True, timeout=timeout,
            env=environ, input=input,
        )

    return run
