"""Every example in ``examples/`` runs in a subprocess against its own fresh emulator.

No ``SYNAPSE_*`` variable is set (so each example starts the demo emulator through
``examples/_local.py``), HOME and the SDK's cache are private, and the working directory is
a scratch folder. Each must exit 0 and print what shows it did its job.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

#: Example -> patterns its output must contain (regular expressions).
EXPECTED = {
    "basic_usage.py": [r"project 1: 320 tasks", r"data collections: Street scenes", r"models: yolo-base"],
    "environment_configuration.py": [
        r"api token from env:SYNAPSE_ACCESS_TOKEN",
        r"agent token from env:SYNAPSE_AGENT_TOKEN",
        r"project 1: Street scenes annotation",
    ],
    "authentication.py": [
        r"access token: Street scenes annotation",
        r"environment: Street scenes annotation",
        r"agent token: agent 'local-agent' is connected",
    ],
    "error_handling.py": [
        r"^Project not found$",
        r"^Project 1: Street scenes annotation$",
        r"^Permission denied$",
    ],
    "pagination.py": [
        r"page 1: 50 of 332 tasks; next page: http://127\.0\.0\.1:\d+/sdk/tasks/\?.*page=2",
        r"all 332 tasks read; 120 completed",
    ],
    "batch_operations.py": [
        r"created tasks \[333, 334, 335\] for units \[13, 14, 15\]",
        r"assignment 3 now has tags \[1, 2\]",
    ],
    "file_operations.py": [
        r"chunked upload [0-9a-f-]{36}: 3145728 bytes, md5 [0-9a-f]{32}",
        r"data file \d+: 20000 bytes, checksum [0-9a-f]{32}",
    ],
    "data_workflow.py": [
        r"data file [0-9a-f]{32} -> data unit 321 -> task 333",
        r"project 1 has 200 assignments; models: yolo-base",
    ],
    "plugin_deployment.py": [
        r"plugin 'my-plugin' \(id 3\), release 1\.0\.0",
        r"job [0-9a-f-]{36}: (PENDING|RUNNING|SUCCEEDED), params \{'threshold': 0\.8\}",
    ],
}


def test_every_example_is_checked() -> None:
    found = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert found == set(EXPECTED)


def _environment(tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNAPSE_")}
    env.update(
        HOME=str(tmp / "home"), SYNAPSE_CACHE_DIR=str(tmp / "cache"), SYNAPSE_CONFIG=str(tmp / "none.json")
    )
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run every example at once (each in its own folder, with its own emulator); collect the results."""
    started = {}
    for name in sorted(EXPECTED):
        tmp = tmp_path_factory.mktemp(name.removesuffix(".py"))
        started[name] = subprocess.Popen(
            [sys.executable, str(EXAMPLES / name)],
            cwd=tmp,
            env=_environment(tmp),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for name, process in started.items():
        try:
            out, err = process.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return results


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_against_a_fresh_emulator(
    name: str, runs: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    done = runs[name]
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    assert "a local emulator with the demo data" in done.stdout
    for pattern in EXPECTED[name]:
        assert re.search(pattern, done.stdout, re.MULTILINE), f"{name}: no {pattern!r} in:\n{done.stdout}"
    assert "Traceback" not in done.stderr


def test_an_example_uses_the_configured_backend_when_base_url_is_set(
    synapse_emulator_factory: object, tmp_path: Path
) -> None:
    emu = synapse_emulator_factory(tokens={"my-token": "*"})  # type: ignore[operator]
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNAPSE_")}
    env.update(
        HOME=str(tmp_path),
        SYNAPSE_CONFIG=str(tmp_path / "none.json"),
        SYNAPSE_BASE_URL=emu.url,
        SYNAPSE_API_TOKEN="my-token",
    )
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "basic_usage.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "local emulator" not in done.stdout and "project 1: 320 tasks" in done.stdout
    assert emu.requests.count("GET", "/sdk/tasks/") == 1
