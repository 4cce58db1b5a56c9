"""`synapse ls`, `get`, `whoami`, `config` and the exit codes, in subprocesses against the emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import Run, clean_env

from synapse.emulator import Emulator


def _no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr, result.stderr


def test_ls_projects_prints_a_table_with_a_header(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "projects")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "title", "category", "task_count", "is_archived"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split()[0] == "1" and "Street scenes annotation" in lines[2] and "320" in lines[2]
    assert "Sign review" in lines[3] and len(lines) == 4


def test_ls_json_is_an_array_of_the_objects_filtered(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "tasks", "--filter", "project=2", "-f", "status_label=stand_by", "--json")
    assert result.returncode == 0, result.stderr
    tasks = json.loads(result.stdout)
    assert isinstance(tasks, list) and tasks
    assert all(t["project"] == 2 and t["status_label"] == "stand_by" for t in tasks)
    assert {"id", "data_unit", "status_review", "created"} <= set(tasks[0])


def test_ls_limit_bounds_the_rows_and_zero_means_all(synapse_cli: Run) -> None:
    three = synapse_cli("ls", "tasks", "--filter", "project=1", "--limit", "3", "--json")
    assert [t["id"] for t in json.loads(three.stdout)] == [1, 2, 3]
    assert three.stderr == "(first 3 rows; --limit N for more, --limit 0 for all)\n"
    every = synapse_cli("ls", "tasks", "--filter", "project=2", "--limit", "0", "--json")
    assert len(json.loads(every.stdout)) == 12
    table = synapse_cli("ls", "tasks", "--limit", "2")
    assert len(table.stdout.splitlines()) == 4
    assert "first 2 rows" in table.stderr


def test_ls_order_by_and_columns(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "tasks", "--filter", "project=2", "--order-by=-id", "--limit", "2",
                         "--columns", "id,project")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "project"]
    assert [line.split() for line in lines[2:]] == [["332", "2"], ["331", "2"]]


def test_ls_order_by_takes_a_descending_field_without_the_equals_sign(synapse_cli: Run) -> None:
    spaced = synapse_cli("ls", "tasks", "--filter", "project=2", "--order-by", "-id", "--limit", "2",
                         "--json")
    assert spaced.returncode == 0, spaced.stderr
    assert [t["id"] for t in json.loads(spaced.stdout)] == [332, 331]
    several = synapse_cli("ls", "tasks", "--order-by", "-project,id", "--limit", "1", "--json")
    assert [(t["project"], t["id"]) for t in json.loads(several.stdout)] == [(2, 321)]


def test_ls_jobs_shows_the_progress_percent(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "jobs")
    assert result.returncode == 0, result.stderr
    row = result.stdout.splitlines()[2].split()
    assert row[:5] == ["00000000-0000-4000-8000-000000000001", "yolo-detector", "train", "SUCCEEDED", "100%"]
    assert row[5] == "2024-01-01"  # created, shortened to date and time


def test_ls_every_resource_name_lists_something(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from synapse.cli import main
    from synapse.cli._parser import RESOURCE_NAMES

    monkeypatch.setenv("SYNAPSE_BASE_URL", emu.url)
    monkeypatch.setenv("SYNAPSE_API_TOKEN", emu.token)
    for name in RESOURCE_NAMES:  # in this process: thirteen interpreters would be slow
        assert main(["ls", name, "--limit", "1", "--json"]) == 0, name
        assert len(json.loads(capsys.readouterr().out)) == 1, name


def test_get_shows_one_object_and_a_missing_one_exits_1(synapse_cli: Run) -> None:
    found = synapse_cli("get", "plugins", "yolo-detector", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["id"] == 1
    table = synapse_cli("get", "project", "2")
    assert table.stdout.splitlines()[0].split() == ["field", "value"]
    assert "title            Sign review" in table.stdout
    missing = synapse_cli("get", "projects", "999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "synapse get: error: 404 on GET /projects/999/: Project 999 not found"
    assert missing.stdout == ""


def test_a_bad_flag_is_a_usage_error_with_status_2(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "projects", "--no-such-flag")
    assert result.returncode == 2
    assert "usage: synapse" in result.stderr and "--no-such-flag" in result.stderr
    for args in (["ls", "taskz"], ["ls", "tasks", "--filter", "project"],
                 ["ls", "tasks", "--filter", "page=2"], ["ls", "tasks", "--limit", "-1"], ["nope"], []):
        bad = synapse_cli(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        _no_traceback(bad)


def test_connection_options_go_before_or_after_the_command(emu: Emulator, bare_cli: Run) -> None:
    env = {"SYNAPSE_API_TOKEN": emu.token}
    before = bare_cli("--base-url", emu.url, "ls", "projects", "--json", env=env)
    after = bare_cli("ls", "projects", "--json", "--base-url", emu.url, env=env)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert json.loads(before.stdout) == json.loads(after.stdout)


def test_token_option_warns_and_the_token_is_never_printed(
    synapse_emulator_factory: object, bare_cli: Run
) -> None:
    emulator = synapse_emulator_factory(tokens={"s3cret-Token-42": "*"})  # type: ignore[operator]
    result = bare_cli("whoami", "--base-url", emulator.url, "--token", "s3cret-Token-42")
    assert result.returncode == 0, result.stderr
    assert "--token puts the token in your shell history" in result.stderr
    row = next(line.split() for line in result.stdout.splitlines() if line.startswith("api token"))
    assert row == ["api", "token", "set", "(not", "shown)", "argument"]
    debug = bare_cli("--debug", "ls", "projects", "--base-url", emulator.url, "--token", "s3cret-Token-42")
    assert "s3cret-Token-42" not in result.stdout + result.stderr + debug.stdout + debug.stderr


def test_whoami_checks_the_credentials_and_names_their_source(emu: Emulator, synapse_cli: Run) -> None:
    ok = synapse_cli("whoami", "--json")
    assert ok.returncode == 0, ok.stderr
    info = json.loads(ok.stdout)
    assert info["base_url"] == emu.url and info["base_url_source"] == "env:SYNAPSE_BASE_URL"
    assert info["credentials"] == {"api_token": "env:SYNAPSE_API_TOKEN"}
    assert info["authenticated"] is True and info["projects_visible"] == 2
    assert emu.token not in ok.stdout
    refused = synapse_cli("whoami", env={"SYNAPSE_BASE_URL": emu.url, "SYNAPSE_API_TOKEN": "wrong"})
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "synapse whoami: error: 401 on GET /projects/: Invalid token. "
        "(credentials: api token from env:SYNAPSE_API_TOKEN)"
    )


def test_config_reads_a_profile_and_sends_no_request(emu: Emulator, bare_cli: Run, home: Path) -> None:
    (home / ".synapse").mkdir()
    (home / ".synapse" / "config.json").write_text(json.dumps({
        "host": "https://api.example.com", "access_token": "top-level-secret",
        "profiles": {"local": {"host": emu.url, "access_token": "profile-secret"}},
    }))
    before = len(emu.requests)
    result = bare_cli("--profile", "local", "config", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["base_url"] == emu.url and info["base_url_source"] == "profile:local"
    assert info["profile"] == "local" and info["credentials"] == {"api_token": "profile:local"}
    assert info["config_file_exists"] is True
    assert "secret" not in result.stdout
    table = bare_cli("config")
    assert "https://api.example.com/" in table.stdout and "file:" in table.stdout
    assert len(emu.requests) == before


def test_no_base_url_is_a_configuration_error_with_a_hint(bare_cli: Run) -> None:
    result = bare_cli("ls", "projects")
    assert result.returncode == 2
    assert result.stderr.startswith("synapse ls: error: no base URL")
    assert "hint:" in result.stderr and "synapse shell --local" in result.stderr
    _no_traceback(result)


def test_no_answer_is_an_api_error_with_status_1(bare_cli: Run) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {"SYNAPSE_BASE_URL": f"http://127.0.0.1:{port}/", "SYNAPSE_API_TOKEN": "t"}
    result = bare_cli("whoami", env=env)
    assert result.returncode == 1
    assert "could not connect" in result.stderr
    _no_traceback(result)


def test_debug_logs_each_request(synapse_cli: Run) -> None:
    result = synapse_cli("--debug", "get", "projects", "1")
    assert result.returncode == 0
    assert any(line.endswith(" ms") and "synapse DEBUG GET /projects/1/ -> 200 in " in line
               for line in result.stderr.splitlines()), result.stderr


def test_a_closed_pipe_ends_quietly(emu: Emulator, home: Path) -> None:
    env = clean_env(home, SYNAPSE_BASE_URL=emu.url, SYNAPSE_API_TOKEN=emu.token)
    proc = subprocess.Popen([sys.executable, "-m", "synapse", "ls", "tasks", "--limit", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert first.split() == [b"id", b"project", b"data_unit", b"status_label", b"status_review", b"tags"]
    assert "Traceback" not in err and "BrokenPipe" not in err
