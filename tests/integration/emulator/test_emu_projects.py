"""Projects, task tags, authentication, permissions, page envelopes and generic errors."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from emu_http import Api

from synapse.emulator import Emulator


def test_project_detail_has_every_field_of_api_md(mapi: Api) -> None:
    r = mapi.get("projects/1/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "id",
        "title",
        "description",
        "category",
        "data_collection",
        "configuration",
        "settings",
        "is_archived",
        "task_count",
        "created",
    }
    assert body["id"] == 1 and body["data_collection"] == 1 and body["task_count"] == 320
    assert list(body["configuration"]["classification"]) == ["bounding_box", "polygon", "keypoint"]


def test_project_list_is_a_page_envelope(mapi: Api) -> None:
    body = mapi.get("projects/").json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    assert [p["id"] for p in body["results"]] == [1, 2]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("title=Sign%20review", [2]),
        ("category=image", [1, 2]),
        ("is_archived=false", [1, 2]),
        ("is_archived=true", []),
        ("search=road", [1]),
        ("search=SIGN", [2]),
        ("unknown_param=1", [1, 2]),
    ],
)
def test_project_filters(mapi: Api, query: str, ids: list[int]) -> None:
    assert [p["id"] for p in mapi.get(f"projects/?{query}").json()["results"]] == ids


def test_bad_boolean_filter_is_a_400_naming_the_parameter(mapi: Api) -> None:
    r = mapi.get("projects/?is_archived=maybe")
    assert r.status_code == 400 and "is_archived" in r.json()


def test_unknown_project_is_404_with_drf_detail(mapi: Api) -> None:
    r = mapi.get("projects/999/")
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "path", ["projects/abc/", "projects/-1/", "projects/99999999999999999999999/", "projects/1"]
)
def test_malformed_ids_and_missing_slash_are_404(mapi: Api, path: str) -> None:
    r = mapi.get(path)
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


def test_wrong_method_is_405_with_drf_detail_and_allow(mapi: Api) -> None:
    r = mapi.post("projects/", json={"title": "x"})
    assert r.status_code == 405
    assert r.json() == {"detail": 'Method "POST" not allowed.'}
    assert "GET" in r.headers["Allow"]


def test_missing_token_is_401(module_emu: Emulator) -> None:
    r = Api(module_emu, token=None).get("projects/")
    assert r.status_code == 401
    assert r.json() == {"detail": "Authentication credentials were not provided."}


def test_unknown_token_is_401_invalid(module_emu: Emulator) -> None:
    r = Api(module_emu, token="nope").get("projects/1/")
    assert r.status_code == 401 and r.json() == {"detail": "Invalid token."}


def test_token_header_without_credential_is_401(module_emu: Emulator) -> None:
    r = Api(module_emu, token=None).get("projects/", headers={"Synapse-Access-Token": "Token"})
    assert r.status_code == 401 and "No credentials provided" in r.json()["detail"]


def test_user_token_in_authorization_header_with_tenant(module_emu: Emulator) -> None:
    api = Api(module_emu, token="dev-token", header="Authorization")
    r = api.get("projects/1/", headers={"Synapse-Tenant": "Token acme"})
    assert r.status_code == 200


def test_agent_token_authenticates(module_emu: Emulator) -> None:
    api = Api(module_emu, token=module_emu.agent_token, header="SYNAPSE-Agent")
    assert api.get("jobs/").status_code == 200
    assert Api(module_emu, token="not-an-agent", header="SYNAPSE-Agent").get("jobs/").status_code == 401


def test_limited_token_sees_only_its_projects() -> None:
    with Emulator(seed="demo", tokens={"dev-token": "*", "viewer-token": [1]}) as emu:
        viewer = Api(emu, token="viewer-token")
        assert [p["id"] for p in viewer.get("projects/").json()["results"]] == [1]
        assert viewer.get("projects/1/").status_code == 200
        r = viewer.get("projects/2/")
        assert r.status_code == 403
        assert r.json() == {"detail": "You do not have permission to perform this action."}
        assert viewer.get("tasks/321/").status_code == 403
        assert viewer.get("assignments/201/").status_code == 403
        assert viewer.get("task_tags/4/").status_code == 403
        assert viewer.get("sdk/tasks/?project=2").json()["count"] == 0
        assert viewer.get("sdk/tasks/").json()["count"] == 320
        assert viewer.post("tasks/", json=[{"project": 2, "data_unit": 1}]).status_code == 403
        assert viewer.get("projects/999/").status_code == 404
        assert emu.token == "dev-token"


def test_patch_project_updates_and_validates(api: Api) -> None:
    r = api.patch("projects/2/", json={"title": "Renamed", "settings": {"a": 1}, "is_archived": True})
    assert r.status_code == 200
    assert r.json()["title"] == "Renamed" and r.json()["is_archived"] is True
    assert api.get("projects/2/").json()["settings"] == {"a": 1}
    r = api.patch("projects/2/", json={"category": "smell", "title": "", "settings": [1]})
    assert r.status_code == 400
    assert set(r.json()) == {"category", "title", "settings"}
    assert api.patch("projects/2/", json={"data_collection": 77}).json() == {
        "data_collection": ['Invalid pk "77" - object does not exist.']
    }
    assert api.get("projects/2/").json()["title"] == "Renamed"


def test_delete_project_removes_it_and_its_tasks(api: Api, emu: Emulator) -> None:
    assert api.delete("projects/2/").status_code == 204
    assert api.get("projects/2/").status_code == 404
    assert emu.db.scalar("SELECT COUNT(*) FROM tasks WHERE project = 2") == 0
    assert api.delete("projects/2/").status_code == 404


def test_invalid_json_is_a_400_parse_error(api: Api) -> None:
    r = api.patch("projects/1/", data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["detail"].startswith("JSON parse error")


def test_non_json_media_type_is_415(api: Api) -> None:
    r = api.patch("projects/1/", data=b"title=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_task_tags_list_filter_and_detail(mapi: Api) -> None:
    body = mapi.get("task_tags/?project=1").json()
    assert [t["name"] for t in body["results"]] == ["needs-review", "hard", "export-ready"]
    tag = mapi.get("task_tags/3/").json()
    assert set(tag) == {"id", "project", "name", "category", "description", "meta", "created"}
    assert tag["category"] == "export"
    assert mapi.get("task_tags/99/").status_code == 404
    assert mapi.get("task_tags/?project=x").status_code == 400


def test_next_and_previous_are_absolute_and_keep_every_parameter(mapi: Api) -> None:
    first = mapi.get("sdk/tasks/?project=1&page_size=50&status_label=completed&foo=bar").json()
    assert first["count"] == 120 and first["previous"] is None
    nxt = urlparse(first["next"])
    assert f"{nxt.scheme}://{nxt.netloc}/" == mapi.emu.url
    assert parse_qs(nxt.query) == {
        "project": ["1"],
        "page_size": ["50"],
        "status_label": ["completed"],
        "foo": ["bar"],
        "page": ["2"],
    }
    second = mapi.get(first["next"]).json()
    assert second["results"][0]["id"] == 51
    assert parse_qs(urlparse(second["previous"]).query).get("page") is None
    third = mapi.get(second["next"]).json()
    assert third["next"] is None and len(third["results"]) == 20
    assert parse_qs(urlparse(third["previous"]).query)["page"] == ["2"]


def test_links_follow_the_host_the_client_used(module_emu: Emulator, mapi: Api) -> None:
    url = f"http://localhost:{module_emu.port}/sdk/tasks/?page_size=10"
    assert mapi.get(url).json()["next"].startswith(f"http://localhost:{module_emu.port}/")


def test_page_size_is_capped_at_1000(module_emu: Emulator, mapi: Api) -> None:
    body = mapi.get("sdk/tasks/?page_size=5000").json()
    assert len(body["results"]) == 332 and body["next"] is None
    small = Emulator(seed="demo", max_page_size=7)
    with small:
        assert len(Api(small).get("sdk/tasks/?page_size=5000").json()["results"]) == 7


@pytest.mark.parametrize("page", ["0", "99", "abc", "-1"])
def test_invalid_page_is_404(mapi: Api, page: str) -> None:
    r = mapi.get(f"sdk/tasks/?page={page}")
    assert r.status_code == 404 and r.json() == {"detail": "Invalid page."}


def test_head_and_options(mapi: Api) -> None:
    head = mapi.request("HEAD", "projects/1/")
    assert head.status_code == 200 and head.content == b""
    options = mapi.request("OPTIONS", "projects/1/")
    assert options.status_code == 200 and "PATCH" in options.headers["Allow"]
