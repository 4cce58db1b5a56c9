from __future__ import annotations

from typing import Any

import pytest

import synapse.annotations as ann

CONFIGURATION: dict[str, Any] = {
    "classification": {
        "bounding_box": {"classification_schema": [
            {"code": "car", "name": "Car", "color": "#e6194b",
             "attributes": [{"name": "occluded", "type": "radio", "options": ["yes", "no"]}]},
            {"code": "person", "name": "Person", "color": "#3cb44b"}]},
        "polygon": {"classification_schema": [{"code": "road", "color": "#808080"},
                                              {"code": "car", "color": "#000000"}]},
        "keypoint": {"classification_schema": [{"code": "nose"}, {"code": "left_eye"}],
                     "skeleton": [["nose", "left_eye"]]},
    },
    "options": {"allow_empty": False},
}  # fmt: skip


@pytest.fixture
def schema() -> ann.LabelSchema:
    return ann.LabelSchema.from_configuration(CONFIGURATION)


def test_tools_and_classes_keep_the_configuration_order(schema: ann.LabelSchema) -> None:
    assert schema.tool_names == ("bounding_box", "polygon", "keypoint")
    box = schema.tool("bounding_box")
    assert box is not None and box.codes == ("car", "person")
    car = box.get("car")
    assert car is not None and (car.name, car.color) == ("Car", "#e6194b")
    occluded = car.attribute("occluded")
    assert occluded is not None and (occluded.type, occluded.options) == ("radio", ("yes", "no"))
    assert schema.codes() == ("car", "person", "road", "nose", "left_eye")
    assert schema.codes(["polygon"]) == ("road", "car")
    assert schema.tool("segmentation") is None and not schema.allow_empty


def test_names_colours_and_skeleton(schema: ann.LabelSchema) -> None:
    road = schema.get("road")
    assert road is not None and road.name == "road"  # the code when no name is declared
    assert schema.color("car") == "#e6194b" and schema.color("nose") is None
    assert schema.get("car", tool="polygon") == ann.ClassSpec(code="car", name="car", color="#000000")
    assert schema.skeleton() == (("nose", "left_eye"),) and schema.skeleton("polygon") == ()


def test_the_classification_part_alone_and_nothing_at_all() -> None:
    alone = ann.LabelSchema.from_configuration(CONFIGURATION["classification"])
    assert alone.codes() == ("car", "person", "road", "nose", "left_eye")
    assert ann.LabelSchema.from_configuration(None).tools == ()


def test_label_map_configuration_order_then_unconfigured_classes_sorted(schema: ann.LabelSchema) -> None:
    labels = ann.LabelMap.build(schema, seen=["zebra", "car", "apple", "zebra"])
    assert labels.names == ("car", "person", "road", "nose", "left_eye", "apple", "zebra")
    assert labels.index("car") == 0 and labels.index("car", start=1) == 1
    assert labels.index("zebra", start=1) == 7
    assert labels.to_dict(0)[0] == "car"
    assert labels.to_dict(1) == {i + 1: n for i, n in enumerate(labels.names)}
    assert "road" in labels and len(labels) == 7 and list(labels)[:2] == ["car", "person"]


def test_label_map_of_some_tools_and_explicit_labels(schema: ann.LabelSchema) -> None:
    assert ann.LabelMap.build(schema, tools=["polygon"]).names == ("road", "car")
    explicit = ann.LabelMap.build(schema, seen=["zebra"], labels=["person", "car", "person"])
    assert explicit.names == ("person", "car")
    with pytest.raises(KeyError, match="zebra"):
        explicit.index("zebra")
    assert ann.LabelMap.build(None, ["b", "a"]).names == ("a", "b")
    with pytest.raises(ValueError):
        ann.LabelMap(["a", "a"])


def test_label_map_from_documents(schema: ann.LabelSchema) -> None:
    doc = ann.Document.from_objects([
        ann.BoundingBox(label="bus", x=0, y=0, width=1, height=1),
        ann.Polygon(label="lake", points=[(0, 0), (1, 0), (1, 1)]),
    ])  # fmt: skip
    assert ann.LabelMap.from_documents([doc], schema).names[-2:] == ("bus", "lake")
    boxes_only = ann.LabelMap.from_documents([doc], schema, tools=["bounding_box"])
    assert boxes_only.names == ("car", "person", "bus")
