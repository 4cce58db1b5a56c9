"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", setup, flags=re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands), "each set-up command is one line"
    demo, tests = commands
    assert demo.startswith("python -m pip install -e ") and demo.endswith("synapse demo")
    assert tests.startswith("python -m pip install -e ") and tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _setup_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test_command in ci_lines


def test_ci_installs_nothing_the_readme_lacks() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installs = [line for line in ci.splitlines() if "pip install" in line]
    assert installs == [_setup_commands()[1]]


def _python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_python_snippets_run_as_pasted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every README snippet runs top to bottom in one namespace, like a reader pasting them.

    Snippets that say "from the environment" get the environment a reader would have set:
    ``SYNAPSE_BASE_URL`` and ``SYNAPSE_API_TOKEN`` pointing at a local emulator.
    """
    from synapse.emulator import Emulator

    blocks = _python_blocks()
    assert len(blocks) >= 3
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))
    with Emulator(seed="demo") as emu:
        monkeypatch.setenv("SYNAPSE_BASE_URL", emu.url)
        monkeypatch.setenv("SYNAPSE_API_TOKEN", str(emu.token))
        namespace: dict[str, Any] = {"__name__": "__readme__"}
        for number, code in enumerate(blocks, 1):
            exec(compile(code, f"README.md python block {number}", "exec"), namespace)
    assert (tmp_path / "downloads").is_dir()  # the tour really downloaded the file it uploads
    assert (tmp_path / "out" / "coco" / "annotations").is_dir() and (tmp_path / "task-5.png").is_file()
