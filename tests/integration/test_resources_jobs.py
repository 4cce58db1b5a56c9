"""Jobs against the emulator (demo seed: plugin 1 ``yolo-detector`` with release 1.0.0, agent 1,
job ``DEMO_JOB_ID`` SUCCEEDED with five console lines; jobs take 0.2 s)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import synapse
from synapse import (
    Agent,
    Job,
    JobFailed,
    JobStopped,
    JobTimeout,
    NotFound,
    PluginRelease,
    ValidationError,
)
from synapse.emulator.seed import DEMO_JOB_ID


@pytest.fixture
def frozen(synapse_emulator_factory: Any) -> Any:
    """An emulator whose jobs move only when the test says so."""
    return synapse_emulator_factory(auto_jobs=False)


def calls(emu: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests.snapshot()]


def test_get_by_uuid_string_or_uuid_object(client: Any, emu: Any) -> None:
    job = client.jobs.get(DEMO_JOB_ID)
    assert isinstance(job, Job) and job.id == DEMO_JOB_ID == job.job_id
    assert job.status == "SUCCEEDED" and job.is_finished and job.progress == 100
    assert job.params == {"epochs": 3} and job.metrics_record == {"loss": 0.25, "map50": 0.61}
    assert client.jobs.get(uuid.UUID(DEMO_JOB_ID)) == job  # served from the cache
    assert calls(emu) == [("GET", f"/jobs/{DEMO_JOB_ID}/")]
    assert repr(job) == f"<Job {DEMO_JOB_ID} 'SUCCEEDED' action='train'>"


def test_bad_job_ids_fail_before_any_request(client: Any, emu: Any) -> None:
    with pytest.raises(TypeError, match="Job id"):
        client.jobs.get(True)
    with pytest.raises(ValueError, match="UUID"):
        client.jobs.get("../projects/1")
    assert calls(emu) == []


def test_a_job_id_may_be_a_whole_number_as_some_deployments_send(client: Any, emu: Any) -> None:
    with pytest.raises(NotFound, match="Job 5 not found"):
        client.jobs.get(5)
    with pytest.raises(NotFound):
        client.jobs.get("5")
    assert calls(emu) == [("GET", "/jobs/5/"), ("GET", "/jobs/5/")]


def test_relations_to_the_agent_and_the_release_are_lazy(client: Any, emu: Any) -> None:
    job = client.jobs.get(DEMO_JOB_ID)
    release, agent = job.plugin_release, job.agent
    assert isinstance(release, PluginRelease) and isinstance(agent, Agent)
    assert len(calls(emu)) == 1  # nothing sent yet
    assert release.version == "1.0.0" and agent.name == "local-agent"
    assert calls(emu)[1:] == [("GET", "/plugin_releases/1/"), ("GET", "/agents/")]


def test_run_then_wait_returns_the_finished_job_with_progress(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(1, lazy=True)
    job = plugin.run(action="train", params={"epochs": 3}, agent=2)
    post = emu.requests.filter("POST")[-1]
    assert (post.path, post.status) == ("/plugins/1/run/", 201)
    assert post.body == {"action": "train", "params": {"epochs": 3}, "agent": 2, "debug": False}
    assert job.status == "PENDING" and not job.is_finished and job.progress is None
    seen: list[float] = []
    assert job.wait(timeout=30, poll_interval=0.02, progress=lambda percent, j: seen.append(percent)) is job
    assert job.status == "SUCCEEDED" and job.is_finished and job.progress == 100
    assert job.result["status"] == "ok"
    assert seen[-1] == 100 and seen == sorted(seen) and len(set(seen)) == len(seen)
    polls = emu.requests.count("GET", f"/jobs/{job.id}/")
    assert polls >= 2  # each poll bypassed the cache


def test_wait_on_a_failed_job_raises_job_failed_with_the_error(client: Any) -> None:
    job = client.plugins.get(1, lazy=True).run(action="fail")
    with pytest.raises(JobFailed, match="emulated failure") as info:
        job.wait(timeout=30, poll_interval=0.02)
    assert info.value.job is job and job.status == "FAILED"
    assert "emulated failure" in job.result["error"]


def test_stop_patches_the_status_and_wait_reports_stopped(frozen: Any) -> None:
    with frozen.client(synapse.Client) as client:
        job = client.plugins.get(1, lazy=True).run(action="train")
        assert job.stop() is job and job.status == "STOPPED" and job.is_finished
        patch = frozen.requests.snapshot()[-1]
        assert (patch.method, patch.path, patch.body) == ("PATCH", f"/jobs/{job.id}/", {"status": "STOPPED"})
        with pytest.raises(JobStopped) as info:
            job.wait()
        assert not isinstance(info.value, JobFailed) and info.value.job is job
        assert frozen.requests.count("GET", f"/jobs/{job.id}/") == 0  # terminal already: no poll
        assert job.logs()[-1] == "Job stopped"


def test_wait_times_out_with_the_job_as_last_seen(frozen: Any) -> None:
    with frozen.client(synapse.Client) as client:
        job = client.plugins.get(1, lazy=True).run(action="train")
        frozen.jobs.advance(job.id)  # RUNNING, 0 %
        with pytest.raises(JobTimeout, match="still RUNNING") as info:
            job.wait(timeout=0.05, poll_interval=0.01)
        assert info.value.job is job and job.status == "RUNNING" and job.progress == 0


def test_filter_status_is_normalised_to_upper_case(frozen: Any) -> None:
    with frozen.client(synapse.Client) as client:
        running = client.plugins.get(1, lazy=True).run(action="train")
        client.plugins.get(1, lazy=True).run(action="inference")
        frozen.jobs.advance(running.id)
        qs = client.jobs.filter(status="running")
        assert [j.id for j in qs] == [running.id]
        assert frozen.requests.snapshot()[-1].query["status"] == "RUNNING"
        assert client.jobs.filter(status="PENDING").count() == 1
        assert client.jobs.filter(status="succeeded", action="train").count() == 1  # the demo job
        with pytest.raises(ValueError, match="unknown job status"):
            client.jobs.filter(status="done")


def test_logs_reads_the_console_lines(client: Any, emu: Any) -> None:
    job = client.jobs.get(DEMO_JOB_ID, lazy=True)
    lines = job.logs()
    assert lines[0] == "Starting action 'train'" and len(lines) == 5
    assert calls(emu) == [("GET", f"/jobs/{DEMO_JOB_ID}/console_logs/")]


def test_tail_streams_events_until_complete(client: Any, emu: Any) -> None:
    job = client.plugins.get(1, lazy=True).run(action="train")
    events = list(job.tail())
    assert events[0].type == "connected" and events[-1].type == "complete"
    assert events[-1].data["status"] == "SUCCEEDED"
    logs = [e.message for e in events if e.type == "log"]
    assert logs[0] == "Starting action 'train'" and logs[-1] == "Action 'train' finished successfully"
    record = emu.requests.filter("GET", f"/jobs/{job.id}/tail_console_logs/")[0]
    assert record.headers["Accept"] == "text/event-stream"


def test_tail_of_a_failed_job_stops_at_the_error_event(client: Any) -> None:
    job = client.plugins.get(1, lazy=True).run(action="fail")
    events = list(job.tail())
    assert events[-1].type == "error" and "emulated failure" in (events[-1].message or "")
    assert "complete" not in [e.type for e in events]


def test_tail_can_be_abandoned_early(client: Any) -> None:
    job = client.plugins.get(1, lazy=True).run(action="train")
    stream = job.tail(read_timeout=10)
    assert next(stream).type == "connected"
    stream.close()  # hangs up; no error
    assert job.wait(timeout=30, poll_interval=0.02).status == "SUCCEEDED"


def test_save_sends_only_the_changed_fields_and_read_only_ones_are_refused(client: Any, emu: Any) -> None:
    job = client.jobs.get(DEMO_JOB_ID)
    job.meta = {"note": "kept"}
    job.save()
    assert emu.requests.snapshot()[-1].body == {"meta": {"note": "kept"}}
    job.action = "export"
    with pytest.raises(ValidationError, match="read-only"):
        job.save()
    with pytest.raises(AttributeError, match="cannot be deleted"):
        job.delete()  # type: ignore[attr-defined]
    assert emu.requests.count("DELETE") == 0
