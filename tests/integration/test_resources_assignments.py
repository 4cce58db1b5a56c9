"""Assignments against the emulator (demo seed: assignments 1-200 on tasks 1-200 of project 1)."""

from __future__ import annotations

from typing import Any

import pytest

from synapse import Assignment, Task


def test_get_set_tags_and_the_parent_task(client: Any, emu: Any) -> None:
    assignment = client.assignments.get(55)
    assert isinstance(assignment, Assignment)
    assert emu.requests.snapshot()[-1].path == "/assignments/55/"
    assignment.set_tags([3])
    post = emu.requests.snapshot()[-1]
    assert (post.method, post.path) == ("POST", "/assignments/set_tags/")
    assert post.body == {"ids": [55], "tags": [3], "action": "add"}
    assert 3 in assignment.tags
    assert 3 in client.assignments.get(55).tags
    task = assignment.task
    assert isinstance(task, Task) and task.id == 55
    assert task.status_label == "completed"


def test_project_assignments_filter_and_bulk_tag(client: Any, emu: Any) -> None:
    project = client.projects.get(1, lazy=True)
    emu.requests.clear()
    sent = project.assignments.filter(status_label="completed").set_tags([3])
    assert sent == 120
    reads = [r for r in emu.requests.snapshot() if r.method == "GET"]
    assert all(r.path == "/sdk/assignments/" and r.query["project"] == "1" for r in reads)
    (post,) = [r for r in emu.requests.snapshot() if r.method == "POST"]
    assert post.path == "/assignments/set_tags/" and len(post.body["ids"]) == 120
    assert client.assignments.filter(project=1, tags=3).count() == 120


def test_a_task_lists_its_assignments(client: Any) -> None:
    task = client.tasks.get(7, lazy=True)
    assert [a.id for a in task.assignments] == [7]


def test_assignments_cannot_be_saved_or_deleted(client: Any, emu: Any) -> None:
    assignment = client.assignments.get(1)
    assignment.is_confirmed = False
    assert "save" not in dir(assignment) and "delete" not in dir(assignment)
    with pytest.raises(AttributeError, match="cannot be updated"):
        assignment.save()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="cannot be deleted"):
        assignment.delete()  # type: ignore[attr-defined]
    assert len(emu.requests) == 1
