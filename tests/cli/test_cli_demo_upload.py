"""`synapse demo` runs to its end; `synapse upload` sends a folder and reports, in subprocesses."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests
from cli_run import Run, clean_env
from PIL import Image

from synapse.cli._images import write_images
from synapse.client import Client
from synapse.emulator import Emulator


def _summary(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["step", "result"])
    rows = {}
    for line in lines[start + 2:]:
        if not line.strip():
            break
        step, _, result = line.partition("  ")
        rows[step.strip()] = result.strip()
    return rows


def test_demo_runs_to_its_end_and_prints_a_summary(bare_cli: Run) -> None:
    result = bare_cli("demo", "--images", "6")  # no backend configured: the demo brings its own
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Started a local Synapse emulator at http://127.0.0.1:")
    rows = _summary(result.stdout)
    assert rows["images uploaded"].startswith("6 (") and "chunked upload service" in rows["images uploaded"]
    assert rows["data units created"] == "6 (ids 321-326, collection 1)"
    assert rows["tasks created"] == "6 (ids 333-338, project 1)"
    assert rows["tasks annotated"] == "3"
    assert rows["tasks in project"] == "326"
    assert rows["plugin job"] == "yolo-detector inference: SUCCEEDED (100%)"
    # 3 per image (chunk, finish, data file) + 9 other calls + the job's polls (their number varies)
    requests_sent = re.fullmatch(r"(\d+) \(6 upload chunks; median \d+\.\d ms\)", rows["HTTP requests"])
    assert requests_sent and int(requests_sent.group(1)) >= 6 * 3 + 9 + 1
    assert rows["elapsed"].endswith(" s")
    drawn = re.search(r"^Drew task 1 with its annotations: (.+\.png)$", result.stdout, re.M)
    assert drawn, result.stdout
    with Image.open(drawn.group(1)) as picture:  # under the private HOME's file cache
        assert picture.size == (640, 480) and picture.format == "PNG"
    # stderr is not a terminal here: progress comes as a few plain lines, not a redrawn bar
    progress = result.stderr.splitlines()
    assert progress[0].startswith("uploading: 0 B of ") and progress[0].endswith("(0%)")
    assert any(line.startswith("uploading: ") and line.endswith("(100%)") for line in progress)
    assert any(line.startswith("job ") and line.endswith(": 100%") for line in progress)
    assert len(progress) <= 10 and "\r" not in result.stderr


def test_upload_sends_a_folder_creates_units_and_tasks_and_skips_them_the_second_time(
    synapse_emulator: Emulator, synapse_client: Client, fresh_cli: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "images"
    write_images(folder, 4)
    write_images(folder / "nested", 1, size=16)
    (folder / ".hidden.png").write_bytes(b"not an image")
    result = fresh_cli("upload", str(folder), "--collection", "1", "--project", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "5 files: 5 uploaded, 0 already on the server",
        "5 data units in collection 1 'Street scenes': 5 created, 0 already there",
        "5 tasks created in project 2",
    ]
    assert "uploading: 0 of 5 files (0%)" in result.stderr
    assert "uploading: 5 of 5 files (100%)" in result.stderr
    assert synapse_client.tasks.filter(project=2).count() == 17
    unit = synapse_client.data_units.get(321)
    assert unit.meta == {"filename": "image-001.png"} and set(unit.files) == {"image"}

    again = fresh_cli("upload", str(folder), "--collection", "1", "--project", "2", "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["files_uploaded"] == 0 and report["files_skipped"] == 5 and report["tasks_created"] == 0
    assert [Path(i["path"]).name for i in report["items"]] == [
        "image-001.png", "image-002.png", "image-003.png", "image-004.png", "image-001.png"]
    assert all(i["existed"] and i["error"] is None for i in report["items"])
    assert again.stderr == ""  # --json: no progress lines either
    assert synapse_client.tasks.filter(project=2).count() == 17


def test_upload_exit_codes(fresh_cli: Run, tmp_path: Path) -> None:
    image = write_images(tmp_path, 1)[0]
    missing = fresh_cli("upload", str(tmp_path / "nope.png"), "--collection", "1")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    spec = fresh_cli("upload", str(image), "--collection", "1", "--spec", "thumbnail")
    assert spec.returncode == 2 and "(it has: image, metadata)" in spec.stderr
    no_collection = fresh_cli("upload", str(image), "--collection", "77")
    assert no_collection.returncode == 1
    assert "404 on GET /data_collections/77/" in no_collection.stderr
    no_flag = fresh_cli("upload", str(image))
    assert no_flag.returncode == 2 and "--collection" in no_flag.stderr


def test_upload_reports_each_failed_file_and_exits_1(
    synapse_emulator: Emulator, fresh_cli: Run, tmp_path: Path
) -> None:
    write_images(tmp_path, 2)
    result = fresh_cli("upload", str(tmp_path), "--collection", "1", "--project", "999")
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 2 and all("image-00" in line for line in failed)
    assert "2 of 2 files failed; run the same command again to retry them" in result.stderr


def test_demo_keep_leaves_the_emulator_running_until_interrupted(home: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "synapse", "demo", "--images", "2", "--keep"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env(home))
    try:
        assert proc.stdout is not None
        shown = ""
        while "Press Ctrl-C to stop it." not in shown:
            line = proc.stdout.readline()
            assert line, shown
            shown += line
        url = shown.split("The emulator keeps running at ", 1)[1].split(";", 1)[0]
        assert f"SYNAPSE_BASE_URL={url} SYNAPSE_API_TOKEN=dev-token synapse shell" in shown
        headers = {"Synapse-Access-Token": "Token dev-token"}
        answer = requests.get(url + "sdk/tasks/", params={"project": 1}, headers=headers, timeout=10)
        assert answer.json()["count"] == 322  # the demo's two tasks are there to explore
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out == "Emulator stopped.\n"
