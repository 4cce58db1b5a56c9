"""Projects and task tags against the emulator (demo seed: projects 1 and 2, tags 1-4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import synapse
from synapse import DataCollection, NotFound, Project, TaskTag


def paths(emu: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests.snapshot()]


def test_get_sends_one_get_then_reads_the_cache(client: Any, emu: Any) -> None:
    project = client.projects.get(1)
    assert isinstance(project, Project) and project.title == "Street scenes annotation"
    assert isinstance(project.configuration, dict) and "classification" in project.configuration
    assert isinstance(project.created, dt.datetime)
    again = client.projects.get(1)
    assert again == project and again is not project
    assert paths(emu) == [("GET", "/projects/1/")]


def test_cache_ttl_0_turns_the_cache_off(emu: Any) -> None:
    with emu.client(synapse.Client, cache_ttl=0) as client:
        client.projects.get(1)
        client.projects.get(1)
    assert paths(emu) == [("GET", "/projects/1/")] * 2


def test_a_lazy_get_sends_nothing_until_a_missing_field_is_read(client: Any, emu: Any) -> None:
    project = client.projects.get(1, lazy=True)
    assert repr(project) == "<Project 1 (not loaded)>"
    assert project.id == 1 and "title" in dir(project) and "tasks" in dir(project)
    assert paths(emu) == []
    assert project.title == "Street scenes annotation"
    assert project.category == "image"
    assert paths(emu) == [("GET", "/projects/1/")]
    assert repr(project) == "<Project 1 'Street scenes annotation'>"


def test_refresh_bypasses_the_cache(client: Any, emu: Any) -> None:
    project = client.projects.get(1)
    project.refresh()
    assert paths(emu) == [("GET", "/projects/1/")] * 2


def test_save_patches_only_the_changed_fields_and_invalidates_the_cache(client: Any, emu: Any) -> None:
    project = client.projects.get(1)
    project.save()  # nothing changed
    project.title = "Renamed"
    project.configuration["options"]["allow_empty"] = True
    project.save()
    patch = emu.requests.snapshot()[-1]
    assert (patch.method, patch.path) == ("PATCH", "/projects/1/")
    assert set(patch.body) == {"title", "configuration"}
    assert patch.body["configuration"]["options"]["allow_empty"] is True
    assert client.projects.get(1).title == "Renamed"
    assert [m for m, _ in paths(emu)] == ["GET", "PATCH", "GET"]  # the write cleared the cache


def test_delete_removes_the_project(client: Any, emu: Any) -> None:
    client.projects.get(2).delete()
    assert paths(emu)[-1] == ("DELETE", "/projects/2/")
    with pytest.raises(NotFound):
        client.projects.get(2)


def test_projects_cannot_be_created_and_say_so_without_a_request(client: Any, emu: Any) -> None:
    with pytest.raises(AttributeError, match="cannot be created"):
        client.projects.create(title="New")  # type: ignore[attr-defined]
    assert "create" not in dir(client.projects) and "create" not in dir(client.projects.all())
    assert paths(emu) == []


@pytest.mark.parametrize("bad", ["1", 1.0, None, True, [1]])
def test_wrong_id_types_are_type_errors_before_any_request(client: Any, emu: Any, bad: Any) -> None:
    with pytest.raises(TypeError, match="Project id must be int"):
        client.projects.get(bad)
    assert paths(emu) == []


def test_not_found_is_typed(client: Any) -> None:
    with pytest.raises(NotFound):
        client.projects.get(999)


def test_list_and_filters(client: Any, emu: Any) -> None:
    assert [p.id for p in client.projects.order_by("id")] == [1, 2]
    assert [p.title for p in client.projects.filter(title="Sign review")] == ["Sign review"]
    assert emu.requests.snapshot()[-1].query["title"] == "Sign review"


def test_task_tags_from_the_client_and_from_the_project(client: Any, emu: Any) -> None:
    project = client.projects.get(1, lazy=True)
    names = [t.name for t in project.task_tags.order_by("id")]
    assert names == ["needs-review", "hard", "export-ready"]
    assert emu.requests.snapshot()[-1].query["project"] == "1"
    tag = client.task_tags.get(4)
    assert isinstance(tag, TaskTag) and tag.project.id == 2 and repr(tag) == "<TaskTag 4 'priority'>"
    assert {t.id for t in client.task_tags.all()} == {1, 2, 3, 4}


def test_project_data_collection_is_a_lazy_parent(client: Any, emu: Any) -> None:
    project = client.projects.get(1)
    collection = project.data_collection
    assert isinstance(collection, DataCollection) and repr(collection) == "<DataCollection 1 (not loaded)>"
    assert len(emu.requests) == 1
    assert collection.name == "Street scenes"
    assert project.data_collection is collection  # resolved once


def test_the_html_view_is_a_field_table_without_requests(client: Any, emu: Any) -> None:
    project = client.projects.get(1)
    html = project._repr_html_()
    assert "Street scenes annotation" in html and "<table>" in html
    assert len(emu.requests) == 1


def test_the_public_names_are_exported() -> None:
    assert synapse.Project is Project and synapse.TaskTag is TaskTag
