"""Server lifecycle: restarts, both HTTP servers, the command line, the benchmark route, the client helper."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from emu_http import Api

import synapse
from synapse.emulator import Emulator


def test_stop_then_start_serves_the_same_data_on_the_same_port() -> None:
    with Emulator(seed="demo") as emu:
        api = Api(emu)
        api.patch("projects/1/", json={"title": "Kept"})
        port, url = emu.port, emu.url
        emu.stop()
        assert not emu.running
        with pytest.raises(requests.ConnectionError):
            requests.get(url + "projects/1/", timeout=2)
        emu.start()
        assert emu.port == port
        assert Api(emu).get("projects/1/").json()["title"] == "Kept"


def test_a_new_emulator_over_the_same_file_database(tmp_path: Path) -> None:
    db = tmp_path / "workspace.sqlite"
    with Emulator(seed="demo", db=db) as first:
        created = Api(first).post("tasks/", json=[{"project": 2, "data_unit": 9}]).json()[0]
        port = first.port
    with Emulator(seed="demo", db=db, port=port) as second:  # not re-seeded: the data is kept
        assert Api(second).get(f"tasks/{created['id']}/").status_code == 200
        assert second.db.count("projects") == 2


@pytest.mark.parametrize("kind", ["werkzeug", "cheroot"])
def test_both_servers_answer_drop_and_take_chunked_bodies(kind: str) -> None:
    with Emulator(seed="demo", server=kind) as emu:
        api = Api(emu)
        assert api.get("projects/1/").status_code == 200
        emu.faults.drop("projects/1/", when="before")
        with pytest.raises(requests.ConnectionError):
            api.get("projects/1/")
        data = os.urandom(5000)
        boundary = "zz"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n').encode()
        body += data + f"\r\n--{boundary}--\r\n".encode()
        r = api.put(
            "chunked_upload/",
            data=iter([body[:100], body[100:]]),
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Range": "bytes 0-4999/5000",
            },
        )
        assert r.status_code == 200 and r.json()["offset"] == 5000
        assert api.post(r.json()["url"], json={"md5": hashlib.md5(data).hexdigest()}).status_code == 200


@pytest.mark.parametrize("kind", ["werkzeug", "cheroot"])
def test_oversized_json_bodies_are_413_and_the_connection_stays_usable(kind: str) -> None:
    with Emulator(seed="demo", server=kind) as emu:
        emu.backend.settings.max_json_body = 100
        api = Api(emu)
        big = b"[" + b"1," * 100 + b"1]"
        headers = {"Content-Type": "application/json"}
        assert api.post("tasks/", data=big, headers=headers).status_code == 413
        assert api.post("tasks/", data=iter([big[:50], big[50:]]), headers=headers).status_code == 413
        small = iter([b'[{"project": 1,', b' "data_unit": 2}]'])
        assert api.post("tasks/", data=small, headers=headers).status_code == 201
        assert api.get("projects/1/").status_code == 200


def test_unknown_server_kind_is_refused() -> None:
    emu = Emulator(server="gopher")
    with pytest.raises(ValueError, match="gopher"):
        emu.start()
    emu.close()


def test_unknown_seed_is_refused() -> None:
    with pytest.raises(ValueError, match="seed"):
        Emulator(seed="huge")


def test_benchmark_route_hashes_like_the_chunked_route() -> None:
    data = os.urandom(200_000)
    with Emulator(bench_routes=True) as emu:
        r = Api(emu).put("_bench/hash/", files={"file": ("x", data)})
        assert r.json() == {"md5": hashlib.md5(data).hexdigest(), "size": len(data)}
        assert not any((emu.data_dir / "bench").iterdir())
    with Emulator() as plain:
        assert Api(plain).put("_bench/hash/", files={"file": ("x", b"1")}).status_code == 404


def test_client_helper_returns_a_bound_sdk_client() -> None:
    with Emulator(seed="demo") as emu:
        client = emu.client(synapse.Client)
        try:
            assert client.config.base_url == emu.url
            assert client.projects.get(1).title == "Street scenes annotation"
        finally:
            client.close()


def test_a_process_that_forgets_close_still_exits() -> None:
    code = "from synapse.emulator import Emulator; e = Emulator(seed='demo').start(); print(e.url)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("http://127.0.0.1:")


def test_empty_emulator_has_no_agent_token() -> None:
    with Emulator() as emu:
        assert emu.agent_token is None and emu.db.count("projects") == 0
        assert Api(emu).get("projects/").json()["count"] == 0


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], str, str]:
    """Start the command; returns the process, its URL and the banner it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    banner = ""
    while not banner.endswith("Press Ctrl-C to stop.\n"):
        line = proc.stdout.readline()
        assert line, banner + (proc.stderr.read() if proc.stderr else "")
        banner += line
    url = banner.splitlines()[0].rsplit(" ", 1)[1]
    return proc, url, banner


