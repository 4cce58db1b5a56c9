from __future__ import annotations

from typing import Any

import pytest
from attrs import evolve
from hypothesis import given, settings

import synapse.annotations as ann

from .strategies import v1_documents
from .test_dm_v1 import EXAMPLE

V2_EXAMPLE: dict[str, Any] = {
    "classification": {"bounding_box": ["forklift"], "keypoint": ["nose"]},
    "images": [{
        "bounding_box": [{"id": "Fk19aa0b2c", "classification": "forklift",
                          "attrs": [{"name": "rotation", "value": 0.0}, {"name": "loaded", "value": True}],
                          "data": [112.0, 64.5, 210.0, 140.0]}],
        "keypoint": [{"id": "Kp0000aa01", "classification": "nose", "attrs": [], "data": [512, 80],
                      "visibility": 2, "group_id": "Gr00000001"}],
    }],
}  # fmt: skip


def _by_tool(doc: ann.Document) -> dict[str, list[ann.Annotation]]:
    # v2 lists a media's annotations tool by tool; the v1-only fields are cleared
    flags = dict.fromkeys(("is_locked", "is_visible", "is_valid", "is_draw_completed", "labels"))
    return {
        media_id: sorted((evolve(o, **flags) for o in objs), key=lambda o: o.tool)
        for media_id, objs in doc.items()
    }


def test_the_contract_example_is_written_as_v2() -> None:
    out = ann.Document.from_dm(EXAMPLE).to_dm(2, keep_media_ids=False)
    assert out == V2_EXAMPLE


def test_v2_keeps_the_v1_media_ids_and_top_level_keys_beside_it() -> None:
    out = ann.Document.from_dm(EXAMPLE).to_dm(2)
    assert out["media_ids"] == {"images": ["image_1"]}
    assert out["extra"] == EXAMPLE["extra"] and out["assignmentId"] == 9051
    assert out["relations"] == {"image_1": []}


def test_v1_to_v2_to_v1_keeps_everything_but_the_flags() -> None:
    v2 = ann.Document.from_dm(EXAMPLE).to_dm(2)
    back = ann.Document.from_dm(v2).to_dm(1)
    expected = {**EXAMPLE, "annotations": {"image_1": [
        {"id": "Fk19aa0b2c", "tool": "bounding_box",
         "classification": {"class": "forklift", "loaded": True}},
        {"id": "Kp0000aa01", "tool": "keypoint",
         "classification": {"class": "nose", "visibility": "visible"}},
    ]}}  # fmt: skip
    assert back == expected


@settings(max_examples=150, deadline=None)
@given(v1_documents())
def test_every_v1_document_survives_v2_but_for_the_v1_only_fields(raw: dict[str, Any]) -> None:
    doc = ann.Document.from_dm(raw)
    again = ann.Document.from_dm(doc.to_dm(2))
    assert again.media_ids == doc.media_ids and again.extra == doc.extra and again.other == doc.other
    assert again.assignment_id == doc.assignment_id
    assert _by_tool(again) == _by_tool(doc)


def test_v2_without_media_ids_is_numbered_per_media_type_or_named_by_the_caller() -> None:
    v2 = {"images": [{}, {"classification": [{"id": "c", "classification": "cat", "attrs": [], "data": {}}]}],
          "pcds": [{}]}  # fmt: skip
    assert ann.Document.from_dm(v2).media_ids == ("image_1", "image_2", "pcd_1")
    named = ann.Document.from_dm(v2, media_ids=["image_7", "image_9", "pcd_3"])
    assert named.media_ids == ("image_7", "image_9", "pcd_3")
    assert named.objects("image_9") == [ann.Classification(id="c", label="cat")]


def test_v2_items_of_every_typed_tool() -> None:
    objs = [
        ann.BoundingBox(id="b", label="car", x=1, y=2, width=3, height=4, rotation=0.5, attrs={"a": 1}),
        ann.Polygon(id="p", label="road", points=[(0, 0), (4, 0), (4, 4)]),
        ann.Polyline(id="l", label="lane", points=[(0, 0), (4, 4)]),
        ann.Keypoint(id="k", label="nose", x=5, y=6, visibility=1),
        ann.Mask(id="m", label="sky", indices=[0, 3, 2, 1], encoding="dm_rle", width=4, height=4),
        ann.Classification(id="c", label="day"),
        ann.Relation(id="r", source="b", target="k"),
    ]
    out = ann.Document.from_objects(objs, size=(4, 4)).to_dm(2, keep_media_ids=False)
    (entry,) = out["images"]
    rotation_first = [{"name": "rotation", "value": 0.5}, {"name": "a", "value": 1}]
    assert entry["bounding_box"][0]["attrs"] == rotation_first
    assert entry["polygon"][0]["data"] == [[0, 0], [4, 0], [4, 4]]
    assert entry["keypoint"][0] == {"id": "k", "classification": "nose", "attrs": [], "data": [5, 6],
                                    "visibility": 1, "group_id": None}
    assert entry["segmentation"][0]["data"] == [0, 3, 2, 1]
    assert entry["segmentation"][0]["encoding"] == "dm_rle"
    assert entry["classification"][0]["data"] == {}
    assert entry["relation"][0]["data"] == ["b", "k"]
    assert out["classification"]["bounding_box"] == ["car"]
    with_size = ann.Document.from_objects(objs, size=(4, 4)).to_dm(2)
    assert ann.Document.from_dm(with_size).objects("image_1") == objs


def test_an_unchanged_v2_document_is_written_back_verbatim() -> None:
    raw = {**V2_EXAMPLE, "note": "kept"}
    raw["images"][0]["keypoint"][0]["score"] = 0.9
    assert ann.Document.from_dm(raw).to_dm(2) == raw


def test_media_type_of_v1_ids() -> None:
    assert [ann.media_type(m) for m in ("image_3", "pcd_1", "text_2", "audio_1", "prompt_1", "data_4")] == [
        "images", "pcds", "texts", "audios", "prompts", "datas",
    ]  # fmt: skip


def test_v2_lists_that_are_not_objects_raise_format_error() -> None:
    with pytest.raises(ann.FormatError):
        ann.Document.from_dm({"images": [["box"]]})
    with pytest.raises(ann.FormatError):
        ann.Document.from_dm({"images": [{"bounding_box": [1, 2]}]})


def test_v2_items_that_do_not_fit_their_tool_are_kept_raw() -> None:
    doc = ann.Document.from_dm({"images": [{"bounding_box": [{"id": "b", "data": [1, 2], "attrs": [{}]}]}]})
    (box,) = doc.objects("image_1")
    assert isinstance(box, ann.RawAnnotation) and box.tool == "bounding_box"
    assert box.geometry == {"data": [1, 2]}
    written = doc.add("image_1", ann.Classification(id="c")).to_dm(2)
    assert written["images"][0]["bounding_box"][0]["data"] == [1, 2]
