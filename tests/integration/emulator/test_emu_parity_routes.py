"""Routes of the v1 backend the emulator gained (issue 13, item 7), each with its 4xx answers."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from emu_http import Api

from synapse.emulator import Emulator

DEMO_JOB = "00000000-0000-4000-8000-000000000001"
LOG = {"job": DEMO_JOB, "event": "epoch", "data": {"loss": 0.5}, "datetime": "2024-05-01T12:00:00+02:00"}


# -- sdk/tasks/data/, sdk/assignments/data/ ------------------------------------------------
def test_task_data_rows_have_id_and_data_only(mapi: Api) -> None:
    body = mapi.get("sdk/tasks/data/?project=2&page_size=5").json()
    assert body["count"] == 12 and body["previous"] is None
    assert [row["id"] for row in body["results"]] == [321, 322, 323, 324, 325]
    assert all(set(row) == {"id", "data"} for row in body["results"])
    full = mapi.get("sdk/tasks/?project=1&id__lte=3").json()["results"]
    rows = mapi.get("sdk/tasks/data/?project=1&id__lte=3").json()["results"]
    assert rows == [{"id": t["id"], "data": t["data"]} for t in full]
    follow = mapi.get(body["next"]).json()
    assert [row["id"] for row in follow["results"]] == [326, 327, 328, 329, 330]


def test_task_data_rows_take_the_list_filters_and_cursor_mode(mapi: Api) -> None:
    tagged = mapi.get("sdk/tasks/data/?tags=4&ordering=-id").json()
    assert [row["id"] for row in tagged["results"]] == [323, 322, 321]
    first = mapi.get("sdk/tasks/data/?pagination=cursor&project=2&page_size=4").json()
    assert "count" not in first and [row["id"] for row in first["results"]] == [332, 331, 330, 329]
    second = mapi.get(first["next"]).json()
    assert [row["id"] for row in second["results"]] == [328, 327, 326, 325]


@pytest.mark.parametrize("path", ["sdk/tasks/data/", "sdk/tasks/files/", "sdk/assignments/data/"])
def test_row_views_answer_4xx(mapi: Api, module_emu: Emulator, path: str) -> None:
    assert mapi.get(f"{path}?id=abc").json() == {"id": ["Enter a whole number."]}
    assert mapi.get(f"{path}?created__gt=yesterday").status_code == 400
    assert mapi.get(f"{path}?page=99").json() == {"detail": "Invalid page."}
    assert Api(module_emu, token=None).get(path).status_code == 401
    assert Api(module_emu, token="wrong").get(path).status_code == 401
    assert mapi.post(path, json={}).status_code == 405


def test_row_views_keep_to_the_tokens_projects() -> None:
    with Emulator(seed="demo", tokens={"admin": "*", "reviewer": [2]}) as emu:
        reviewer = Api(emu, token="reviewer")
        tasks = reviewer.get("sdk/tasks/data/?page_size=1000").json()["results"]
        assert {row["id"] for row in tasks} == set(range(321, 333))
        files = reviewer.get("sdk/tasks/files/?page_size=1000").json()
        assert files["count"] == 12
        assignments = reviewer.get("sdk/assignments/data/?page_size=1000").json()["results"]
        assert [row["id"] for row in assignments] == [201, 202, 203, 204, 205, 206]


def test_assignment_data_rows(mapi: Api) -> None:
    body = mapi.get("sdk/assignments/data/?tasks=4,5").json()
    assert body["count"] == 2
    full = {a["id"]: a["data"] for a in mapi.get("sdk/assignments/?tasks=4,5").json()["results"]}
    assert body["results"] == [{"id": pk, "data": data} for pk, data in full.items()]
    assert body["results"][0]["data"] is not None
    assert mapi.get("sdk/assignments/data/?is_confirmed=maybe").status_code == 400
    discarded = mapi.get("sdk/assignments/data/?is_discarded=true").json()["results"]
    assert [row["id"] for row in discarded] == [50, 100, 150, 200]


# -- sdk/tasks/files/ ------------------------------------------------------------------------
def test_task_file_rows_list_the_units_files(mapi: Api) -> None:
    body = mapi.get("sdk/tasks/files/?project=2&page_size=2").json()
    assert body["count"] == 12
    row = body["results"][0]
    assert set(row) == {"id", "data_unit", "files"} and (row["id"], row["data_unit"]) == (321, 1)
    assert isinstance(row["files"], list)
    unit = mapi.get("data_units/1/").json()
    assert [f["specification"] for f in row["files"]] == list(unit["files"])
    for entry in row["files"]:
        assert set(entry) == {"specification", "checksum", "url", "file_type", "is_primary", "size"}
        expected = unit["files"][entry["specification"]]
        assert entry["checksum"] == expected["checksum"] and entry["size"] == expected["size"]
        assert entry["is_primary"] is expected["is_primary"]
    image = next(f for f in row["files"] if f["is_primary"])
    content = requests.get(image["url"], timeout=10).content  # a download link needs no credential
    assert content.startswith(b"\x89PNG") and len(content) == image["size"]


# -- logs/ -----------------------------------------------------------------------------------
def test_create_one_log_entry(api: Api, emu: Emulator) -> None:
    r = api.post("logs/", json={**LOG, "step": "train", "level": "success"})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert set(entry) == {"id", "job", "event", "data", "datetime", "step", "level", "file", "created"}
    assert (entry["job"], entry["event"], entry["data"]) == (DEMO_JOB, "epoch", {"loss": 0.5})
    assert entry["datetime"] == "2024-05-01T10:00:00.000000Z"
    assert (entry["step"], entry["level"], entry["file"]) == ("train", "success", None)
    assert emu.db.count("log_entries") == 1


def test_create_log_entries_from_a_list(api: Api, emu: Emulator) -> None:
    items = [
        LOG,
        {**LOG, "event": "image", "step": 3, "file": "data:image/png;base64,iVBORw0KGgo="},
    ]
    r = api.post("logs/", json=items)
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body, list) and [e["event"] for e in body] == ["epoch", "image"]
    assert body[1]["step"] == 3 and body[1]["file"].startswith("data:image/png;base64,")
    assert body[0]["level"] is None
    assert emu.db.count("log_entries") == 2


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({**LOG, "job": "ghost"}, {"job": ['Invalid pk "ghost" - object does not exist.']}),
        ({k: v for k, v in LOG.items() if k != "job"}, {"job": ["This field is required."]}),
        ({**LOG, "event": ""}, {"event": ["This field may not be blank."]}),
        ({**LOG, "data": [1]}, {"data": ['Expected a dictionary of items but got type "list".']}),
        ({**LOG, "datetime": "yesterday"}, {"datetime": None}),
        ({**LOG, "level": "loud"}, {"level": ['"loud" is not a valid choice.']}),
        ({**LOG, "file": "/etc/passwd"}, {"file": None}),
        ({**LOG, "step": {"n": 1}}, {"step": ["Not a valid string."]}),
        ([LOG, {**LOG, "datetime": 5}], {"1.datetime": None}),
        ([LOG, {**LOG, "job": "ghost"}], {"1.job": ['Invalid pk "ghost" - object does not exist.']}),
        ([LOG, "entry"], {"1.non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ([], {"non_field_errors": ["This list may not be empty."]}),
        ("entry", {"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
    ],
)
def test_log_entries_are_checked(api: Api, emu: Emulator, body: Any, errors: dict[str, Any]) -> None:
    r = api.post("logs/", json=body)
    assert r.status_code == 400
    answer = r.json()
    assert set(answer) == set(errors)
    for field, messages in errors.items():
        if messages is not None:
            assert answer[field] == messages
    assert emu.db.count("log_entries") == 0  # all or nothing


def test_log_route_refuses_other_methods_and_anonymous_callers(mapi: Api, module_emu: Emulator) -> None:
    assert mapi.get("logs/").status_code == 405
    assert Api(module_emu, token=None).post("logs/", json=LOG).status_code == 401


# -- serve_applications/ -----------------------------------------------------------------------
def test_serve_applications_create_and_filter(api: Api) -> None:
    r = api.post("serve_applications/", json={"job": DEMO_JOB, "data": {"route": "/predict"}})
    assert r.status_code == 201, r.text
    entry = r.json()
    assert set(entry) == {"id", "job", "plugin_code", "agent", "status", "data", "created"}
    assert (entry["job"], entry["plugin_code"], entry["agent"]) == (DEMO_JOB, "yolo-detector", 1)
    assert (entry["status"], entry["data"]) == ("DEPLOYING", {"route": "/predict"})
    running = api.post("serve_applications/", json={"job": DEMO_JOB, "status": "running"}).json()
    assert running["status"] == "RUNNING"

    def ids(query: str) -> list[int]:
        return [e["id"] for e in api.get(f"serve_applications/?{query}").json()["results"]]

    assert ids("") == [entry["id"], running["id"]]
    assert ids("status=RUNNING") == [running["id"]]
    assert ids("status=deploying,running") == [entry["id"], running["id"]]
    assert ids("plugin_code=yolo-detector&job__agent=1") == [entry["id"], running["id"]]
    assert ids("plugin_code=coco-export") == []
    assert ids("job__agent=2") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "job"),
        ({"job": "ghost"}, "job"),
        ({"job": True}, "job"),
        ({"job": DEMO_JOB, "status": "FLYING"}, "status"),
        ({"job": DEMO_JOB, "data": "x"}, "data"),
    ],
)
def test_serve_application_errors(api: Api, emu: Emulator, body: dict[str, Any], field: str) -> None:
    r = api.post("serve_applications/", json=body)
    assert r.status_code == 400 and field in r.json()
    assert emu.db.count("serve_applications") == 0


def test_serve_application_list_errors(mapi: Api, module_emu: Emulator) -> None:
    assert mapi.get("serve_applications/?job__agent=one").json() == {"job__agent": ["Enter a whole number."]}
    assert Api(module_emu, token=None).get("serve_applications/").status_code == 401
    assert mapi.delete("serve_applications/").status_code == 405


# -- ground_truths/ ----------------------------------------------------------------------------
def test_ground_truths_of_a_dataset_and_of_a_version(mapi: Api) -> None:
    body = mapi.get("ground_truths/?ground_truth_dataset=1&page_size=1000").json()
    assert body["count"] == 60 and [g["id"] for g in body["results"]] == list(range(1, 61))
    row = body["results"][0]
    assert set(row) == {"id", "ground_truth_dataset", "data_unit", "category", "data", "files"}
    assert (row["ground_truth_dataset"], row["data_unit"]) == (1, 1)
    assert mapi.get("ground_truths/?ground_truth_dataset_versions=2").json()["count"] == 20
    assert mapi.get("ground_truths/?ground_truth_dataset_versions=1").json()["count"] == 60
    assert mapi.get("ground_truths/?ground_truth_dataset=2").json()["count"] == 0
    image = row["files"]["image"]
    assert requests.get(image["url"], timeout=10).content.startswith(b"\x89PNG")


def test_a_ground_truth_is_its_latest_event(api: Api, emu: Emulator) -> None:
    with emu.db.write() as db:
        db.execute(
            "INSERT INTO ground_truth_events (id, version, pgh_label, data_unit, category, data, files) "
            "VALUES (2, 2, 'ground_truth.update', 2, 'test', '{\"v\": 2}', '{}')"
        )
        db.execute(
            "INSERT INTO ground_truth_events (id, version, pgh_label, data_unit, category, data, files) "
            "VALUES (3, 2, 'ground_truth.remove', 3, 'test', NULL, '{}')"
        )
    latest = {g["id"]: g for g in api.get("ground_truths/?page_size=1000").json()["results"]}
    assert latest[2]["category"] == "test" and latest[2]["data"] == {"v": 2}
    assert 3 not in latest and len(latest) == 59
    rows = api.get("ground_truths/?ground_truth_dataset_versions=1").json()["results"]
    version_1 = {g["id"]: g for g in rows}
    assert version_1[2]["category"] != "test" and 3 in version_1


def test_ground_truth_errors(mapi: Api, module_emu: Emulator) -> None:
    assert mapi.get("ground_truths/?ground_truth_dataset=x").json() == {
        "ground_truth_dataset": ["Enter a whole number."]
    }
    assert mapi.get("ground_truths/?ground_truth_dataset_versions=1.5").status_code == 400
    assert mapi.get("ground_truths/?page=9").status_code == 404
    assert Api(module_emu, token=None).get("ground_truths/").status_code == 401
    assert mapi.post("ground_truths/", json={}).status_code == 405
