"""``PUT tasks/{id}/annotate_task_data/``: DM v1 checked against the project's labels (ANNOTATIONS §1-2)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from emu_http import Api

from synapse.emulator import Emulator
from synapse.emulator.dm_schema import check_dm_v1
from synapse.emulator.seed import PROJECT_CONFIGURATION

ANNOTATE = "tasks/300/annotate_task_data/"  # project 1, no annotation yet


def meta(ident: str, tool: str, cls: str | None, **attrs: Any) -> dict[str, Any]:
    classification = None if cls is None else {"class": cls, **attrs}
    return {"id": ident, "tool": tool, "isLocked": False, "isVisible": True, "classification": classification}


def valid_document() -> dict[str, Any]:
    """A document using every tool of the demo project: box, polygon, grouped keypoints."""
    return {
        "extra": {"image": {"width": 320, "height": 240}},
        "annotations": {
            "image": [
                meta("b1", "bounding_box", "car", occluded="no"),
                meta("r1", "polygon", "road"),
                meta("k1", "keypoint", "head", visibility="visible"),
                meta("k2", "keypoint", "neck", visibility=2),
            ]
        },
        "annotationsData": {
            "image": [
                {"id": "b1", "coordinate": {"x": 10, "y": 20, "width": 30.5, "height": 40, "rotation": 0.1}},
                {"id": "r1", "coordinate": [{"x": 0, "y": 240}, {"x": 160, "y": 100}, {"x": 320, "y": 240}]},
                {"id": "k1", "coordinate": {"x": 50, "y": 60}},
                {"id": "k2", "coordinate": {"x": 50, "y": 70}},
            ]
        },
        "relations": {"image": []},
        "annotationGroups": {"image": [{"id": "g1", "annotationIds": ["k1", "k2"]}]},
    }


def test_a_valid_document_is_stored_as_sent(api: Api) -> None:
    document = valid_document()
    r = api.put(ANNOTATE, json=document)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == document and api.get("tasks/300/").json()["data"] == document


@pytest.mark.parametrize("envelope", [{"action": "save"}, {"action": "submit"}, {}])
def test_the_envelope_is_accepted_and_its_data_stored(api: Api, envelope: dict[str, Any]) -> None:
    document = valid_document()
    r = api.put(ANNOTATE, json={**envelope, "data": document})
    assert r.status_code == 200, r.text
    assert api.get("tasks/300/").json()["data"] == document


def test_the_envelope_data_is_validated_and_its_action_checked(api: Api) -> None:
    bad = valid_document()
    bad["annotations"]["image"][0]["classification"]["class"] = "unicorn"
    r = api.put(ANNOTATE, json={"action": "save", "data": bad})
    assert r.status_code == 400 and list(r.json()) == ["annotations.image.0.classification"]
    r = api.put(ANNOTATE, json={"action": "publish", "data": valid_document()})
    assert r.status_code == 400 and r.json() == {"action": ['"publish" is not a valid choice.']}


@pytest.mark.parametrize("schema", ["", "?schema=dm_schema_v1", "?schema=any"])
def test_an_empty_body_is_a_400(api: Api, schema: str) -> None:
    r = api.put(ANNOTATE + schema, data=b"", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "non_field_errors" in r.json()


def test_a_document_of_unknown_shape_is_refused_unless_schema_any(api: Api) -> None:
    for body in ({"foo": 1}, {}, [1, 2], "text"):
        r = api.put(ANNOTATE, json=body)
        assert r.status_code == 400 and list(r.json()) == ["non_field_errors"], body
    assert "annotations" in api.put(ANNOTATE, json={"foo": 1}).json()["non_field_errors"][0]
    v2 = api.put(ANNOTATE, json={"classification": {}, "images": []}).json()["non_field_errors"][0]
    assert "DM v2" in v2
    assert api.get("tasks/300/").json()["data"] is None  # nothing stored by a refusal
    r = api.put(ANNOTATE + "?schema=any", json={"foo": 1})
    assert r.status_code == 200 and r.json()["data"] == {"foo": 1}


def test_the_400_names_media_index_and_field(api: Api) -> None:
    document = valid_document()
    document["annotations"]["image"][2] = meta("k1", "bounding_box", "unicorn")
    box = {"x": 1, "y": 1, "width": 1, "height": 1}
    document["annotationsData"]["image"][2] = {"id": "k1", "coordinate": box}
    document["annotationGroups"] = {}
    r = api.put(ANNOTATE, json=document)
    assert r.status_code == 400
    assert r.json() == {"annotations.image.2.classification": ["'unicorn' is not a class of bounding_box"]}


def test_schema_any_skips_validation(api: Api) -> None:
    document = valid_document()
    document["annotations"]["image"][0]["classification"]["class"] = "unicorn"
    assert api.put(ANNOTATE, json=document).status_code == 400
    r = api.put(ANNOTATE + "?schema=any", json=document)
    assert r.status_code == 200 and r.json()["data"] == document


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


def _append(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        node: Any = doc
        for part in path.split("."):
            node = node[part]
        node.append(value)

    return change


def _delete_geometry(doc: dict[str, Any]) -> None:
    del doc["annotationsData"]["image"][1]


RULES = [
    # every meta row has a geometry row with the same id, and vice versa
    (_delete_geometry, "annotations.image.1.id", "'r1' has no geometry row"),
    (
        _append("annotationsData.image", {"id": "zz", "coordinate": {"x": 1, "y": 1}}),
        "annotationsData.image.4.id",
        "no meta row",
    ),
    # ids unique per media
    (_set("annotations.image.1.id", "b1"), "annotations.image.1.id", "Duplicate id 'b1'"),
    (_set("annotations.image.1.id", ""), "annotations.image.1.id", "non-empty string"),
    # tool known and allowed by the configuration
    (_set("annotations.image.0.tool", "laser"), "annotations.image.0.tool", "'laser' is not a known tool"),
    (
        _set("annotations.image.1.tool", "polyline"),
        "annotations.image.1.tool",
        "'polyline' is not a tool of this project",
    ),
    # class declared for that tool
    (
        _set("annotations.image.1.classification", {"class": "car"}),
        "annotations.image.1.classification",
        "'car' is not a class of polygon",
    ),
    (
        _set("annotations.image.1.classification", {"label": "road"}),
        "annotations.image.1.classification",
        "'class' is required",
    ),
    (
        _set("annotations.image.0.classification.occluded", "maybe"),
        "annotations.image.0.classification.occluded",
        "'maybe' is not one of",
    ),
    (
        _set("annotations.image.2.classification.visibility", "hidden"),
        "annotations.image.2.classification.visibility",
        "not a visibility",
    ),
    (_set("annotations.image.0.isLocked", "no"), "annotations.image.0.isLocked", "boolean"),
    # geometry shape and arity
    (
        _set("annotationsData.image.0.coordinate.width", -1),
        "annotationsData.image.0.coordinate",
        "'width' and 'height' must be >= 0",
    ),
    (
        _set("annotationsData.image.0.coordinate.x", "10"),
        "annotationsData.image.0.coordinate",
        "'x' must be a finite number",
    ),
    (
        _set("annotationsData.image.0.coordinate", [1, 2, 3, 4]),
        "annotationsData.image.0.coordinate",
        "Expected an object",
    ),
    (
        _set("annotationsData.image.0.coordinate.rotation", "quarter"),
        "annotationsData.image.0.coordinate",
        "'rotation'",
    ),
    (
        _set("annotationsData.image.1.coordinate", [{"x": 0, "y": 0}, {"x": 5, "y": 5}]),
        "annotationsData.image.1.coordinate",
        "at least 3 points",
    ),
    (
        _set("annotationsData.image.1.coordinate.2", {"x": 1}),
        "annotationsData.image.1.coordinate.2",
        "'y' must be a finite number",
    ),
    (
        _set("annotationsData.image.2.coordinate", {"x": 5}),
        "annotationsData.image.2.coordinate",
        "'y' must be a finite number",
    ),
    (
        _set("annotationsData.image.3.coordinate", {"x": True, "y": 1}),
        "annotationsData.image.3.coordinate",
        "'x' must be a finite number",
    ),
    # group members exist, and belong to one group only
    (
        _set("annotationGroups.image.0.annotationIds", ["k1", "ghost"]),
        "annotationGroups.image.0.annotationIds",
        "'ghost' is not an annotation of image",
    ),
    (
        _append("annotationGroups.image", {"id": "g2", "annotationIds": ["k1"]}),
        "annotationGroups.image.1.annotationIds",
        "already in group 'g1'",
    ),
    # the per-media parts are objects of lists; extra sizes are positive integers
    (_set("annotations.image", {"b1": {}}), "annotations.image", "Expected a list of rows"),
    (_set("annotationsData", []), "annotationsData", "Expected an object of media id"),
    (_set("extra.image.width", 0), "extra.image.width", "positive integer"),
]

RULE_IDS = [f"{i}-{rule[1]}" for i, rule in enumerate(RULES)]


@pytest.mark.parametrize(("change", "key", "message"), RULES, ids=RULE_IDS)
def test_each_rule_is_enforced_and_named(api: Api, change: Any, key: str, message: str) -> None:
    document = valid_document()
    change(document)
    r = api.put(ANNOTATE, json=document)
    assert r.status_code == 400, r.text
    errors = r.json()
    assert key in errors, errors
    assert any(message in m for m in errors[key]), errors[key]
    assert api.get("tasks/300/").json()["data"] is None  # the refusal stored nothing


def test_every_error_is_reported_at_once(api: Api) -> None:
    document = valid_document()
    document["annotations"]["image"][0]["classification"]["class"] = "unicorn"
    document["annotationsData"]["image"][1]["coordinate"] = [{"x": 0, "y": 0}]
    errors = api.put(ANNOTATE, json=document).json()
    assert set(errors) == {"annotations.image.0.classification", "annotationsData.image.1.coordinate"}


def test_an_unknown_task_is_a_404_before_any_validation(api: Api) -> None:
    assert api.put("tasks/99999/annotate_task_data/", json={"foo": 1}).status_code == 404


def test_masks_need_the_image_size_and_stay_inside_it(api: Api) -> None:
    configuration = copy.deepcopy(PROJECT_CONFIGURATION)
    configuration["classification"]["segmentation"] = {"classification_schema": [{"code": "road"}]}
    assert api.patch("projects/1/", json={"configuration": configuration}).status_code == 200

    def mask(row: dict[str, Any], extra: dict[str, Any] | None) -> Any:
        document = {
            "annotations": {"image": [meta("m1", "segmentation", "road")]},
            "annotationsData": {"image": [{"id": "m1", **row}]},
        }
        if extra is not None:
            document["extra"] = {"image": extra}
        return api.put(ANNOTATE, json=document)

    size = {"width": 4, "height": 3}
    assert mask({"pixel_indices": [0, 5, 11]}, size).status_code == 200
    runs = {"pixel_indices": [0, 4, 8, 4], "isCompressed": True, "compressionFormat": "rle"}
    assert mask(runs, size).status_code == 200
    assert mask({**runs, "pixel_indices": [[0, 4], [8, 4]]}, size).status_code == 200
    refusals = [
        ({"pixel_indices": [0, 12]}, size, "inside the 4x3 image"),
        ({"pixel_indices": [0, -1]}, size, "inside the 4x3 image"),
        ({"pixel_indices": [0, 1.5]}, size, "integers"),
        ({**runs, "pixel_indices": [8, 5]}, size, "ends outside the 4x3 image"),
        ({**runs, "pixel_indices": [8]}, size, "[start, length] pairs"),
        ({"pixel_indices": [0, 1]}, None, "needs the image size"),
        ({"pixel_indices": [0, 1]}, {"width": 4}, "needs the image size"),
    ]
    for row, extra, message in refusals:
        r = mask(row, extra)
        assert r.status_code == 400, (row, extra)
        assert any(message in m for m in r.json()["annotationsData.image.0.pixel_indices"]), r.json()
    wrong_format = mask({**runs, "compressionFormat": "coco"}, size)
    assert wrong_format.status_code == 400
    assert "annotationsData.image.0.compressionFormat" in wrong_format.json()


def test_the_classification_tool_of_project_two(api: Api) -> None:
    path = "tasks/321/annotate_task_data/"
    document = {
        "annotations": {"image": [meta("c1", "classification", "stop")]},
        "annotationsData": {"image": [{"id": "c1"}]},
    }
    assert api.put(path, json=document).status_code == 200
    document["annotations"]["image"][0]["classification"]["class"] = "car"
    r = api.put(path, json=document)
    assert r.json() == {
        "annotations.image.0.classification": ["'car' is not a class of classification"]
    }
    boxes = valid_document()
    errors = api.put(path, json=boxes).json()
    expected = "'bounding_box' is not a tool of this project (tools: classification)."
    assert errors["annotations.image.0.tool"] == [expected]


def test_a_configuration_without_a_label_schema_checks_only_the_shape(api: Api) -> None:
    assert api.patch("projects/1/", json={"configuration": {}}).status_code == 200
    document = valid_document()
    document["annotations"]["image"][0]["classification"]["class"] = "unicorn"
    document["annotations"]["image"][1]["tool"] = "polyline"
    assert api.put(ANNOTATE, json=document).status_code == 200
    document["annotationsData"]["image"][1]["coordinate"] = [{"x": 1, "y": 1}]
    r = api.put(ANNOTATE, json=document)
    assert r.status_code == 400 and "at least 2 points" in r.json()["annotationsData.image.1.coordinate"][0]


def test_other_tools_of_the_table_are_checked_for_shape() -> None:
    xyz = {"x": 0, "y": 1, "z": 2}
    rows = {
        "relation": (
            {"annotationId": "a", "targetAnnotationId": "b"},
            {"annotationId": "a", "targetAnnotationId": "x"},
        ),
        "3d_bounding_box": (
            {"psr": {"position": xyz, "scale": xyz, "rotation": {"w": 1, "x": 0, "y": 0, "z": 0}}},
            {"psr": {"position": {"x": 0, "y": 0}, "scale": xyz, "rotation": xyz}},
        ),
        "3d_segmentation": ({"points": [0, 5, 9]}, {"points": [0, -5]}),
        "named_entity": ({"ranges": [{"start": 0, "end": 4}], "content": "text"}, {"ranges": "0-4"}),
        "time_range": ({"section": {"start": 1.5, "end": 3}}, {"section": {"start": 3, "end": 1}}),
        "segmentation": ({"section": {"startFrame": 2, "endFrame": 9}}, {"section": {"startFrame": 2}}),
        "classification": ({}, None),
    }
    kind = "classification"
    for tool, (good, bad) in rows.items():
        def document(row: dict[str, Any], tool: str = tool) -> dict[str, Any]:
            return {
                "annotations": {"m": [meta("a", kind, "x"), meta("b", kind, "x"), meta("r", tool, "x")]},
                "annotationsData": {"m": [{"id": "a"}, {"id": "b"}, {"id": "r", **row}]},
            }

        assert check_dm_v1(document(good), {}) == {}, tool
        if bad is not None:
            errors = check_dm_v1(document(bad), {})
            assert list(errors) and all(k.startswith("annotationsData.m.2.") for k in errors), (tool, errors)


def test_every_seeded_annotation_passes_validation(mapi: Api, module_emu: Emulator) -> None:
    rows = module_emu.db.query("SELECT id FROM tasks WHERE data IS NOT NULL ORDER BY id")
    assert [r["id"] for r in rows] == list(range(1, 121))
    for row in rows:
        task = mapi.get(f"tasks/{row['id']}/").json()
        r = mapi.put(f"tasks/{row['id']}/annotate_task_data/", json=task["data"])
        assert r.status_code == 200, (row["id"], r.text)
        assert r.json()["data"] == task["data"]
