"""HITLClientMixin against the emulator: assignments, their lists and their tags."""

from __future__ import annotations

from typing import Any

import pytest

from synapse.clients.backend import BackendClient
from synapse.errors import NotFound, ValidationError


def test_get_assignment(backend: BackendClient, sent: Any) -> None:
    assignment = backend.get_assignment(4)
    assert assignment["id"] == 4 and assignment["task"] == 4 and assignment["project"] == 1
    assert sent()[0].path == "/assignments/4/"
    with pytest.raises(NotFound):
        backend.get_assignment(9999)


def test_list_assignments_first_page(backend: BackendClient, sent: Any) -> None:
    page = backend.list_assignments({"project": 1, "status_label": "in_progress", "page_size": 30})
    assert page["count"] == 80 and len(page["results"]) == 30
    assert all(a["status_label"] == "in_progress" for a in page["results"])
    (record,) = sent()
    assert record.path == "/sdk/assignments/"
    assert record.query == {"project": "1", "status_label": "in_progress", "page_size": "30"}


def test_list_assignments_list_all(backend: BackendClient, sent: Any) -> None:
    rows, count = backend.list_assignments(params={"project": 1, "page_size": 75}, list_all=True)
    ids = [a["id"] for a in rows]
    assert count == 200 and ids == list(range(1, 201))
    assert len(sent("GET", "/sdk/assignments/")) == 3


def test_set_tags_assignments_as_documented(backend: BackendClient, sent: Any) -> None:
    answer = backend.set_tags_assignments({"ids": [1, 2, 3], "tags": [1, 2], "action": "add"})
    assert answer == {"ids": [1, 2, 3], "tags": [1, 2], "action": "add"}
    (record,) = sent()
    assert (record.path, record.body) == ("/assignments/set_tags/", answer)
    assert backend.get_assignment(3)["tags"] == [1, 2]


def test_set_tags_assignments_with_assignment_ids(backend: BackendClient, sent: Any) -> None:
    backend.set_tags_assignments({"assignment_ids": [5], "tag_ids": [3], "action": "add"})
    backend.set_tags_assignments({"assignment_ids": [5], "tag_ids": [3], "action": "remove"})
    add, remove = sent("POST")
    assert add.body == {"ids": [5], "tags": [3], "action": "add"} and remove.body["action"] == "remove"
    assert backend.get_assignment(5)["tags"] == []


def test_set_tags_assignments_with_params_is_one_post(backend: BackendClient, sent: Any) -> None:
    answer = backend.set_tags_assignments({"ids": [201], "tags": [4], "extra": 1}, params={"project": 2})
    assert answer["ids"] == [201]
    (post,) = sent()  # the server resolves the selection: no listing first
    assert (post.method, post.path, post.query) == ("POST", "/assignments/set_tags/", {"project": "2"})
    assert post.body == {"ids": [201], "tags": [4], "extra": 1}


def test_list_assignments_data_rows(backend: BackendClient, sent: Any) -> None:
    page = backend.list_assignments_data({"project": 1, "page_size": 5})
    assert page["count"] == 200 and all(set(row) == {"id", "data"} for row in page["results"])
    rows, count = backend.list_assignments_data({"id__in": [1, 2, 3]}, list_all=True)
    assert count == 3 and [r["id"] for r in rows] == [1, 2, 3]
    first, second = sent("GET", "/sdk/assignments/data/")
    assert first.query == {"project": "1", "page_size": "5"} and second.query["id__in"] == "1,2,3"


def test_set_tags_assignments_unknown_tag_is_a_400(backend: BackendClient) -> None:
    with pytest.raises(ValidationError) as info:
        backend.set_tags_assignments({"ids": [1], "tags": [999]})
    assert info.value.status_code == 400 and "tags" in info.value.errors
