"""Tasks against the emulator (demo seed: project 1 has tasks 1-320 over units 1-320)."""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from synapse import DataUnit, NotFound, Project, Task, ValidationError


def records(emu: Any) -> list[Any]:
    return list(emu.requests.snapshot())


def test_related_create_fills_the_project(client: Any, emu: Any) -> None:
    project = client.projects.get(2, lazy=True)
    task = project.tasks.create(data_unit=100)
    assert isinstance(task, Task) and task.project_id == 2 and task.data_unit_id == 100
    (post,) = records(emu)
    assert (post.method, post.path) == ("POST", "/tasks/")
    assert post.body == [{"project": 2, "data_unit": 100}]


def test_bulk_create_sends_one_request_per_1000(client: Any, emu: Any) -> None:
    project = client.projects.get(2, lazy=True)
    units = [(i % 320) + 1 for i in range(1001)]
    created = project.tasks.bulk_create(data_units=units)
    assert len(created) == 1001 and all(t.project_id == 2 for t in created)
    posts = records(emu)
    assert [len(r.body) for r in posts] == [1000, 1]
    assert posts[0].body[0] == {"project": 2, "data_unit": 1}
    assert project.tasks.count() == 12 + 1001


def test_create_checks_required_and_unknown_fields_before_any_request(client: Any, emu: Any) -> None:
    project = client.projects.get(1, lazy=True)
    with pytest.raises(ValidationError) as info:
        project.tasks.create()
    assert info.value.errors == {"data_unit": ["This field is required."]}
    with pytest.raises(ValidationError, match="project"):
        client.tasks.create(data_unit=1)
    with pytest.raises(TypeError, match="no field 'dataunit'"):
        project.tasks.create(dataunit=1)
    with pytest.raises(ValidationError):
        project.tasks.bulk_create([{"data_unit": 1}, {}])
    assert records(emu) == []


def test_get_annotate_and_the_schema_parameter(client: Any, emu: Any) -> None:
    task = client.tasks.get(5)
    assert task.status_label == "completed" and task.data is not None
    annotation = {"objects": [{"class": "car", "bbox": [1, 2, 3, 4]}]}
    assert task.annotate(annotation, schema="any") is task
    put = records(emu)[-1]
    assert (put.method, put.path, put.query) == ("PUT", "/tasks/5/annotate_task_data/", {"schema": "any"})
    assert put.body == annotation
    assert task.data == annotation
    assert client.tasks.get(5).data == annotation  # the write invalidated the cache
    with pytest.raises(ValueError, match="schema"):
        task.annotate(annotation, schema="v2")


def test_set_tags_on_one_task(client: Any, emu: Any) -> None:
    task = client.tasks.get(11)
    assert task.tags == []
    task.set_tags([1, 2], action="add")
    assert records(emu)[-1].body == {"ids": [11], "tags": [1, 2], "action": "add"}
    assert task.tags == [1, 2]
    task.set_tags([1], action="remove")
    assert task.tags == [2]
    assert client.tasks.get(11).tags == [2]
    sent = len(emu.requests)
    task.save()  # the tags came from the server's answer: nothing is left to send
    assert len(emu.requests) == sent


def test_parent_relations_are_lazy_and_go_through_the_cache(client: Any, emu: Any) -> None:
    tasks = list(client.tasks.filter(project=1)[:3].iterator())
    emu.requests.clear()
    projects = [t.project for t in tasks]
    assert all(isinstance(p, Project) for p in projects) and records(emu) == []
    assert [p.title for p in projects] == ["Street scenes annotation"] * 3
    assert [r.path for r in records(emu)] == ["/projects/1/"]  # one GET, then the cache
    unit = tasks[0].data_unit
    assert isinstance(unit, DataUnit) and unit.id == tasks[0].data_unit_id
    assert "project" in dir(tasks[0]) and "data_unit" in dir(tasks[0])


def test_related_get_checks_the_parent(client: Any) -> None:
    with pytest.raises(NotFound):
        client.projects.get(1, lazy=True).tasks.get(321)  # a task of project 2


def test_refresh_save_and_delete(client: Any, emu: Any) -> None:
    task = client.tasks.get(7)
    task.meta["checked"] = True
    task.is_discarded = True
    task.save()
    patch = records(emu)[-1]
    assert (patch.method, patch.path) == ("PATCH", "/tasks/7/")
    assert patch.body == {"meta": {"frame": 7, "checked": True}, "is_discarded": True}
    task.meta["local"] = 1
    task.refresh()
    assert task.meta == {"frame": 7, "checked": True}
    task.delete()
    assert records(emu)[-1].method == "DELETE"
    with pytest.raises(NotFound):
        client.tasks.get(7)


def test_a_pickled_task_has_no_token(client: Any, emu: Any) -> None:
    task = client.tasks.get(5)
    blob = pickle.dumps(task)
    assert emu.token.encode() not in blob
    again = pickle.loads(blob)
    assert again == task and again.to_dict() == task.to_dict()
    assert client.bind(again).project.title == "Street scenes annotation"
