"""Tasks: SDK list view filters, fields/expand, ordering, cursor mode, create, update, annotate, tags."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest
from emu_http import Api

from synapse.emulator import Emulator

TASK_FIELDS = {
    "id",
    "project",
    "data_unit",
    "data",
    "meta",
    "status_label",
    "status_review",
    "is_discarded",
    "tags",
    "created",
}


def ids(api: Api, query: str) -> list[int]:
    r = api.get(f"sdk/tasks/?page_size=1000&{query}")
    assert r.status_code == 200, r.text
    return [t["id"] for t in r.json()["results"]]


def test_task_detail_fields(mapi: Api) -> None:
    task = mapi.get("tasks/1/").json()
    assert set(task) == TASK_FIELDS
    assert task["project"] == 1 and task["data_unit"] == 1 and task["status_label"] == "completed"
    assert mapi.get("tasks/99999/").status_code == 404


def test_task_detail_expands_the_data_unit_with_files(mapi: Api) -> None:
    task = mapi.get("tasks/2/?expand=data_unit").json()
    unit = task["data_unit"]
    assert unit["id"] == 2 and set(unit["files"]) == {"image", "metadata"}
    image = unit["files"]["image"]
    assert image["url"].startswith(mapi.emu.url) and image["is_primary"] is True
    download = mapi.session.get(image["url"])
    assert download.status_code == 200 and download.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=2", list(range(321, 333))),
        ("id=5", [5]),
        ("id__in=3,1,2", [1, 2, 3]),
        ("id__in=3&id__in=4", [3, 4]),
        ("project=1&id__gt=318", [319, 320]),
        ("project=1&id__gte=318&id__lt=320", [318, 319]),
        ("id__lte=2", [1, 2]),
        ("project=1&status_label=stand_by&id__lte=205", [201, 202, 203, 204, 205]),
        ("status_review=rejected&id__lte=62", [61, 62]),
        ("is_discarded=true", [50, 100, 150, 200, 250, 300]),
        ("tags=1&id__lte=30", [10, 20, 30]),
        ("tags=1,2&id__lte=14", [7, 10, 14]),
        ("tags=4", [321, 322, 323]),
        ("assignments=5,6", [5, 6]),
        ("labelers=5", [321, 322, 323, 324, 325, 326]),
        ("reviewers=4&id__gte=69", [69, 70]),
        ("created__lt=2024-01-01T00:01:43Z", [1, 2]),
        ("created__gte=2024-01-01T00:07:11Z", [331, 332]),
        ("project=1&id__lte=3&whatever=1", [1, 2, 3]),
    ],
)
def test_sdk_task_filters(mapi: Api, query: str, expected: list[int]) -> None:
    assert ids(mapi, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "project=x",
        "id__in=1,a",
        "id__gt=1.5",
        "is_discarded=perhaps",
        "created__gt=yesterday",
        "tags=x",
        "labelers=99999999999999999999999",
    ],
)
def test_bad_filter_values_are_400_naming_the_parameter(mapi: Api, query: str) -> None:
    r = mapi.get(f"sdk/tasks/?{query}")
    assert r.status_code == 400
    assert query.split("=")[0] in r.json()


def test_ordering(mapi: Api) -> None:
    assert ids(mapi, "project=1&ordering=-id")[:3] == [320, 319, 318]
    assert ids(mapi, "id__lte=4&ordering=-status_label,id") == [1, 2, 3, 4]
    assert ids(mapi, "id__in=121,1&ordering=status_label") == [1, 121]
    assert ids(mapi, "id__lte=3&ordering=nonsense") == [1, 2, 3]


def test_fields_narrow_each_row(mapi: Api) -> None:
    rows = mapi.get("sdk/tasks/?project=1&page_size=3&fields=id,data,bogus").json()["results"]
    assert [set(r) for r in rows] == [{"id", "data"}] * 3


def test_expand_in_the_list(mapi: Api) -> None:
    rows = mapi.get("sdk/tasks/?id__in=1,2&expand=data_unit&fields=id,data_unit").json()["results"]
    assert [r["data_unit"]["id"] for r in rows] == [1, 2]
    assert rows[0]["data_unit"]["files"]["image"]["checksum"]


def test_cursor_mode_walks_every_task_once_with_opaque_tokens(mapi: Api) -> None:
    url = "sdk/tasks/?project=1&pagination=cursor&ordering=-id&page_size=100"
    seen: list[int] = []
    pages = 0
    while url:
        body = mapi.get(url).json()
        assert "count" not in body
        seen += [t["id"] for t in body["results"]]
        url = body["next"]
        pages += 1
        if url:
            query = parse_qs(urlparse(url).query)
            assert query["pagination"] == ["cursor"] and query["project"] == ["1"]
            token = query["cursor"][0]
            base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))  # opaque but well-formed
    assert pages == 4
    assert seen == list(range(320, 0, -1))


def test_cursor_previous_link_goes_back(mapi: Api) -> None:
    first = mapi.get("sdk/tasks/?project=1&pagination=cursor&ordering=-id&page_size=10").json()
    assert first["previous"] is None
    second = mapi.get(first["next"]).json()
    assert [t["id"] for t in second["results"]] == list(range(310, 300, -1))
    back = mapi.get(second["previous"]).json()
    assert [t["id"] for t in back["results"]] == [t["id"] for t in first["results"]]
    ascending = mapi.get("sdk/tasks/?project=2&pagination=cursor&ordering=id&page_size=5").json()
    assert [t["id"] for t in ascending["results"]] == [321, 322, 323, 324, 325]


def test_cursor_mode_is_stable_under_inserts(api: Api) -> None:
    first = api.get("sdk/tasks/?project=1&pagination=cursor&ordering=-id&page_size=10").json()
    assert api.post("tasks/", json=[{"project": 1, "data_unit": 3}] * 5).status_code == 201
    second = api.get(first["next"]).json()
    assert [t["id"] for t in second["results"]] == list(range(310, 300, -1))


def test_bad_cursor_is_404(mapi: Api) -> None:
    r = mapi.get("sdk/tasks/?pagination=cursor&cursor=%%%garbage")
    assert r.status_code == 404 and r.json() == {"detail": "Invalid cursor"}


def test_create_tasks_from_a_list(api: Api, emu: Emulator) -> None:
    r = api.post("tasks/", json=[{"project": 2, "data_unit": 20}, {"project": 2, "data_unit": 21}])
    assert r.status_code == 201
    created = r.json()
    assert [t["data_unit"] for t in created] == [20, 21] and set(created[0]) == TASK_FIELDS
    assert created[0]["id"] == 333 and created[0]["status_label"] == "stand_by"
    assert emu.db.scalar("SELECT COUNT(*) FROM tasks WHERE project = 2") == 14


def test_create_tasks_with_project_and_data(api: Api) -> None:
    r = api.post("tasks/", json={"project": 1, "data": [{"data_unit": 5}, {"data_unit": 6}]})
    assert r.status_code == 201
    assert [(t["project"], t["data_unit"]) for t in r.json()] == [(1, 5), (1, 6)]


def test_create_tasks_is_all_or_nothing_and_names_index_and_field(api: Api, emu: Emulator) -> None:
    before = emu.db.count("tasks")
    r = api.post("tasks/", json=[{"project": 1, "data_unit": 1}, {"project": 1, "data_unit": 99999}])
    assert r.status_code == 400
    assert r.json() == {"1.data_unit": ['Invalid pk "99999" - object does not exist.']}
    r = api.post("tasks/", json={"project": 77, "data": [{"data_unit": 1}]})
    assert r.status_code == 400 and "data.0.project" in r.json()
    r = api.post("tasks/", json=[{"project": "x"}, 5])
    assert r.status_code == 400 and set(r.json()) == {"0.project", "0.data_unit", "1"}
    assert api.post("tasks/", json={"data": []}).json() == {"project": ["This field is required."]}
    assert api.post("tasks/", json={"project": 1, "data": {}}).status_code == 400
    assert emu.db.count("tasks") == before


def test_update_task_and_validation(api: Api) -> None:
    r = api.patch(
        "tasks/5/",
        json={
            "status_label": "skipped",
            "meta": {"k": 1},
            "tags": [2, 1, 2],
            "is_discarded": True,
            "data": None,
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status_label"] == "skipped" and body["tags"] == [1, 2] and body["data"] is None
    r = api.patch("tasks/5/", json={"status_label": "bogus", "tags": "x", "is_discarded": "maybe"})
    assert r.status_code == 400 and set(r.json()) == {"status_label", "tags", "is_discarded"}
    assert api.patch("tasks/5/", json={"tags": [999]}).json() == {
        "tags": ['Invalid pk "999" - object does not exist.']
    }
    assert api.patch("tasks/5/", json=[1, 2]).status_code == 400
    assert api.patch("tasks/99999/", json={}).status_code == 404


def test_delete_task(api: Api, emu: Emulator) -> None:
    assert api.delete("tasks/5/").status_code == 204
    assert api.get("tasks/5/").status_code == 404
    assert emu.db.scalar("SELECT COUNT(*) FROM assignments WHERE task = 5") == 0


def test_annotate_task(api: Api) -> None:
    annotation = {
        "annotations": {"image": [{"id": "a1", "tool": "bounding_box", "classification": {"class": "car"}}]},
        "annotationsData": {"image": [{"id": "a1", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    }
    r = api.put("tasks/300/annotate_task_data/", json=annotation)
    assert r.status_code == 200 and r.json()["data"] == annotation
    assert api.get("tasks/300/").json()["data"] == annotation
    assert api.put("tasks/300/annotate_task_data/?schema=dm_schema_v1", json=[1]).status_code == 400
    r = api.put("tasks/300/annotate_task_data/?schema=any", json=[1, 2])
    assert r.status_code == 200 and r.json()["data"] == [1, 2]
    assert api.put("tasks/300/annotate_task_data/?schema=xml", json={}).status_code == 400
    assert api.put("tasks/99999/annotate_task_data/", json={}).status_code == 404
    assert api.post("tasks/300/annotate_task_data/", json={}).status_code == 405


def test_set_tags_add_and_remove(api: Api) -> None:
    r = api.post("tasks/set_tags/", json={"ids": [1, 2], "tags": [3]})
    assert r.status_code == 200 and r.json() == {"ids": [1, 2], "tags": [3], "action": "add"}
    assert api.get("tasks/1/").json()["tags"] == [3]
    r = api.post("tasks/set_tags/", json={"ids": [1], "tags": [3], "action": "remove"})
    assert r.json()["action"] == "remove" and api.get("tasks/1/").json()["tags"] == []
    assert ids(api, "tags=3") == [2]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [1], "tags": [3], "action": "toggle"}, "action"),
        ({"ids": [99999], "tags": [3]}, "ids"),
        ({"ids": [1], "tags": [999]}, "tags"),
        ({"tags": [1]}, "ids"),
        ({"ids": "1", "tags": [1]}, "ids"),
    ],
)
def test_set_tags_errors(api: Api, emu: Emulator, body: dict[str, object], field: str) -> None:
    before = emu.db.fingerprint()
    r = api.post("tasks/set_tags/", json=body)
    assert r.status_code == 400 and field in r.json()
    assert emu.db.fingerprint() == before


def test_tasks_list_route_only_creates(mapi: Api) -> None:
    assert mapi.get("tasks/").status_code == 405
