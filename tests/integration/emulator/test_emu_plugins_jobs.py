"""Plugins, releases, runs and jobs: lifecycle, PATCH/stop, console logs and the SSE tail."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from emu_http import Api

from synapse.emulator import Emulator


def wait_status(api: Api, job_id: str, statuses: set[str], timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"jobs/{job_id}/").json()
        if job["status"] in statuses or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.02)


def test_plugin_list_detail_by_id_and_code(mapi: Api) -> None:
    assert [p["code"] for p in mapi.get("plugins/").json()["results"]] == ["yolo-detector", "coco-export"]
    by_id, by_code = mapi.get("plugins/1/").json(), mapi.get("plugins/yolo-detector/").json()
    assert by_id == by_code
    assert set(by_id) == {"id", "code", "name", "category", "description", "is_active", "created"}
    assert mapi.get("plugins/nope/").status_code == 404
    assert mapi.get("plugins/?category=export").json()["count"] == 1


def test_create_update_delete_plugin(api: Api) -> None:
    r = api.post("plugins/", json={"name": "My Plugin", "category": "export", "description": "d"})
    assert r.status_code == 201 and r.json()["code"] == "my-plugin"
    pk = r.json()["id"]
    assert api.post("plugins/", json={"name": "My Plugin"}).json() == {
        "code": ["plugin with this code already exists."]
    }
    assert api.patch(f"plugins/{pk}/", json={"description": "new"}).json()["description"] == "new"
    # PUT takes a partial body, as the original client sends it (API.md): same effect as PATCH.
    partial = api.put(f"plugins/{pk}/", json={"description": "x"}).json()
    assert (partial["name"], partial["description"]) == ("My Plugin", "x")
    full = api.put(f"plugins/{pk}/", json={"name": "Renamed", "code": "renamed", "category": "upload"}).json()
    assert (full["name"], full["code"], full["category"]) == ("Renamed", "renamed", "upload")
    assert api.patch(f"plugins/{pk}/", json={"category": "nope"}).status_code == 400
    assert api.delete("plugins/renamed/").status_code == 204
    assert api.get(f"plugins/{pk}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "x", "category": "magic"}, "category"),
        ({"name": "x", "code": "bad code!"}, "code"),
        ({"name": 5.5}, None),
    ],
)
def test_create_plugin_errors(api: Api, body: dict[str, Any], field: str | None) -> None:
    r = api.post("plugins/", json=body)
    if field is None:
        assert r.status_code == 201  # DRF's CharField takes numbers
    else:
        assert r.status_code == 400 and field in r.json()


def test_releases_list_and_detail(mapi: Api) -> None:
    body = mapi.get("plugin_releases/?plugin=yolo-detector").json()
    assert body["count"] == 1
    release = body["results"][0]
    assert set(release) == {
        "id",
        "plugin",
        "version",
        "config",
        "requirements",
        "available_actions",
        "debug",
        "created",
        "file",
    }
    assert release["file"] is None  # no archive
    assert release["plugin"] == "yolo-detector" and release["available_actions"] == [
        "train",
        "inference",
        "export",
    ]
    assert mapi.get("plugin_releases/yolo-detector@1.0.0/").json() == release
    assert mapi.get("plugin_releases/1/").json() == release
    assert mapi.get("plugin_releases/yolo-detector@9.9.9/").status_code == 404
    assert mapi.get("plugin_releases/?plugin=coco-export").json()["count"] == 0


def test_create_release_multipart_with_archive(api: Api, emu: Emulator) -> None:
    r = api.post(
        "plugin_releases/",
        files={"file": ("plugin.zip", b"PK\x03\x04zip")},
        data={
            "plugin": "coco-export",
            "version": "0.1.0",
            "config": json.dumps({"actions": {"export": {}}}),
            "requirements": ["pycocotools", "numpy"],
            "debug": "true",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["requirements"] == ["pycocotools", "numpy"] and body["debug"] is True
    assert body["available_actions"] == ["export"]
    assert emu.requests[-1].form == {
        "plugin": "coco-export",
        "version": "0.1.0",
        "config": '{"actions": {"export": {}}}',
        "requirements": ["pycocotools", "numpy"],
        "debug": "true",
    }
    again = api.post(
        "plugin_releases/",
        files={"file": ("plugin.zip", b"zip")},
        data={"plugin": "coco-export", "version": "0.1.0"},
    )
    assert again.status_code == 400 and "version" in again.json()


def test_create_release_json_and_errors(api: Api) -> None:
    r = api.post("plugin_releases/", json={"plugin": 1, "version": "2.0.0", "config": {"actions": ["train"]}})
    assert r.status_code == 201 and r.json()["available_actions"] == ["train"]
    assert api.post("plugin_releases/", json={"plugin": "ghost", "version": "1"}).json() == {
        "plugin": ['Invalid pk "ghost" - object does not exist.']
    }
    assert api.post("plugin_releases/", json={"plugin": 1}).json() == {"version": ["This field is required."]}
    bad = api.post(
        "plugin_releases/",
        files={"file": ("p.zip", b"z")},
        data={"plugin": "1", "version": "3", "config": "{nope"},
    )
    assert bad.json() == {"config": ["Value must be valid JSON."]}


def test_run_creates_a_pending_job_that_succeeds_on_its_own(api: Api) -> None:
    r = api.post("plugins/yolo-detector/run/", json={"agent": 1, "action": "train", "params": {"epochs": 3}})
    assert r.status_code == 201
    job = r.json()
    assert job["status"] == "PENDING" and job["job_id"] == job["id"] and len(job["id"]) == 36
    assert (job["plugin"], job["plugin_release"], job["agent"], job["action"]) == (
        "yolo-detector",
        1,
        1,
        "train",
    )
    running = wait_status(api, job["id"], {"RUNNING", "SUCCEEDED"})
    assert running["started"] is not None
    done = wait_status(api, job["id"], {"SUCCEEDED", "FAILED"})
    assert done["status"] == "SUCCEEDED" and done["finished"] is not None
    assert done["progress_record"]["current_progress"]["overall"] == 100
    logs = api.get(f"jobs/{job['id']}/console_logs/").json()
    assert logs[0] == "Starting action 'train'" and "finished successfully" in logs[-1] and len(logs) == 5


def test_run_defaults_agent_action_and_version(api: Api) -> None:
    job = api.post("plugins/1/run/", json={}).json()
    assert (job["agent"], job["action"], job["plugin_release"]) == (1, "train", 1)


@pytest.mark.parametrize(
    ("path", "body", "status", "key"),
    [
        ("plugins/1/run/", {"action": "dance"}, 400, "action"),
        ("plugins/1/run/", {"agent": 99}, 400, "agent"),
        ("plugins/1/run/", {"version": "9.9"}, 400, "version"),
        ("plugins/coco-export/run/", {}, 400, "non_field_errors"),
        ("plugins/ghost/run/", {}, 404, "detail"),
        ("plugins/1/run/", {"params": []}, 400, "params"),
    ],
)
def test_run_errors(api: Api, emu: Emulator, path: str, body: dict[str, Any], status: int, key: str) -> None:
    before = emu.db.count("jobs")
    r = api.post(path, json=body)
    assert r.status_code == status and key in r.json()
    assert emu.db.count("jobs") == before


def test_run_without_agent_needs_exactly_one_connected(api: Api, emu: Emulator) -> None:
    emu.db.query("UPDATE agents SET status = 'connected'")
    assert "agent" in api.post("plugins/1/run/", json={}).json()


def test_action_fail_always_fails() -> None:
    with Emulator(seed="demo", auto_jobs=False) as emu:
        api = Api(emu)
        job = api.post("plugins/1/run/", json={"action": "fail"}).json()
        assert api.get(f"jobs/{job['id']}/").json()["status"] == "PENDING"
        emu.jobs.advance(job["id"])
        assert api.get(f"jobs/{job['id']}/").json()["status"] == "RUNNING"
        emu.jobs.finish()
        failed = api.get(f"jobs/{job['id']}/").json()
        assert failed["status"] == "FAILED" and "fail" in failed["result"]["error"]
        assert api.get(f"jobs/{job['id']}/console_logs/").json()[-1].startswith("ERROR")


def test_actions_configured_to_fail(api: Api, emu: Emulator) -> None:
    emu.jobs.fail_actions.add("export")
    job = api.post("plugins/1/run/", json={"action": "export"}).json()
    assert wait_status(api, job["id"], {"FAILED", "SUCCEEDED"})["status"] == "FAILED"
    api.post(
        "plugin_releases/", json={"plugin": 1, "version": "2", "config": {"actions": {"x": {"fail": True}}}}
    )
    job = api.post("plugins/1/run/", json={"action": "x"}).json()
    assert wait_status(api, job["id"], {"FAILED", "SUCCEEDED"})["status"] == "FAILED"


def test_manual_jobs_advance_deterministically() -> None:
    with Emulator(seed="demo", auto_jobs=False) as emu:
        api = Api(emu)
        job = api.post("plugins/1/run/", json={}).json()
        overall = []
        for _ in range(5):
            emu.jobs.advance(job["id"])
            overall.append(
                api.get(f"jobs/{job['id']}/").json()["progress_record"]["current_progress"]["overall"]
            )
        assert overall == [0, 25, 50, 75, 100]
        assert api.get(f"jobs/{job['id']}/").json()["status"] == "SUCCEEDED"


def test_clock_advance_finishes_auto_jobs(api: Api, emu: Emulator) -> None:
    emu.jobs.duration = 3600
    job = api.post("plugins/1/run/", json={}).json()
    emu.clock.advance(3601)
    assert api.get(f"jobs/{job['id']}/").json()["status"] == "SUCCEEDED"


def test_stop_a_running_job(api: Api, emu: Emulator) -> None:
    emu.jobs.duration = 60
    job = api.post("plugins/1/run/", json={}).json()
    r = api.patch(f"jobs/{job['id']}/", json={"status": "stopped"})
    assert r.status_code == 200 and r.json()["status"] == "STOPPED" and r.json()["finished"]
    emu.clock.advance(120)
    assert api.get(f"jobs/{job['id']}/").json()["status"] == "STOPPED"
    assert api.get(f"jobs/{job['id']}/console_logs/").json()[-1] == "Job stopped"


def test_patch_job_records_and_logs(api: Api) -> None:
    job_id = api.get("jobs/").json()["results"][0]["id"]
    r = api.patch(
        f"jobs/{job_id}/",
        json={
            "progress_record": {"current_progress": {"overall": 10}},
            "metrics_record": {"loss": 1},
            "result": {"ok": 1},
            "meta": {"m": 1},
            "console_logs": ["line a", "line b"],
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["metrics_record"] == {"loss": 1} and body["result"] == {"ok": 1} and body["meta"] == {"m": 1}
    assert api.get(f"jobs/{job_id}/console_logs/").json()[-2:] == ["line a", "line b"]
    bad = api.patch(f"jobs/{job_id}/", json={"status": "DONE", "progress_record": 3, "console_logs": [1]})
    assert bad.status_code == 400 and set(bad.json()) == {"status", "progress_record", "console_logs"}
    assert api.patch("jobs/00000000-0000-0000-0000-00000000dead/", json={}).status_code == 404


def test_job_list_filters(api: Api) -> None:
    api.post("plugins/1/run/", json={"action": "inference"})
    assert api.get("jobs/?status=succeeded").json()["count"] >= 1
    assert [j["action"] for j in api.get("jobs/?action=inference").json()["results"]] == ["inference"]
    assert api.get("jobs/?plugin=yolo-detector").json()["count"] == 2
    assert api.get("jobs/?plugin=1").json()["count"] == 2
    assert api.get("jobs/?agent=2").json()["count"] == 0
    assert api.get("jobs/?agent=x").status_code == 400
    assert set(api.get("jobs/").json()["results"][0]) == {
        "id",
        "job_id",
        "status",
        "plugin",
        "plugin_release",
        "agent",
        "action",
        "params",
        "progress_record",
        "metrics_record",
        "result",
        "meta",
        "created",
        "started",
        "finished",
    }


def test_demo_job_is_finished(mapi: Api) -> None:
    job = mapi.get("jobs/00000000-0000-4000-8000-000000000001/").json()
    assert job["status"] == "SUCCEEDED" and job["progress_record"]["current_progress"]["overall"] == 100


def _read_events(api: Api, job_id: str) -> list[str]:
    with api.session.get(api.url(f"jobs/{job_id}/tail_console_logs/"), stream=True, timeout=30) as r:
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        return [line for line in r.iter_lines(decode_unicode=True) if line]


def test_tail_streams_logs_heartbeats_and_completes() -> None:
    with Emulator(seed="demo", job_duration=0.6, sse_heartbeat=0.05) as emu:
        api = Api(emu)
        job = api.post("plugins/1/run/", json={}).json()
        lines = _read_events(api, job["id"])
    events = [json.loads(line[len("data: ") :]) for line in lines if line.startswith("data: ")]
    assert events[0] == {"type": "connected", "job_id": job["id"]}
    assert [e["type"] for e in events[1:]] == ["log"] * 5 + ["complete"]
    assert events[-1] == {"type": "complete", "status": "SUCCEEDED"}
    assert ": heartbeat" in lines


def test_tail_of_a_failed_job_reports_the_error(api: Api) -> None:
    job = api.post("plugins/1/run/", json={"action": "fail"}).json()
    events = [json.loads(line[6:]) for line in _read_events(api, job["id"]) if line.startswith("data: ")]
    assert [e["type"] for e in events[-2:]] == ["error", "complete"] and events[-1]["status"] == "FAILED"


def test_tail_of_an_unknown_job_is_404(mapi: Api) -> None:
    assert mapi.get("jobs/nope/tail_console_logs/").status_code == 404
    assert mapi.get("jobs/nope/console_logs/").status_code == 404


def test_jobs_in_cursor_mode_newest_first() -> None:
    with Emulator(seed="demo", auto_jobs=False, fail_actions=["inference"]) as emu:
        api = Api(emu)
        created = [api.post("plugins/1/run/", json={"action": "inference"}).json()["id"] for _ in range(3)]
        first = api.get("jobs/?pagination=cursor&ordering=-id&page_size=2").json()
        assert "count" not in first and [j["id"] for j in first["results"]] == created[:0:-1]
        rest = api.get(first["next"]).json()
        assert [j["id"] for j in rest["results"]] == [created[0], "00000000-0000-4000-8000-000000000001"]
        emu.jobs.finish()
        assert {j["status"] for j in api.get("jobs/?action=inference").json()["results"]} == {"FAILED"}
