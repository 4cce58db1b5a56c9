"""The demo seed: real 320x240 street-scene PNGs, DM v1 annotations of what they show, a §2 label schema."""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

import requests
from emu_http import Api

from synapse.emulator.dm_schema import check_dm_v1
from synapse.emulator.scenes import street_scene

EVENTS = "sdk/ground_truth_events/?ground_truth_dataset_versions=1&page_size=100"


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """``(width, height, rows)`` of an 8-bit RGB PNG (any filter type), with the standard library only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        header, idat = (body, idat) if kind == b"IHDR" else (header, idat + body if kind == b"IDAT" else idat)
        pos += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", header[:10])
    assert (depth, color_type) == (8, 2), "8-bit RGB"
    raw, stride, rows = zlib.decompress(idat), 3 * width, []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride if kind else 0):  # filter 0 (none): the bytes as they are
            a = line[i - 3] if i >= 3 else 0
            b, c = previous[i], previous[i - 3] if i >= 3 else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            predictor = [0, a, b, (a + b) // 2, a if pa <= pb and pa <= pc else b if pb <= pc else c][kind]
            line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def pixel(rows: list[bytes], x: float, y: float) -> tuple[int, int, int]:
    row, i = rows[int(y)], 3 * int(x)
    return row[i], row[i + 1], row[i + 2]


def spread(color: tuple[int, int, int]) -> int:
    return max(color) - min(color)


def units(api: Api) -> list[dict[str, Any]]:
    body = api.get("data_units/?data_collection=1&page_size=500").json()
    assert body["count"] == 320
    return list(body["results"])


def test_every_unit_has_its_own_320x240_png(mapi: Api) -> None:
    checksums = set()
    for unit in units(mapi):
        image = unit["files"]["image"]
        content = requests.get(image["url"], timeout=10).content
        assert content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) == image["size"]
        assert struct.unpack(">II", content[16:24]) == (320, 240), unit["id"]
        assert hashlib.md5(content).hexdigest() == image["checksum"] == unit["checksum"]
        checksums.add(image["checksum"])
    assert len(checksums) == 320


def test_the_scenes_are_a_pure_function_of_the_unit(mapi: Api) -> None:
    for unit in (1, 7, 320):
        url = mapi.get(f"data_units/{unit}/").json()["files"]["image"]["url"]
        served = requests.get(url, timeout=10).content
        assert street_scene.__wrapped__(unit).png == served  # recomputed, not cached: the same bytes


def test_the_annotated_shapes_are_drawn_in_the_image(mapi: Api) -> None:
    tasks = mapi.get("sdk/tasks/?project=1&status_label=completed&page_size=200&expand=data_unit").json()
    assert tasks["count"] == 120
    seen: set[str] = set()
    for task in tasks["results"][::3]:
        content = requests.get(task["data_unit"]["files"]["image"]["url"], timeout=10).content
        width, height, rows = decode_png(content)
        assert (width, height) == (320, 240) == tuple(task["data"]["extra"]["image"].values())
        assert len({row[i : i + 3] for row in rows[::8] for i in range(0, 960, 24)}) >= 12  # not a flat fill
        metas = {m["id"]: m for m in task["data"]["annotations"]["image"]}
        for geometry in task["data"]["annotationsData"]["image"]:
            label = metas[geometry["id"]]["classification"]["class"]
            seen.add(label)
            box = geometry["coordinate"]
            if label == "car":  # a painted body at the box's centre, not the grey road under it
                assert spread(pixel(rows, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)) > 60
            elif label == "road":  # the road's near edge is grey asphalt (or a lane dash)
                (x0, _), (x1, _) = (box[0]["x"], box[0]["y"]), (box[-1]["x"], box[-1]["y"])
                assert spread(pixel(rows, (x0 + x1) / 2 - 20, 237)) < 16
            elif label == "person":  # a head of skin at the top centre of the box
                assert pixel(rows, box["x"] + box["width"] / 2, box["y"] + 2) == (224, 180, 146)
    assert {"car", "road", "person", "bicycle", "traffic_sign", "head", "left_foot"} <= seen


def test_project_configurations_are_label_schemas(mapi: Api) -> None:
    config = mapi.get("projects/1/").json()["configuration"]
    tools = config["classification"]
    assert list(tools) == ["bounding_box", "polygon", "keypoint"]
    assert [c["code"] for c in tools["bounding_box"]["classification_schema"]] == [
        "car", "person", "bicycle", "traffic_sign"
    ]
    classes = [c for tool in tools.values() for c in tool["classification_schema"]]
    assert all(c["color"].startswith("#") and c["name"] for c in classes)
    car = tools["bounding_box"]["classification_schema"][0]
    assert car["attributes"] == [{"name": "occluded", "type": "radio", "options": ["yes", "no"]}]
    keypoints = [c["code"] for c in tools["keypoint"]["classification_schema"]]
    assert {name for edge in tools["keypoint"]["skeleton"] for name in edge} <= set(keypoints)
    signs = mapi.get("projects/2/").json()["configuration"]["classification"]
    codes = [c["code"] for c in signs["classification"]["classification_schema"]]
    assert codes == ["stop", "yield", "speed_limit"]


def test_seeded_task_data_is_dm_v1_with_groups_and_assignment(mapi: Api) -> None:
    data = mapi.get("tasks/6/").json()["data"]
    assert data["assignmentId"] == 6 and set(data["relations"]) == {"image"}
    tools = {m["tool"] for m in data["annotations"]["image"]}
    assert tools == {"bounding_box", "polygon", "keypoint"}
    (group,) = data["annotationGroups"]["image"]
    members = [m for m in data["annotations"]["image"] if m["id"] in group["annotationIds"]]
    assert sorted(m["tool"] for m in members) == ["bounding_box"] + ["keypoint"] * 6
    assert mapi.get("assignments/6/").json()["data"] == data
    assert mapi.get("tasks/121/").json()["data"] is None


def test_ground_truth_events_are_dm_v1_split_three_ways_with_file_urls(mapi: Api) -> None:
    config = mapi.get("projects/1/").json()["configuration"]
    events = mapi.get(EVENTS).json()["results"]
    assert len(events) == 60
    counts = {c: sum(e["category"] == c for e in events) for c in ("train", "validation", "test")}
    assert counts == {"train": 42, "validation": 12, "test": 6}
    for event in events:
        assert check_dm_v1(event["data"], config) == {}, event["pgh_id"]
        metas = event["data"]["annotations"]["image"]
        assert event["classes"] == sorted({m["classification"]["class"] for m in metas})
        image = event["files"]["image"]
        unit = mapi.get(f"data_units/{event['data_unit']}/").json()
        assert image["checksum"] == unit["files"]["image"]["checksum"] and image["url"].startswith("http")
    content = requests.get(events[0]["files"]["image"]["url"], timeout=10).content
    assert hashlib.md5(content).hexdigest() == events[0]["files"]["image"]["checksum"]
    again = mapi.get(EVENTS).json()["results"]
    assert [e["category"] for e in again] == [e["category"] for e in events]  # a stable split
