"""AnnotationClientMixin against the emulator: what reached the server, and what came back."""

from __future__ import annotations

from typing import Any

import pytest

from synapse.clients.backend import BackendClient
from synapse.errors import ValidationError


def test_get_project(backend: BackendClient, sent: Any) -> None:
    project = backend.get_project(1)
    assert project["title"] == "Street scenes annotation" and project["data_collection"] == 1
    assert isinstance(project["configuration"], dict) and project["created"].endswith("Z")
    (record,) = sent()
    assert (record.method, record.path, record.query) == ("GET", "/projects/1/", {})


def test_get_task_with_and_without_params(backend: BackendClient, sent: Any) -> None:
    task = backend.get_task(7)
    assert task["id"] == 7 and task["data_unit"] == 7
    expanded = backend.get_task(7, params={"expand": "data_unit"})
    assert expanded["data_unit"]["id"] == 7 and "image" in expanded["data_unit"]["files"]
    first, second = sent("GET", "/tasks/7/")
    assert first.query == {} and second.query == {"expand": "data_unit"}


def test_get_task_is_not_cached(backend: BackendClient, sent: Any) -> None:
    backend.get_task(3)
    backend.get_task(3)
    assert len(sent("GET", "/tasks/3/")) == 2  # the original read on every call


def test_list_tasks_filters(backend: BackendClient, sent: Any) -> None:
    page = backend.list_tasks(params={"project": 2, "status_label": "stand_by"})
    assert page["count"] == len(page["results"]) == 12
    assert all(t["project"] == 2 and t["status_label"] == "stand_by" for t in page["results"])
    assert backend.list_tasks(params={"project": 2, "status_label": "completed"})["count"] == 0
    record = sent()[0]
    assert record.path == "/sdk/tasks/"
    assert record.query == {"project": "2", "status_label": "stand_by", "page_size": "100"}


def test_list_tasks_list_all(backend: BackendClient) -> None:
    rows, count = backend.list_tasks(params={"project": 2}, list_all=True)
    assert count == 12 and [t["id"] for t in rows] == list(range(321, 333))


def test_create_tasks_from_a_list(backend: BackendClient, sent: Any) -> None:
    created = backend.create_tasks([{"project": 2, "data_unit": 13}, {"project": 2, "data_unit": 14}])
    assert [t["data_unit"] for t in created] == [13, 14] and all(t["project"] == 2 for t in created)
    (record,) = sent("POST", "/tasks/")
    assert record.body == [{"project": 2, "data_unit": 13}, {"project": 2, "data_unit": 14}]
    assert backend.get_task(created[0]["id"])["status_label"] == "stand_by"


def test_create_tasks_from_the_project_and_data_form(backend: BackendClient, sent: Any) -> None:
    body = {"project": 2, "data": [{"data_unit": 15}, {"data_unit": 16}]}
    created = backend.create_tasks(body)
    assert [t["data_unit"] for t in created] == [15, 16]
    (record,) = sent("POST", "/tasks/")
    assert record.body == body  # the dict form as given, as the original sent it


def test_create_tasks_sends_unknown_keys_and_the_server_decides(backend: BackendClient, sent: Any) -> None:
    created = backend.create_tasks([{"project": 2, "data_unit": 17, "priority": 3}])
    assert created[0]["data_unit"] == 17
    with pytest.raises(ValidationError) as info:
        backend.create_tasks([{"project": 2}])  # no unit: the server's 400, naming the field
    assert "data_unit" in str(info.value.errors)
    first, second = sent("POST", "/tasks/")
    assert first.body == [{"project": 2, "data_unit": 17, "priority": 3}] and second.body == [{"project": 2}]


def test_create_tasks_over_1000_go_in_batches(backend: BackendClient, sent: Any) -> None:
    items = [{"data_unit": 99999}] * 1001
    with pytest.raises(ValidationError):
        backend.create_tasks({"project": 2, "data": items, "note": "x"})  # no such unit: batch 1 fails
    (first,) = sent("POST", "/tasks/")
    assert len(first.body["data"]) == 1000 and first.body["note"] == "x"


