from __future__ import annotations

import copy
from typing import Any

import pytest
from attrs import evolve
from hypothesis import given, settings, strategies as st

import synapse.annotations as ann

from .strategies import TOOLS, objects, v1_documents

EXAMPLE: dict[str, Any] = {
    "assignmentId": 9051,
    "extra": {"image_1": {"width": 640, "height": 480}},
    "annotations": {"image_1": [
        {"id": "Fk19aa0b2c", "tool": "bounding_box", "isLocked": False, "isVisible": True, "isValid": True,
         "isDrawCompleted": True, "classification": {"class": "forklift", "loaded": True}, "label": []},
        {"id": "Kp0000aa01", "tool": "keypoint",
         "classification": {"class": "nose", "visibility": "visible"}},
    ]},
    "annotationsData": {"image_1": [
        {"id": "Fk19aa0b2c", "coordinate": {"x": 112.0, "y": 64.5, "width": 210.0, "height": 140.0,
                                            "rotation": 0.0}},
        {"id": "Kp0000aa01", "coordinate": {"x": 512, "y": 80}},
    ]},
    "relations": {"image_1": []},
    "annotationGroups": {"image_1": [{"id": "Gr00000001", "annotationIds": ["Kp0000aa01"]}]},
}  # fmt: skip


def test_the_contract_example_reads_as_typed_objects() -> None:
    doc = ann.Document.from_dm(EXAMPLE)
    box, nose = doc.objects("image_1")
    assert box == ann.BoundingBox(
        id="Fk19aa0b2c", label="forklift", attrs={"loaded": True}, x=112.0, y=64.5, width=210.0, height=140.0,
        is_locked=False, is_visible=True, is_valid=True, is_draw_completed=True, labels=[],
    )  # fmt: skip
    assert nose == ann.Keypoint(id="Kp0000aa01", label="nose", x=512, y=80, visibility=2, group="Gr00000001")
    assert doc.media_ids == ("image_1",)
    assert doc.size("image_1") == (640, 480)
    assert doc.assignment_id == 9051
    assert doc.groups("image_1") == {"Gr00000001": ["Kp0000aa01"]}
    assert doc.classes() == ["forklift", "nose"]
    assert len(doc) == 2 and list(doc) == [box, nose]


def test_the_contract_example_is_written_back_exactly() -> None:
    raw = copy.deepcopy(EXAMPLE)
    out = ann.Document.from_dm(raw).to_dm(1)
    assert out == EXAMPLE
    out["annotations"]["image_1"].clear()
    assert ann.Document.from_dm(raw).to_dm(1) == EXAMPLE  # no shared state with the caller


def test_parse_is_from_dm() -> None:
    assert ann.parse(EXAMPLE) == ann.Document.from_dm(EXAMPLE)


@pytest.mark.parametrize("raw", [None, {}])
def test_no_data_is_an_empty_document(raw: Any) -> None:
    doc = ann.Document.from_dm(raw)
    assert len(doc) == 0 and doc.objects() == [] and doc.media_ids == () and not doc
    assert doc.to_dm(1) == {"annotations": {}, "annotationsData": {}}


@settings(max_examples=150, deadline=None)
@given(v1_documents())
def test_every_v1_document_round_trips_exactly(raw: dict[str, Any]) -> None:
    assert ann.Document.from_dm(raw).to_dm(1) == raw


