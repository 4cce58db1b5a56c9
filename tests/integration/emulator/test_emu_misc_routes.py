"""Assignments, models, ground truth, storages and agents."""

from __future__ import annotations

import pytest
from emu_http import Api

from synapse.emulator import Emulator


def test_assignment_detail(mapi: Api) -> None:
    body = mapi.get("assignments/3/").json()
    assert set(body) == {
        "id",
        "project",
        "task",
        "user",
        "reviewer",
        "status_label",
        "status_review",
        "is_confirmed",
        "is_discarded",
        "data",
        "tags",
        "created",
    }
    assert (body["task"], body["user"], body["reviewer"]) == (3, 1, 4)
    assert mapi.get("assignments/9999/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("project=2", [201, 202, 203, 204, 205, 206]),
        ("id__in=1,2", [1, 2]),
        ("tasks=4,5", [4, 5]),
        ("users=1&id__lte=10", [3, 6, 9]),
        ("reviewers=4&id__gte=69", [69, 70]),
        ("status_label=stand_by", []),
        ("status_review=rejected&id__lte=62", [61, 62]),
        ("is_confirmed=false&id__lte=122", [121, 122]),
        ("is_discarded=true", [50, 100, 150, 200]),
        ("task_tags=2&id__lte=14", [7, 14]),
        ("created__gt=2024-01-01T00:19:58Z&project=1", [199, 200]),
    ],
)
def test_assignment_filters(mapi: Api, query: str, expected: list[int]) -> None:
    r = mapi.get(f"sdk/assignments/?page_size=1000&{query}")
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["results"]] == expected


def test_assignment_set_tags(api: Api) -> None:
    r = api.post("assignments/set_tags/", json={"ids": [1, 2], "tags": [1, 2]})
    assert r.status_code == 200 and r.json() == {"ids": [1, 2], "tags": [1, 2], "action": "add"}
    assert [a["id"] for a in api.get("sdk/assignments/?tags=2").json()["results"]] == [1, 2]
    api.post("assignments/set_tags/", json={"ids": [2], "tags": [2], "action": "remove"})
    assert api.get("assignments/2/").json()["tags"] == [1]
    assert api.post("assignments/set_tags/", json={"ids": [9999], "tags": [1]}).status_code == 400


def test_models(api: Api, emu: Emulator) -> None:
    base = api.get("models/1/").json()
    assert set(base) == {
        "id",
        "name",
        "plugin",
        "version",
        "checkpoint",
        "configuration",
        "description",
        "file",
        "is_released",
        "created",
    }
    assert api.session.get(base["file"]).content.startswith(b"EMULATED-WEIGHTS")
    weights = b"\x00\x01weights" * 500
    upload = api.upload(weights, chunk=1000, filename="best.pt")
    r = api.post(
        "models/",
        json={
            "name": "tuned",
            "plugin": "yolo-detector",
            "version": "1.0.0",
            "checkpoint": 1,
            "chunked_upload": upload["id"],
            "configuration": {"lr": 0.01},
        },
    )
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["checkpoint"] == 1 and model["file"].endswith("/best.pt")
    assert api.session.get(model["file"]).content == weights
    assert [m["id"] for m in api.get("models/?plugin=yolo-detector").json()["results"]] == [1, model["id"]]
    assert api.get("models/999/").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "m", "chunked_upload": "ffff"}, "chunked_upload"),
        ({"name": "m", "chunked_upload": "UP", "plugin": "ghost"}, "plugin"),
        ({"name": "m", "chunked_upload": "UP", "checkpoint": 77}, "checkpoint"),
        ({"chunked_upload": "UP"}, "name"),
    ],
)
def test_model_errors(api: Api, emu: Emulator, body: dict[str, object], field: str) -> None:
    upload = api.upload(b"w" * 10)
    body = {k: (upload["id"] if v == "UP" else v) for k, v in body.items()}
    before = emu.db.count("models")
    r = api.post("models/", json=body)
    assert r.status_code == 400 and field in r.json()
    assert emu.db.count("models") == before


