"""The object model's side of the routes issue 13 added: row views, job logs, serving, ground truths."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from synapse.errors import ValidationError
from synapse.resources.ml import GroundTruth, ServeApplication

DEMO_JOB = "00000000-0000-4000-8000-000000000001"


def test_task_data_rows_are_dicts_of_id_and_data(client: Any, emu: Any) -> None:
    qs = client.tasks.filter(project=2)
    emu.requests.clear()
    rows = qs.data_rows(page_size=5)
    assert not emu.requests.filter("GET", "/sdk/tasks/data/")  # lazy until iterated
    got = list(rows)
    assert len(got) == 12 and all(set(row) == {"id", "data"} for row in got)
    records = emu.requests.filter("GET", "/sdk/tasks/data/")
    assert len(records) == 3 and records[0].query == {"project": "2", "page_size": "5"}


def test_task_file_rows_list_each_file(client: Any) -> None:
    (row,) = client.tasks.filter(id=5).file_rows()
    assert set(row) == {"id", "data_unit", "files"} and row["data_unit"] == 5
    specs = {entry["specification"] for entry in row["files"]}
    assert "image" in specs and all(entry["url"] for entry in row["files"])
    with pytest.raises(TypeError):
        client.tasks.all()[:3].file_rows()  # a row view pages on its own


def test_assignment_data_rows(client: Any) -> None:
    rows = list(client.assignments.filter(id__in=[1, 2]).data_rows())
    assert [row["id"] for row in rows] == [1, 2] and all(set(r) == {"id", "data"} for r in rows)


def test_job_log_and_create_logs(client: Any, emu: Any) -> None:
    job = client.jobs.get(DEMO_JOB)
    at = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
    entry = job.log("epoch", {"loss": 0.5}, level="info", step=1, at=at)
    assert entry["job"] == DEMO_JOB and entry["data"] == {"loss": 0.5} and entry["level"] == "info"
    many = client.jobs.create_logs([
        {"job": DEMO_JOB, "event": "a", "data": {}, "datetime": at.isoformat()},
        {"job": DEMO_JOB, "event": "b", "data": {}, "datetime": at.isoformat()},
    ])
    assert [e["event"] for e in many] == ["a", "b"]
    one, two = emu.requests.filter("POST", "/logs/")
    assert isinstance(one.body, dict) and one.body["datetime"] == "2024-05-01T12:00:00+00:00"
    assert isinstance(two.body, list) and len(two.body) == 2
    with pytest.raises(ValidationError):
        job.log("bad", level="loud")  # the server checks the level
    with pytest.raises(TypeError):
        client.jobs.create_logs("not an entry")


def test_serve_applications(client: Any) -> None:
    entry = client.serve_applications.create(job=DEMO_JOB, status="running", data={"port": 8000})
    assert isinstance(entry, ServeApplication) and entry.status == "RUNNING"
    assert entry.plugin_code == "yolo-detector" and entry.job.id == DEMO_JOB
    assert entry.id in [e.id for e in client.serve_applications.filter(status="running")]
    with pytest.raises(ValueError):
        client.serve_applications.filter(status="sleeping")
    with pytest.raises(ValidationError):
        client.serve_applications.create(status="RUNNING")  # no job: before any request


def test_ground_truths_of_a_version_and_of_a_dataset(client: Any) -> None:
    version = client.ground_truth_versions.get(1)
    truths = list(version.ground_truths.all())
    assert truths and all(isinstance(gt, GroundTruth) for gt in truths)
    first = truths[0]
    assert first.category in ("train", "validation", "test") and first.data_unit.id == first.data_unit_id
    assert all("url" in entry for entry in first.files.values())
    dataset = client.ground_truths.filter(ground_truth_dataset=version.ground_truth_dataset)
    assert dataset.count() >= len(truths)
    with pytest.raises(AttributeError, match="read one by one"):
        client.ground_truths.get(first.id)  # API.md lists ground truths: no detail route
    assert client.ground_truths.all().get(first.id) == first  # a lookup inside the list
