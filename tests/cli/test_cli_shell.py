"""`synapse shell` driven through a pseudo-terminal (pexpect), as a person would use it."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pexpect
import pytest
from cli_run import Run, clean_env

from synapse.emulator import Emulator


def _spawn(home: Path, *args: str, **env: str) -> pexpect.spawn:
    child = pexpect.spawn(sys.executable, ["-m", "synapse", "shell", *args], env=clean_env(home, **env),
                          encoding="utf-8", timeout=30, dimensions=(40, 160))
    return child


def _end(child: pexpect.spawn) -> int:
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus


def test_plain_console_has_client_connected(emu: Emulator, home: Path) -> None:
    child = _spawn(home, "--plain", SYNAPSE_BASE_URL=emu.url, SYNAPSE_API_TOKEN=emu.token)
    child.expect(f"synapse shell: connected to {emu.url}")
    child.expect(">>> ")
    child.sendline("client.projects.get(1).title")
    child.expect("'Street scenes annotation'")
    child.expect(">>> ")
    child.sendline("client.last_response.status_code, client.last_response.request.path_url")
    child.expect(r"\(200, '/projects/1/'\)")
    child.expect(">>> ")
    child.send("client.proj\t")  # tab completion (readline + rlcompleter), then Enter
    child.send("\n")
    child.expect(r"<QuerySet Project: GET projects/>")
    child.expect(">>> ")
    assert _end(child) == 0


def test_synapse_shell_plain_from_the_environment(emu: Emulator, home: Path) -> None:
    child = _spawn(home, SYNAPSE_BASE_URL=emu.url, SYNAPSE_API_TOKEN=emu.token, SYNAPSE_SHELL="plain")
    child.expect(">>> ")
    child.sendline("print(sum(1 for _ in client.tasks.filter(project=2)))")
    child.expect("\r\n12\r\n")
    assert _end(child) == 0


def test_local_starts_a_demo_emulator_and_closes_it(home: Path) -> None:
    child = _spawn(home, "--local", "--plain")  # no SYNAPSE_BASE_URL at all
    child.expect("connected to a local emulator with the demo workspace")
    child.expect(">>> ")
    child.sendline("emu.url == client.base_url, client.projects.count()")
    child.expect(r"\(True, 2\)")
    child.expect(">>> ")
    child.sendline("print('URL=' + emu.url)")
    child.expect(r"URL=(http://127\.0\.0\.1:\d+/)\r\n")
    port = int(child.match.group(1).rsplit(":", 1)[1].rstrip("/"))
    child.expect(">>> ")
    assert _end(child) == 0
    with pytest.raises(ConnectionRefusedError):  # the session's end closed the emulator
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_without_a_base_url_it_suggests_local(bare_cli: Run) -> None:
    result = bare_cli("shell", "--plain")
    assert result.returncode == 2
    assert "no backend configured" in result.stderr and "synapse shell --local" in result.stderr
    assert "Traceback" not in result.stderr


def test_ipython_is_used_when_installed(emu: Emulator, home: Path) -> None:
    pytest.importorskip("IPython", reason="IPython is not installed: the plain console is tested above")
    # IPython's own switch for a line-based prompt (no cursor-position queries to the terminal).
    child = _spawn(home, SYNAPSE_BASE_URL=emu.url, SYNAPSE_API_TOKEN=emu.token, IPY_TEST_SIMPLE_PROMPT="1")
    child.expect(r"In \[\S*1\S*\]: ")  # the prompt may be coloured
    child.sendline("client.projects.get(2).title")
    child.expect(r"Out\[\S*1\S*\]: \S*'Sign review'")
    child.expect(r"In \[\S*2\S*\]: ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