def test_create_tasks_server_refusal(backend: BackendClient) -> None:
    with pytest.raises(ValidationError) as info:
        backend.create_tasks([{"project": 2, "data_unit": 99999}])
    assert info.value.status_code == 400 and info.value.errors


def test_annotate_task_data(backend: BackendClient, sent: Any) -> None:
    annotation = {
        "annotations": {"image": [{"id": "a1", "tool": "bounding_box", "classification": {"class": "car"}}]},
        "annotationsData": {"image": [{"id": "a1", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    }
    task = backend.annotate_task_data(9, annotation)
    assert task["id"] == 9 and task["data"] == annotation
    backend.annotate_task_data(9, {"anything": True}, schema="any")
    first, second = sent("PUT")
    assert first.path == "/tasks/9/annotate_task_data/" and first.body == annotation and first.query == {}
    assert second.query == {"schema": "any"} and second.body == {"anything": True}
    assert backend.get_task(9)["data"] == {"anything": True}


def test_set_tags_tasks_in_the_wire_form(backend: BackendClient, sent: Any) -> None:
    answer = backend.set_tags_tasks({"ids": [1, 2], "tags": [1, 2], "action": "add"})
    assert answer == {"ids": [1, 2], "tags": [1, 2], "action": "add"}
    (record,) = sent()
    assert (record.method, record.path, record.body) == ("POST", "/tasks/set_tags/", answer)
    assert backend.get_task(2)["tags"] == [1, 2]
    backend.set_tags_tasks({"ids": [2], "tags": [1], "action": "remove"})
    assert backend.get_task(2)["tags"] == [2]


def test_set_tags_tasks_in_the_documented_form(backend: BackendClient, sent: Any) -> None:
    answer = backend.set_tags_tasks({"task_ids": [3], "tag_ids": [3]})
    (record,) = sent()
    assert record.body == {"ids": [3], "tags": [3]} and answer["action"] == "add"  # the server's default


def test_set_tags_tasks_with_params_is_one_post(backend: BackendClient, sent: Any) -> None:
    params = {"project": 2, "id__in": [321, 322]}
    answer = backend.set_tags_tasks({"ids": [321, 322], "tags": [4]}, params=params)
    assert answer == {"ids": [321, 322], "tags": [4], "action": "add"}
    (record,) = sent()  # no listing of ids first
    assert (record.method, record.path) == ("POST", "/tasks/set_tags/")
    assert record.query == {"project": "2", "id__in": "321,322"}
    assert record.body == {"ids": [321, 322], "tags": [4]}


def test_set_tags_tasks_leaves_the_checks_to_the_server(backend: BackendClient, sent: Any) -> None:
    with pytest.raises(ValidationError) as info:
        backend.set_tags_tasks({"ids": [1]})
    assert "tags" in info.value.errors
    with pytest.raises(ValidationError) as info:
        backend.set_tags_tasks({"ids": [1], "tags": [1], "action": "toggle"})
    assert "action" in info.value.errors
    assert len(sent("POST", "/tasks/set_tags/")) == 2
    with pytest.raises(TypeError):
        backend.set_tags_tasks({"ids": [1], "task_ids": [2], "tags": [1]})  # which one is meant?
    with pytest.raises(TypeError):
        backend.set_tags_tasks([1, 2])  # type: ignore[arg-type]
    assert len(sent()) == 2


def test_get_task_tag(backend: BackendClient, sent: Any) -> None:
    tag = backend.get_task_tag(3)
    assert tag == {**tag, "id": 3, "project": 1, "name": "export-ready", "category": "export"}
    assert sent()[0].path == "/task_tags/3/"


def test_list_task_tags(backend: BackendClient, sent: Any) -> None:
    page = backend.list_task_tags({"project": 1})
    assert page["count"] == 3 and [t["name"] for t in page["results"]] == [
        "needs-review",
        "hard",
        "export-ready",
    ]
    assert sent()[0].query == {"project": "1", "page_size": "100"}
