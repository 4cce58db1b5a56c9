"""IntegrationClientMixin against the emulator: plugins, releases, runs, jobs, logs, storages, agents."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from synapse.clients.backend import BackendClient
from synapse.clients.exceptions import ClientError
from synapse.errors import NotFound, ValidationError

DEMO_JOB = "00000000-0000-4000-8000-000000000001"


def _archive(tmp_path: Path) -> Path:
    path = tmp_path / "plugin.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.yaml", "name: My Plugin\n")
    return path


# ---- plugins ----
def test_get_plugin_by_id_and_by_code(backend: BackendClient, sent: Any) -> None:
    assert backend.get_plugin(1)["code"] == "yolo-detector"
    assert backend.get_plugin("coco-export")["id"] == 2
    assert [r.path for r in sent()] == ["/plugins/1/", "/plugins/coco-export/"]
    with pytest.raises(ValueError):
        backend.get_plugin("../projects")


def test_create_plugin(backend: BackendClient, sent: Any) -> None:
    plugin = backend.create_plugin({"name": "My Plugin", "description": "Custom processing plugin"})
    assert plugin["name"] == "My Plugin" and plugin["code"] and plugin["id"] > 2
    (record,) = sent()
    assert record.path == "/plugins/" and record.body == {
        "name": "My Plugin",
        "description": "Custom processing plugin",
    }


def test_update_plugin_sends_the_partial_put_of_the_original(backend: BackendClient, sent: Any) -> None:
    plugin = backend.update_plugin(2, {"description": "COCO 1.0 export", "category": "export"})
    assert plugin["description"] == "COCO 1.0 export" and plugin["name"] == "COCO Export"
    (record,) = sent()
    assert (record.method, record.path) == ("PUT", "/plugins/2/")
    assert record.body == {"description": "COCO 1.0 export", "category": "export"}
    backend.update_plugin("coco-export", {"description": "by code"})
    (put,) = sent()[1:]  # by code too: nothing read first
    assert (put.method, put.path, put.body) == ("PUT", "/plugins/coco-export/", {"description": "by code"})


def test_run_plugin_with_parameters_then_get_job(backend: BackendClient, sent: Any) -> None:
    job = backend.run_plugin(1, {"action": "train", "parameters": {"epochs": 2}, "agent": 1})
    assert job["job_id"] == job["id"] and job["status"] in ("PENDING", "RUNNING")
    (record,) = sent("POST")
    assert record.path == "/plugins/1/run/"
    assert record.body == {"action": "train", "agent": 1, "params": {"epochs": 2}}  # no language forced
    fetched = backend.get_job(job["job_id"])
    assert fetched["id"] == job["id"] and fetched["params"] == {"epochs": 2}
    assert sent("GET")[-1].path == f"/jobs/{job['job_id']}/"


def test_run_plugin_by_code_is_one_post(backend: BackendClient, sent: Any) -> None:
    job = backend.run_plugin("yolo-detector", {"params": {"epochs": 1}, "queue": "fast"})
    assert job["action"] == "train" and job["agent"] == 1  # first action, the one connected agent
    (run,) = sent()  # no lookup of the plugin before the run
    assert (run.method, run.path) == ("POST", "/plugins/yolo-detector/run/")
    assert run.body == {"params": {"epochs": 1}, "queue": "fast"}  # an unknown key goes as given
    with pytest.raises(TypeError):
        backend.run_plugin(1, {"params": {}, "parameters": {}})
    with pytest.raises(ValidationError):
        backend.run_plugin(2, {})  # a plugin without a release: the server's 400
    assert len(sent()) == 2


def test_run_plugin_for_a_code_the_token_may_run_but_not_read(
    backend: BackendClient, emu: Any, sent: Any
) -> None:
    emu.faults.fail("plugins/yolo-detector/", method="GET", status=403)
    job = backend.run_plugin("yolo-detector", {"action": "train"})
    assert job["status"] in ("PENDING", "RUNNING") and [r.method for r in sent()] == ["POST"]


# ---- releases ----
def test_get_plugin_release_by_id_and_code_at_version(backend: BackendClient, sent: Any) -> None:
    assert backend.get_plugin_release(1)["version"] == "1.0.0"
    assert backend.get_plugin_release("yolo-detector@1.0.0")["id"] == 1
    assert [r.path for r in sent()] == ["/plugin_releases/1/", "/plugin_releases/yolo-detector@1.0.0/"]


def test_list_plugin_releases(backend: BackendClient, sent: Any) -> None:
    page = backend.list_plugin_releases("yolo-detector")
    assert page["count"] == 1 and page["results"][0]["available_actions"] == ["train", "inference", "export"]
    assert sent()[0].query == {"plugin": "yolo-detector", "page_size": "100"}


def test_create_plugin_release_with_an_open_file_in_data(
    backend: BackendClient, sent: Any, tmp_path: Path
) -> None:
    with _archive(tmp_path).open("rb") as archive:
        release = backend.create_plugin_release({"plugin": 2, "version": "1.0.0", "file": archive})
    assert release["plugin"] == "coco-export" and release["version"] == "1.0.0"
    (record,) = sent()
    assert record.path == "/plugin_releases/" and record.files and record.form["plugin"] == "2"
    assert record.form["version"] == "1.0.0"


def test_create_plugin_release_with_a_path_and_config(
    backend: BackendClient, sent: Any, tmp_path: Path
) -> None:
    config = {"actions": {"export": {"entrypoint": "plugin.export.main"}}}
    release = backend.create_plugin_release(
        {
            "plugin": "coco-export",
            "version": "2.0.0",
            "config": json.dumps(config),
            "requirements": ["pycocotools"],
        },
        file=_archive(tmp_path),
    )
    assert release["available_actions"] == ["export"] and release["requirements"] == ["pycocotools"]
    assert json.loads(sent()[0].form["config"]) == config


def test_create_plugin_release_without_a_file_is_json(backend: BackendClient, sent: Any) -> None:
    release = backend.create_plugin_release({"plugin": "coco-export", "version": "0.1.0"})
    assert release["version"] == "0.1.0"
    assert sent()[0].body["plugin"] == "coco-export" and sent()[0].files is None
    with pytest.raises(ValidationError):
        backend.create_plugin_release({"plugin": "coco-export", "version": "0.1.0"})  # exists
    with pytest.raises(TypeError):
        backend.create_plugin_release(
            {"plugin": "x", "version": "1", "file": io.BytesIO(b"")}, file=io.BytesIO(b"")
        )


# ---- jobs ----
def test_list_jobs_by_status(backend: BackendClient, sent: Any) -> None:
    page = backend.list_jobs({"status": "succeeded"})
    assert page["count"] == 1 and page["results"][0]["id"] == DEMO_JOB
    assert sent()[0].query["status"].upper() == "SUCCEEDED"  # the server takes either case


def test_get_job_with_params_and_ids_of_either_type(backend: BackendClient, sent: Any) -> None:
    job = backend.get_job(DEMO_JOB, params={"fields": "id,status"})
    assert job["status"] == "SUCCEEDED" and sent()[0].query == {"fields": "id,status"}
    with pytest.raises(NotFound):
        backend.get_job(123)  # an int id goes to the server, which has no such job
    with pytest.raises(NotFound):
        backend.get_job("not-a-uuid")
    assert [r.path for r in sent()[1:]] == ["/jobs/123/", "/jobs/not-a-uuid/"]
    with pytest.raises(ValueError):
        backend.get_job("../projects")  # never another route
    with pytest.raises(TypeError):
        backend.get_job(1.5)  # type: ignore[arg-type]
    assert len(sent()) == 3


def test_update_job_sends_the_body_as_given(backend: BackendClient, sent: Any) -> None:
    job = backend.run_plugin(1, {"action": "train"})
    progress = {"current_progress": {"overall": 50, "step": "train"}}
    updated = backend.update_job(job["id"], {"progress_record": progress, "status": "stopped", "note": 1})
    assert updated["status"] == "STOPPED" and updated["progress_record"]["current_progress"]["overall"] == 50
    (record,) = sent("PATCH")
    assert record.path == f"/jobs/{job['id']}/"
    assert record.body == {"progress_record": progress, "status": "stopped", "note": 1}


def test_create_logs_posts_to_logs(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    entry = {"job": DEMO_JOB, "event": "epoch", "data": {"epoch": 1}, "datetime": "2024-01-01T00:00:00Z"}
    one = backend.create_logs(entry)
    assert one["job"] == DEMO_JOB and one["data"] == {"epoch": 1}
    chart = tmp_path / "loss.png"
    chart.write_bytes(b"\x89PNG fake")
    many = backend.create_logs([{**entry, "level": "info"}, {**entry, "event": "chart", "file": str(chart)}])
    assert [e["event"] for e in many] == ["epoch", "chart"]
    first, second = sent("POST", "/logs/")
    assert first.body == entry  # one entry: an object
    assert isinstance(second.body, list) and second.body[1]["file"].startswith("data:image/png;base64,")
    with pytest.raises(ValidationError) as info:
        backend.create_logs([entry, {"job": DEMO_JOB}])
    assert any(field.startswith("1.") for field in info.value.errors)  # the item index and field


def test_list_job_console_logs(backend: BackendClient, sent: Any) -> None:
    lines = backend.list_job_console_logs(DEMO_JOB)
    assert lines and all(isinstance(line, str) for line in lines)
    assert sent()[0].path == f"/jobs/{DEMO_JOB}/console_logs/"


def test_serve_applications(backend: BackendClient, sent: Any) -> None:
    created = backend.create_serve_application({"job": DEMO_JOB, "status": "running", "data": {"port": 8000}})
    assert created["status"] == "RUNNING" and created["plugin_code"] == "yolo-detector"
    page = backend.list_serve_applications({"plugin_code": "yolo-detector"})
    assert created["id"] in [row["id"] for row in page["results"]]
    rows, count = backend.list_serve_applications({"status": "RUNNING"}, list_all=True)
    assert count and all(row["status"] == "RUNNING" for row in rows)
    post, listing = sent()[:2]
    assert post.body == {"job": DEMO_JOB, "status": "running", "data": {"port": 8000}}
    assert (listing.path, listing.query["plugin_code"]) == ("/serve_applications/", "yolo-detector")


def test_tail_job_console_logs_yields_event_lines(backend: BackendClient, sent: Any) -> None:
    job = backend.run_plugin(1, {"action": "train"})
    lines = list(backend.tail_job_console_logs(job["job_id"]))
    assert all(line.startswith("data: ") and line.endswith("\n") for line in lines)
    events = [json.loads(line[len("data: ") :]) for line in lines]
    assert events[0]["type"] == "connected" and events[-1]["type"] == "complete"
    assert any(e["type"] == "log" for e in events)
    assert sent("GET")[-1].path == f"/jobs/{job['job_id']}/tail_console_logs/"


# ---- storages and agents ----
def test_create_and_list_storages(backend: BackendClient, sent: Any) -> None:
    config = {"location": "/data/new"}
    body = {"name": "Local", "provider": "file_system", "category": "internal", "configuration": config}
    storage = backend.create_storage(body)
    assert storage["name"] == "Local" and "configuration" not in storage
    page = backend.list_storages({"category": "external"})
    assert [s["name"] for s in page["results"]] == ["Archive bucket"]
    post, listing = sent()
    assert post.body == body
    assert listing.query["category"] == "external"


def test_get_storage_includes_the_configuration(backend: BackendClient, sent: Any) -> None:
    storage = backend.get_storage(2)
    assert storage["configuration"]["bucket_name"] == "synapse-archive"
    assert sent()[0].query == {"with_configuration": "true"}


def test_list_agents_and_health_check(backend: BackendClient, sent: Any, emu: Any) -> None:
    page = backend.list_agents()
    assert [a["status"] for a in page["results"]] == ["connected", "disconnected"]
    agent = backend.health_check_agent(emu.agent_token)
    assert agent["id"] == 1 and agent["status"] == "connected" and agent["checked_at"]
    post = sent("POST")[0]
    assert post.path == f"/agents/{emu.agent_token}/connect/" and post.body == {}
    with pytest.raises(ClientError) as info:
        backend.health_check_agent("wrong-agent-token-42")
    assert info.value.status_code == 404 and "wrong-agent-token-42" not in str(info.value)