def test_model_needs_a_complete_upload(api: Api) -> None:
    started = api.upload_chunk(b"abc", 0, 10).json()
    assert api.post("models/", json={"name": "m", "chunked_upload": started["id"]}).json() == {
        "chunked_upload": ["Upload is not complete."]
    }


def test_ground_truth_versions(mapi: Api) -> None:
    body = mapi.get("ground_truth_dataset_versions/").json()
    assert [v["version"] for v in body["results"]] == ["v1.0", "v1.1"]
    version = mapi.get("ground_truth_dataset_versions/1/").json()
    assert set(version) == {"id", "ground_truth_dataset", "version", "description", "is_archived", "created"}
    assert mapi.get("ground_truth_dataset_versions/3/").status_code == 404


def test_ground_truth_events_page_mode_and_filters(mapi: Api) -> None:
    body = mapi.get("sdk/ground_truth_events/?ground_truth_dataset_versions=1&page_size=10").json()
    assert body["count"] == 60 and len(body["results"]) == 10
    assert set(body["results"][0]) == {
        "pgh_id",
        "id",
        "pgh_label",
        "data_unit",
        "category",
        "data",
        "files",
        "classes",
    }
    tests = mapi.get("sdk/ground_truth_events/?ground_truth_dataset_versions=1&category=test").json()
    assert {e["category"] for e in tests["results"]} == {"test"} and tests["count"] == 6
    assert mapi.get("sdk/ground_truth_events/?ground_truth=3").json()["count"] == 2
    assert [e["pgh_id"] for e in mapi.get("sdk/ground_truth_events/?task=5").json()["results"]] == [5, 65]


def test_ground_truth_events_cursor_mode(mapi: Api) -> None:
    url = "sdk/ground_truth_events/?ground_truth_dataset_versions=1&pagination=cursor&ordering=-pgh_id"
    url += "&page_size=25"
    seen = []
    while url:
        body = mapi.get(url).json()
        assert "count" not in body
        seen += [e["pgh_id"] for e in body["results"]]
        url = body["next"]
    assert seen == list(range(60, 0, -1))


def test_storages_hide_configuration_unless_asked(api: Api) -> None:
    listed = api.get("storages/").json()["results"]
    assert all("configuration" not in s for s in listed) and len(listed) == 2
    assert [s["id"] for s in api.get("storages/?category=internal").json()["results"]] == [1]
    assert "configuration" not in api.get("storages/2/").json()
    revealed = api.get("storages/2/?with_configuration=true").json()
    assert revealed["configuration"]["secret_key"] == "emulator-secret-key"
    assert "secret_key" not in api.get("storages/").text
    r = api.post(
        "storages/",
        json={
            "name": "S3",
            "provider": "amazon_s3",
            "category": "external",
            "configuration": {"secret_key": "s"},
        },
    )
    assert r.status_code == 201 and "configuration" not in r.json()
    assert api.post("storages/", json={"name": "x", "provider": "dropbox"}).json() == {
        "provider": ['"dropbox" is not a valid choice.']
    }
    assert api.post("storages/", json={"provider": "gcp", "category": "cloud"}).status_code == 400
    assert api.get("storages/99/").status_code == 404


def test_agents_and_health_check(api: Api, emu: Emulator) -> None:
    agents = api.get("agents/").json()["results"]
    assert agents == [
        {"id": 1, "name": "local-agent", "url": "http://127.0.0.1:9000", "status": "connected"},
        {"id": 2, "name": "gpu-agent", "url": "http://127.0.0.1:9001", "status": "disconnected"},
    ]
    r = Api(emu, token=None).post("agents/demo-agent-token-2/connect/", json={})
    assert r.status_code == 200
    assert set(r.json()) == {"id", "name", "status", "checked_at"} and r.json()["status"] == "connected"
    assert api.get("agents/2/").status_code == 404  # no agent detail route in API.md
    assert api.post("agents/unknown-token/connect/", json={}).status_code == 404
    assert api.get(f"agents/{emu.agent_token}/connect/").status_code == 405
