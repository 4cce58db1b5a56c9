from __future__ import annotations

import copy
from typing import Any

import pytest

import synapse.annotations as ann

from .test_dm_v1 import EXAMPLE
from .test_schema import CONFIGURATION


@pytest.fixture
def schema() -> ann.LabelSchema:
    return ann.LabelSchema.from_configuration(CONFIGURATION)


def _messages(raw: Any, schema: ann.LabelSchema | None = None) -> dict[str, list[str]]:
    return ann.problems_by_path(ann.validate(raw, schema))


def test_a_valid_document_has_no_problems(schema: ann.LabelSchema) -> None:
    doc = ann.Document.from_objects(
        [ann.BoundingBox(label="car", x=1, y=1, width=2, height=2, attrs={"occluded": "no"}),
         ann.Polygon(label="road", points=[(0, 0), (5, 0), (5, 5)]),
         ann.Keypoint(label="nose", x=1, y=1),
         ann.Mask(label="car", indices=[0, 99])],
        size=(10, 10),
    )  # fmt: skip
    assert ann.validate(doc) == []
    assert ann.validate(doc.to_dm(1)) == [] and ann.validate(doc.to_dm(2)) == []
    configured = doc.with_objects("image_1", doc.objects("image_1")[:3])  # the schema has no segmentation
    assert ann.validate(configured, schema) == []
    assert ann.validate(None) == []


def test_the_class_must_be_one_the_configuration_declares_for_the_tool(schema: ann.LabelSchema) -> None:
    raw = copy.deepcopy(EXAMPLE)
    meta = {"id": "u", "tool": "bounding_box", "classification": {"class": "unicorn"}}
    raw["annotations"]["image_1"].append(meta)
    box = {"x": 1, "y": 1, "width": 1, "height": 1}
    raw["annotationsData"]["image_1"].append({"id": "u", "coordinate": box})
    assert _messages(raw, schema) == {  # the nose (index 1) is a keypoint class
        "annotations.image_1.0.classification": ["'forklift' is not a class of bounding_box"],
        "annotations.image_1.2.classification": ["'unicorn' is not a class of bounding_box"],
    }
    assert _messages(raw) == {}  # without a schema only the rows are checked


def test_attribute_options_are_checked(schema: ann.LabelSchema) -> None:
    doc = ann.Document.from_objects([ann.BoundingBox(label="car", x=0, y=0, width=1, height=1,
                                                     attrs={"occluded": "maybe", "free": "text"})])
    assert _messages(doc, schema) == {
        "annotations.image_1.0.classification": ["'maybe' is not an option of occluded (yes, no)"]
    }


def test_tools_must_be_known_and_configured(schema: ann.LabelSchema) -> None:
    doc = ann.Document.from_objects([
        ann.RawAnnotation(id="w", tool="wormhole"),
        ann.Polyline(label="lane", points=[(0, 0), (1, 1)]),
        ann.Relation(source="w", target="w"),
    ])  # fmt: skip
    assert _messages(doc, schema) == {
        "annotations.image_1.0.tool": ["unknown tool 'wormhole'"],
        "annotations.image_1.1.tool": ["'polyline' is not a tool of the project's configuration"],
    }


def test_geometry_shape_and_arity(schema: ann.LabelSchema) -> None:
    doc = ann.Document.from_objects(
        [ann.BoundingBox(label="car", x=0, y=0, width=-1, height=2),
         ann.BoundingBox(label="car", x=float("nan"), y=0, width=1, height=2),
         ann.Polygon(label="road", points=[(0, 0), (1, 1)]),
         ann.Mask(indices=[5, 100]),
         ann.Relation(source="a", target="b")],
        size=(10, 10),
    )  # fmt: skip
    assert _messages(doc) == {
        "annotationsData.image_1.0.coordinate": ["width and height must be >= 0"],
        "annotationsData.image_1.1.coordinate": ["coordinates must be finite numbers"],
        "annotationsData.image_1.2.coordinate": ["a polygon has at least 3 points, not 2"],
        "annotationsData.image_1.3.pixel_indices": ["mask indices lie outside the 10x10 image"],
        "annotationsData.image_1.4.annotationId": ["no annotation 'a' in image_1"],
        "annotationsData.image_1.4.targetAnnotationId": ["no annotation 'b' in image_1"],
    }


def test_masks_need_the_image_size_and_runs_come_in_pairs() -> None:
    doc = ann.Document.from_objects([ann.Mask(indices=[1]), ann.Mask(indices=[1, 2, 3], encoding="dm_rle")])
    assert _messages(doc) == {
        "annotationsData.image_1.0.pixel_indices": ["a mask needs the width and height of image_1 in extra"],
        "annotationsData.image_1.1.pixel_indices": ["runs are [start, length, ...] pairs with lengths >= 0"],
    }


def test_rows_must_pair_ids_be_unique_and_groups_hold_existing_members() -> None:
    raw = {
        "annotations": {"image_1": [
            {"id": "a", "tool": "classification", "classification": {"class": "day"}},
            {"id": "a", "tool": "classification", "classification": {"class": "day"}},
            {"id": "lonely", "tool": "classification", "classification": {"class": "day"}},
            {"id": "box", "tool": "bounding_box", "classification": {"class": "car"}},
        ]},
        "annotationsData": {"image_1": [{"id": "a"}, {"id": "a"}, {"id": "box", "coordinate": [1, 2]},
                                        {"id": "stray"}]},
        "annotationGroups": {"image_1": [{"id": "g1", "annotationIds": ["a", "ghost"]},
                                         {"id": "g2", "annotationIds": ["a"]}]},
    }  # fmt: skip
    assert _messages(raw) == {
        "annotations.image_1.1.id": ["duplicate id 'a' in image_1"],
        "annotations.image_1.2.id": ["annotation 'lonely' has no geometry row"],
        "annotationsData.image_1.3": ["the geometry row has not the shape of a bounding_box"],
        "annotationsData.image_1.4.id": ["geometry row 'stray' has no meta row"],
        "annotationGroups.image_1.0.annotationIds": ["no annotation 'ghost' in image_1"],
        "annotationGroups.image_1.1.annotationIds": ["'a' is already in group 'g1'"],
    }


def test_problems_read_as_path_and_message() -> None:
    problem = ann.Problem("annotations.image_1.2.classification", "'unicorn' is not a class of bounding_box")
    assert str(problem) == "annotations.image_1.2.classification: 'unicorn' is not a class of bounding_box"