@pytest.mark.parametrize("tool", TOOLS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_each_tool_round_trips_even_when_the_document_changed(tool: str, data: st.DataObject) -> None:
    raw = data.draw(v1_documents(tools=[tool]))
    doc = ann.Document.from_dm(raw)
    media = doc.media_ids[0]
    changed = doc.add(media, ann.Classification(id="NEWxxxxxxx", label="car"))
    out = changed.to_dm(1)
    assert out["annotations"][media][:-1] == raw["annotations"][media]
    assert out["annotations"][media][-1] == {"id": "NEWxxxxxxx", "tool": "classification",
                                             "classification": {"class": "car"}}
    by_id = {row["id"]: row for row in raw["annotationsData"][media]}
    assert out["annotationsData"][media][:-1] == [by_id[row["id"]] for row in raw["annotations"][media]]
    assert ann.Document.from_dm(out).remove(media, "NEWxxxxxxx") == doc


@settings(max_examples=150, deadline=None)
@given(st.lists(objects, max_size=6))
def test_objects_written_and_read_back_are_equal(objs: list[ann.Annotation]) -> None:
    objs = [evolve(o, id=o.id and f"{o.id}{i}") for i, o in enumerate(objs)]  # ids unique per media
    doc = ann.Document.from_objects(objs, size=(10, 10))
    again = ann.Document.from_dm(doc.to_dm(1))
    assert [evolve(o, id=None) for o in again.objects("image_1")] == [evolve(o, id=None) for o in objs]
    assert [o.id for o in again.objects("image_1") if o.id in {x.id for x in objs}] == [
        o.id for o in objs if o.id is not None
    ]


def test_a_changed_object_keeps_the_unknown_keys_of_its_rows() -> None:
    raw = copy.deepcopy(EXAMPLE)
    raw["annotations"]["image_1"][0]["zIndex"] = 3
    raw["annotationsData"]["image_1"][0]["coordinate"]["units"] = "px"
    doc = ann.Document.from_dm(raw)
    box = doc.objects("image_1")[0]
    out = doc.replace("image_1", box.replace(label="truck", x=1, rotation=0.5)).to_dm(1)
    meta, data = out["annotations"]["image_1"][0], out["annotationsData"]["image_1"][0]
    assert meta == {**raw["annotations"]["image_1"][0], "classification": {"class": "truck", "loaded": True}}
    assert data["coordinate"] == {"x": 1, "y": 64.5, "width": 210.0, "height": 140.0, "rotation": 0.5,
                                  "units": "px"}


def test_new_objects_are_written_with_generated_ids_unique_in_their_media() -> None:
    objs = [ann.Classification(label="car"), ann.Classification(label="car"), ann.Classification(id="x")]
    out = ann.Document.from_objects(objs).to_dm(1)
    ids = [row["id"] for row in out["annotations"]["image_1"]]
    assert len(set(ids)) == 3 and ids[2] == "x"
    assert all(len(i) == 10 and i.isalnum() for i in ids[:2])
    assert ann.Document.from_objects(objs).to_dm(1) == out  # deterministic


def test_a_new_box_states_its_rotation_and_a_polygon_gets_vertex_ids() -> None:
    doc = ann.Document.from_objects(
        [ann.BoundingBox(id="b", label="car", x=10, y=20, width=30, height=40, attrs={"occluded": "no"}),
         ann.Polygon(id="p", label="road", points=[(0, 200), (320, 200), (320, 240)])],
        size=(320, 240),
    )  # fmt: skip
    out = doc.to_dm(1)
    assert out["extra"] == {"image_1": {"width": 320, "height": 240}}
    assert out["annotations"]["image_1"][0] == {
        "id": "b", "tool": "bounding_box", "classification": {"class": "car", "occluded": "no"}
    }  # fmt: skip
    assert out["annotationsData"]["image_1"][0]["coordinate"] == {
        "x": 10, "y": 20, "width": 30, "height": 40, "rotation": 0.0
    }  # fmt: skip
    vertices = out["annotationsData"]["image_1"][1]["coordinate"]
    assert [(v["x"], v["y"]) for v in vertices] == [(0, 200), (320, 200), (320, 240)]
    assert len({v["id"] for v in vertices}) == 3


def test_unknown_tools_and_video_masks_are_kept_raw_and_lossless() -> None:
    raw = {
        "annotations": {"pcd_1": [
            {"id": "c1", "tool": "3d_bounding_box", "classification": {"class": "car"}},
            {"id": "s1", "tool": "segmentation", "classification": {"class": "sky"}},
            {"id": "w1", "tool": "wormhole", "classification": None},
        ]},
        "annotationsData": {"pcd_1": [
            {"id": "c1", "psr": {"position": {"x": 1, "y": 2, "z": 3}, "scale": {"x": 1, "y": 1, "z": 1},
                                 "rotation": {"w": 1, "x": 0, "y": 0, "z": 0}}},
            {"id": "s1", "section": {"startFrame": 3, "endFrame": 9}},
            {"id": "w1", "anything": [1, 2]},
        ]},
    }  # fmt: skip
    doc = ann.Document.from_dm(raw)
    cube, clip, odd = doc.objects("pcd_1")
    assert isinstance(cube, ann.RawAnnotation) and cube.tool == "3d_bounding_box" and cube.label == "car"
    assert cube.geometry["psr"]["position"] == {"x": 1, "y": 2, "z": 3}
    assert isinstance(clip, ann.RawAnnotation) and clip.tool == "segmentation"
    assert odd.tool == "wormhole" and odd.label is None
    assert doc.to_dm(1) == raw
    relabelled = doc.replace("pcd_1", cube.replace(label="van")).to_dm(1)
    assert relabelled["annotationsData"] == raw["annotationsData"]
    assert relabelled["annotations"]["pcd_1"][0]["classification"] == {"class": "van"}


def test_unpaired_and_malformed_rows_are_kept() -> None:
    raw = {
        "annotations": {"image_1": [
            {"id": "a", "tool": "bounding_box", "classification": {"class": "car"}},
            {"id": "b", "tool": "bounding_box", "classification": {"class": "car"}},
        ]},
        "annotationsData": {"image_1": [
            {"id": "orphan", "coordinate": {"x": 1, "y": 1}},
            {"id": "b", "coordinate": {"x": "wide"}},
        ]},
    }  # fmt: skip
    doc = ann.Document.from_dm(raw)
    a, b, orphan = doc.objects("image_1")
    assert all(isinstance(o, ann.RawAnnotation) for o in (a, b, orphan))
    assert (a.tool, b.tool, orphan.tool, orphan.id) == ("bounding_box", "bounding_box", "", "orphan")
    assert doc.to_dm(1) == raw


def test_media_are_in_natural_order() -> None:
    raw = {"annotations": {m: [] for m in ["image_10", "image_2", "image_1", "pcd_1"]},
           "extra": {"image_3": {"width": 1, "height": 1}}}  # fmt: skip
    doc = ann.Document.from_dm(raw)
    assert doc.media_ids == ("image_1", "image_2", "image_3", "image_10", "pcd_1")
    assert ann.natural_key("image_2") < ann.natural_key("image_10")


def test_objects_without_a_media_id_come_media_by_media() -> None:
    a, b, c = (ann.Classification(id=i, label="car") for i in "abc")
    doc = ann.Document(media={"image_10": [c], "image_2": [b], "image_1": [a]})
    assert doc.objects() == [a, b, c] and list(doc) == [a, b, c]
    assert [m for m, _ in doc.items()] == ["image_1", "image_2", "image_10"]
    assert doc.objects("image_99") == []


def test_document_helpers_return_changed_copies() -> None:
    doc = ann.Document.from_dm(EXAMPLE)
    box = doc.get("Fk19aa0b2c")
    assert isinstance(box, ann.BoundingBox)
    moved = doc.replace("image_1", box.replace(x=0))
    assert doc.get("Fk19aa0b2c") == box and moved.get("Fk19aa0b2c", "image_1") == box.replace(x=0)
    assert len(doc.remove("image_1", "Fk19aa0b2c")) == 1
    assert doc.with_size("image_1", 10, 20).size("image_1") == (10, 20)
    with pytest.raises(KeyError):
        doc.replace("image_1", ann.Classification(id="nope"))


def test_groups_follow_the_objects() -> None:
    doc = ann.Document.from_dm(EXAMPLE)
    nose = doc.get("Kp0000aa01")
    assert nose is not None
    eye = ann.Keypoint(id="Kp0000aa02", label="left_eye", x=1, y=2, group="Gr00000001")
    out = doc.add("image_1", eye).to_dm(1)
    assert out["annotationGroups"] == {"image_1": [{"id": "Gr00000001", "annotationIds": ["Kp0000aa01",
                                                                                         "Kp0000aa02"]}]}
    fresh = ann.Document.from_objects([eye]).to_dm(1)
    assert fresh["annotationGroups"] == {"image_1": [{"id": "Gr00000001", "annotationIds": ["Kp0000aa02"]}]}


@pytest.mark.parametrize("raw", [{"annotations": []}, {"annotations": {"image_1": ["box"]}}, [1, 2]])
def test_documents_that_cannot_be_read_raise_format_error(raw: Any) -> None:
    with pytest.raises(ann.FormatError):
        ann.Document.from_dm(raw)


def test_an_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="1 or 2"):
        ann.Document().to_dm(3)  # type: ignore[arg-type]