@pytest.mark.parametrize(
    ("module", "sig"), [("synapse", signal.SIGINT), ("synapse.emulator", signal.SIGTERM)]
)
def test_command_line_serves_and_stops_cleanly(tmp_path: Path, module: str, sig: signal.Signals) -> None:
    argv = [module, "emulator"] if module == "synapse" else [module]
    proc, url, banner = _start_cli(
        *argv, "--port", "0", "--db", str(tmp_path / "w.sqlite"), "--token", "secret", "--token", "viewer=1"
    )
    try:
        assert url.startswith("http://127.0.0.1:")
        headers = {"Synapse-Access-Token": "Token secret"}
        assert requests.get(url + "projects/1/", headers=headers, timeout=5).status_code == 200
        viewer = {"Synapse-Access-Token": "Token viewer"}
        assert requests.get(url + "projects/2/", headers=viewer, timeout=5).status_code == 403
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert banner.startswith(f"Synapse emulator running at {url}\n  token:       secret\n")
    assert f"SYNAPSE_BASE_URL={url} SYNAPSE_API_TOKEN=secret" in banner
    assert out == "Emulator stopped.\n"


def test_command_line_refuses_a_bad_token_spec_and_a_busy_port() -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "synapse.emulator", "--token", "=1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "bad --token" in bad.stderr
    with Emulator() as emu:
        busy = subprocess.run(
            [sys.executable, "-m", "synapse", "emulator", "--port", str(emu.port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert busy.returncode == 1 and "cannot listen" in busy.stderr


def test_synapse_command_lists_its_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "synapse", "--help"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and "emulator" in out.stdout
    unknown = subprocess.run(
        [sys.executable, "-m", "synapse", "nope"], capture_output=True, text=True, timeout=30
    )
    assert unknown.returncode == 2


def test_importing_the_cli_and_the_pytest_plugin_stays_light() -> None:
    code = (
        "import sys, synapse.cli, synapse.testing, synapse.emulator, synapse.emulator.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('werkzeug', 'cheroot', 'synapse.emulator.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "['synapse.emulator.cli']"


def test_the_pytest_fixtures(
    synapse_emulator: Emulator, synapse_client: object, synapse_emulator_factory: object
) -> None:
    assert synapse_emulator.running and synapse_emulator.db.count("tasks") == 332
    assert synapse_client.projects.get(2).title == "Sign review"  # type: ignore[attr-defined]
    other = synapse_emulator_factory(seed=None, tokens={"t": [1]})  # type: ignore[operator]
    assert other.token == "t" and other.port != synapse_emulator.port
    started = time.monotonic()
    job = Api(synapse_emulator).post("plugins/1/run/", json={}).json()
    while Api(synapse_emulator).get(f"jobs/{job['id']}/").json()["status"] != "SUCCEEDED":
        assert time.monotonic() - started < 10
        time.sleep(0.02)


def test_command_line_switches_on_the_real_backends_variations() -> None:
    proc, url, banner = _start_cli(
        "synapse.emulator", "--port", "0", "--checksum", "sha1", "--storage-origin",
        "--list-relations", "expanded",
    )
    try:
        headers = {"Synapse-Access-Token": "Token dev-token"}
        (storage,) = [line.split()[1] for line in banner.splitlines() if line.strip().startswith("storage:")]
        unit = requests.get(url + "data_units/1/", headers=headers, timeout=5).json()
        file_url = unit["files"]["image"]["url"]
        assert file_url.startswith(storage) and "signature=" in file_url  # a pre-signed storage URL
        assert len(unit["files"]["image"]["checksum"]) == 40  # SHA-1
        collections = requests.get(url + "data_collections/", headers=headers, timeout=5).json()["results"]
        assert isinstance(collections[0]["file_specifications"][0], dict)  # expanded on the list
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
