"""``SYNAPSE_LOG=debug`` in a real process, and ``client.last_response`` for a look at the last exchange."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest

from synapse.client import Client
from synapse.emulator import Emulator
from synapse.errors import NotFound

TOKEN = "sEcReT-api-TOKEN-123"
AGENT = "demo-agent-token"  # the demo seed's connected agent

SCRIPT = textwrap.dedent(f"""
    import synapse
    client = synapse.Client()
    client.projects.get(1)
    list(client.tasks.filter(project=2)[:3].iterator())
    try:
        client.projects.get(999)
    except synapse.NotFound as exc:
        print("not found:", exc)
    client.agents.health_check({AGENT!r})
    print("agent token was", "shown" if {AGENT!r} in repr(client.last_response.url) else "hidden")
""")

LINE = re.compile(r"^\S+ \S+ synapse DEBUG (GET|POST|PUT|PATCH|DELETE) (\S+) -> (\d{3}) in (\d+\.\d) ms$")


def _run(emu: Emulator, level: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    env.update(SYNAPSE_BASE_URL=emu.url, SYNAPSE_API_TOKEN=TOKEN, SYNAPSE_CONFIG=os.devnull + ".json")
    if level is not None:
        env["SYNAPSE_LOG"] = level
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def emu(synapse_emulator_factory: object) -> Emulator:
    return synapse_emulator_factory(tokens={TOKEN: "*"})  # type: ignore[operator,no-any-return]


def test_synapse_log_debug_shows_each_request_with_credentials_redacted(emu: Emulator) -> None:
    result = _run(emu, "debug")
    assert result.returncode == 0, result.stderr
    requests = [m.groups() for m in map(LINE.match, result.stderr.splitlines()) if m]
    assert [(method, path, status) for method, path, status, _ in requests] == [
        ("GET", "/projects/1/", "200"),
        ("GET", "/sdk/tasks/", "200"),
        ("GET", "/projects/999/", "404"),
        ("POST", "/agents/***/connect/", "200"),
    ]
    assert all(float(ms) > 0 for *_, ms in requests)
    assert TOKEN not in result.stderr + result.stdout
    assert AGENT not in result.stderr
    assert "not found: 404 on GET /projects/999/: Project 999 not found" in result.stdout


def test_without_synapse_log_the_library_prints_nothing(emu: Emulator) -> None:
    result = _run(emu, None)
    assert result.returncode == 0 and result.stderr == ""
    info = _run(emu, "info")
    assert info.returncode == 0 and "DEBUG" not in info.stderr


def test_last_response_is_the_last_exchange_even_an_error(synapse_client: Client) -> None:
    assert synapse_client.last_response is None
    synapse_client.projects.get(1)
    first = synapse_client.last_response
    assert first.status_code == 200 and first.request.method == "GET"
    assert first.request.path_url == "/projects/1/" and first.json()["title"] == "Street scenes annotation"
    with pytest.raises(NotFound):
        synapse_client.tasks.get(10_000)
    last = synapse_client.last_response
    assert last is not first and last.status_code == 404 and last.json() == {"detail": "Not found."}
    synapse_client.projects.get(1)  # served by the cache: no exchange, last_response unchanged
    assert synapse_client.last_response is last
