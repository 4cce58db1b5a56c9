"""Shapes the original client sends or expects (issue 13, item 8)."""

from __future__ import annotations

import json

import pytest
import requests
from emu_http import Api

from synapse.emulator import Emulator

DEMO_JOB = "00000000-0000-4000-8000-000000000001"


def _lines(api: Api, job: str = DEMO_JOB) -> list[str]:
    return list(api.get(f"jobs/{job}/console_logs/").json())


def test_console_logs_take_one_entry_or_a_list_appended(api: Api) -> None:
    before = _lines(api)
    assert api.patch(f"jobs/{DEMO_JOB}/", json={"console_logs": "plain line"}).status_code == 200
    one = {"message": "from an object", "level": "info", "datetime": "2024-01-01T00:00:00Z"}
    assert api.patch(f"jobs/{DEMO_JOB}/", json={"console_logs": one}).status_code == 200
    mixed = [{"message": "first", "level": "warning"}, "second", {"message": "third"}]
    assert api.patch(f"jobs/{DEMO_JOB}/", json={"console_logs": mixed}).status_code == 200
    assert _lines(api) == [*before, "plain line", "from an object", "first", "second", "third"]


@pytest.mark.parametrize("value", [{"level": "info"}, [{"message": 5}], 12, [["nested"]]])
def test_console_log_entries_need_a_message(api: Api, value: object) -> None:
    before = _lines(api)
    r = api.patch(f"jobs/{DEMO_JOB}/", json={"console_logs": value})
    assert r.status_code == 400 and set(r.json()) == {"console_logs"}
    assert _lines(api) == before


def test_a_model_without_a_file(api: Api) -> None:
    r = api.post("models/", json={"name": "no-weights", "plugin": "yolo-detector", "version": "1.0.0"})
    assert r.status_code == 201, r.text
    model = r.json()
    assert model["file"] is None and model["name"] == "no-weights"
    assert api.get(f"models/{model['id']}/").json() == model
    explicit = api.post("models/", json={"name": "none-either", "chunked_upload": None})
    assert explicit.status_code == 201 and explicit.json()["file"] is None


def test_ground_truth_event_files_carry_a_url(mapi: Api) -> None:
    query = "ground_truth_dataset_versions=1&page_size=3"
    events = mapi.get(f"sdk/ground_truth_events/?{query}").json()["results"]
    for event in events:
        unit = mapi.get(f"data_units/{event['data_unit']}/").json()
        for name, entry in event["files"].items():
            assert entry["url"] == unit["files"][name]["url"]
            assert entry["checksum"] == unit["files"][name]["checksum"]
            assert {"file_type", "is_primary"} <= set(entry)
            assert requests.get(entry["url"], timeout=10).status_code == 200


def test_event_files_without_a_stored_url_get_one_from_their_checksum(api: Api, emu: Emulator) -> None:
    checksum = api.get("data_units/5/").json()["files"]["image"]["checksum"]
    with emu.db.write() as db:
        db.execute(
            "INSERT INTO ground_truth_events (id, version, pgh_label, data_unit, category, data, files) "
            "VALUES (99, 2, 'ground_truth.add', NULL, 'test', NULL, ?)",
            (json.dumps({"image": {"checksum": checksum}}),),
        )
    event = api.get("sdk/ground_truth_events/?ground_truth=99").json()["results"][0]
    assert requests.get(event["files"]["image"]["url"], timeout=10).content.startswith(b"\x89PNG")


def test_release_expand_plugin_answers_the_plugin_object(mapi: Api) -> None:
    plain = mapi.get("plugin_releases/1/").json()
    assert plain["plugin"] == "yolo-detector"
    expanded = mapi.get("plugin_releases/1/?expand=plugin").json()
    plugin = mapi.get("plugins/1/").json()
    assert expanded["plugin"] == plugin and expanded["plugin"]["code"] == "yolo-detector"
    assert {k: v for k, v in expanded.items() if k != "plugin"} == {
        k: v for k, v in plain.items() if k != "plugin"
    }
    assert mapi.get("plugin_releases/yolo-detector@1.0.0/?expand=plugin").json() == expanded
    listed = mapi.get("plugin_releases/?plugin=yolo-detector&expand=plugin").json()["results"]
    assert listed == [expanded]


def test_release_archive_has_a_download_url(api: Api) -> None:
    r = api.post(
        "plugin_releases/",
        files={"file": ("coco export.zip", b"PK\x03\x04archive")},
        data={"plugin": "coco-export", "version": "0.2.0"},
    )
    assert r.status_code == 201, r.text
    url = r.json()["file"]
    assert url.endswith("/coco_export.zip")
    download = requests.get(url, timeout=10)
    assert download.content == b"PK\x03\x04archive"
    assert api.get("plugin_releases/coco-export@0.2.0/").json()["file"] == url


def test_tail_log_events_carry_the_line_under_data(mapi: Api) -> None:
    with mapi.session.get(mapi.url(f"jobs/{DEMO_JOB}/tail_console_logs/"), stream=True, timeout=30) as r:
        lines = [line for line in r.iter_lines(decode_unicode=True) if line.startswith("data: ")]
    events = [json.loads(line[len("data: ") :]) for line in lines]
    logs = [e for e in events if e["type"] == "log"]
    assert logs and all("message" not in e for e in logs)
    nested = [e["data"] for e in logs]
    assert all(n.startswith("data: ") for n in nested)
    inner = [json.loads(n[len("data: ") :]) for n in nested]
    assert inner[0] == {"type": "log", "message": "Starting action 'train'"}
    assert [i["message"] for i in inner] == _lines(mapi)
    assert events[-1] == {"type": "complete", "status": "SUCCEEDED"}


def test_put_plugin_takes_a_partial_body(api: Api) -> None:
    before = api.get("plugins/2/").json()
    r = api.put("plugins/2/", json={"description": "Only this changes"})
    assert r.status_code == 200
    assert r.json() == {**before, "description": "Only this changes"}
    assert api.put("plugins/2/", json={"category": "magic"}).status_code == 400
