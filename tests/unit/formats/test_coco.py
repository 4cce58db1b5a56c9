"""COCO: round trips through DM, pycocotools as the oracle, streaming, determinism, names and labels."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

import synapse.annotations as ann
from synapse import formats

from .helpers import H, W, assert_same_objects, audit_keys, dataset, files, image, media_objects


def coco_expectation(objects: list[ann.Annotation], task: int) -> tuple[list[Any], list[Any]]:
    kept: list[Any] = []
    audit: list[Any] = []
    for obj in objects:
        if isinstance(obj, ann.BoundingBox) and obj.is_rotated:
            kept.append(("polygon", obj.label, [c for p in obj.corners() for c in p]))
            audit.append((task, obj.id, "lossy", "rotated_box"))
        elif isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask, ann.Keypoint)):
            kept.append(obj)
        else:
            audit.append((task, obj.id, "skipped", "unsupported_tool"))
    return kept, audit


def quiet(fn: Any, *args: Any) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(media_objects(), min_size=1, max_size=3))
def test_dm_to_coco_to_dm_keeps_what_coco_holds_and_reports_the_rest(
    documents: list[list[ann.Annotation]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        report = formats.convert("dm", "coco", dataset(root, documents), root / "coco")
        back = list(formats.read("coco", root / "coco"))
        expected_audit: list[Any] = []
        assert len(back) == len(documents)
        for objects, item in zip(documents, back, strict=True):
            kept, audit = coco_expectation(objects, task=None)  # type: ignore[arg-type]
            assert_same_objects(kept, item.objects)
            expected_audit += audit
        assert audit_keys(report) == sorted(expected_audit, key=repr)
        for objects, item in zip(documents, back, strict=True):  # attributes and keypoint groups survive
            by_geometry = {repr(o.attrs) for o in objects if isinstance(o, (ann.Polygon, ann.Mask))}
            assert {repr(o.attrs) for o in item.objects if isinstance(o, ann.Mask)} <= by_geometry | {"{}"}
            assert len({o.group for o in item.objects if isinstance(o, ann.Keypoint)}) == len(
                {o.group for o in objects if isinstance(o, ann.Keypoint)}
            )


def test_coco_output_loads_and_evaluates_to_ap_one_against_itself(tmp_path: Path) -> None:
    mask = np.zeros((H, W), dtype=bool)
    mask[5:20, 30:50] = True
    objects = [
        ann.BoundingBox(label="car", x=2, y=3, width=20, height=15),
        ann.Polygon(label="road", points=[(0, 30), (40, 30), (40, 47), (0, 47)]),
        ann.Mask.from_array(mask, label="person"),
        ann.BoundingBox(label="car", x=30, y=25, width=12, height=9, rotation=0.3),
    ]
    report = formats.convert("dm", "coco", dataset(tmp_path, [objects, objects[:2]]), tmp_path / "coco")
    path = tmp_path / "coco" / "annotations" / "instances_default.json"
    assert "annotations/instances_default.json" in [f.path for f in report.written]
    gt = quiet(COCO, str(path))
    assert sorted(c["name"] for c in gt.loadCats(gt.getCatIds())) == ["car", "person", "road"]
    assert gt.loadAnns(gt.getAnnIds(catIds=[2]))[0]["segmentation"]["size"] == [H, W]
    assert gt.loadAnns(gt.getAnnIds(catIds=[2]))[0]["area"] == int(mask.sum())
    segmented = COCO()  # a box has no segmentation: the segm evaluation takes the others
    segmented.dataset = dict(
        gt.dataset, annotations=[a for a in gt.dataset["annotations"] if a["segmentation"]]
    )
    quiet(segmented.createIndex)
    for iou_type, truth in (("bbox", gt), ("segm", segmented)):
        predictions = [dict(a, score=1.0) for a in truth.dataset["annotations"]]
        dt = quiet(truth.loadRes, predictions)
        evaluation = COCOeval(truth, dt, iou_type)
        quiet(evaluation.evaluate)
        quiet(evaluation.accumulate)
        quiet(evaluation.summarize)
        assert evaluation.stats[0] == 1.0, iou_type


def test_keypoint_groups_share_the_id_and_class_of_their_box(tmp_path: Path) -> None:
    schema = {
        "classification": {
            "bounding_box": {"classification_schema": [{"code": "person"}]},
            "keypoint": {
                "classification_schema": [{"code": "nose"}, {"code": "left_eye"}],
                "skeleton": [["nose", "left_eye"]],
            },
        }
    }
    objects = [
        ann.BoundingBox(id="b", label="person", x=10, y=10, width=20, height=30, group="g"),
        ann.Keypoint(id="k1", label="left_eye", x=15, y=12, visibility=1, group="g"),
        ann.Keypoint(id="k2", label="nose", x=14, y=15, group="g"),
        ann.Keypoint(id="k3", label="nose", x=40, y=30),
    ]
    formats.convert("dm", "coco", dataset(tmp_path, [objects]), tmp_path / "coco", schema=schema)
    data = json.loads((tmp_path / "coco/annotations/person_keypoints_default.json").read_text())
    person = next(c for c in data["categories"] if c["name"] == "person")
    assert person["keypoints"] == ["nose", "left_eye"] and person["skeleton"] == [[1, 2]]
    box, alone = data["annotations"]
    assert box["id"] == 1 and box["category_id"] == person["id"] and box["bbox"] == [10, 10, 20, 30]
    assert box["keypoints"] == [14, 15, 2, 15, 12, 1] and box["num_keypoints"] == 2
    assert alone["keypoints"] == [40, 30, 2, 0, 0, 0] and alone["bbox"] == [40, 30, 0, 0]
    assert (
        next(c for c in data["categories"] if c["id"] == alone["category_id"])["name"] == formats.POSE_CLASS
    )
    quiet(COCO, str(tmp_path / "coco/annotations/person_keypoints_default.json"))
    back = next(formats.read("coco", tmp_path / "coco")).objects
    groups = {o.group for o in back if o.label in ("person", "nose", "left_eye") and o.group and o.x < 30}  # type: ignore[attr-defined]
    assert len(groups) == 1 and sum(1 for o in back if o.tool == "bounding_box") == 1


def test_class_ids_follow_the_schema_then_the_unseen_sorted(tmp_path: Path) -> None:
    schema = {
        "classification": {
            "polygon": {"classification_schema": [{"code": "road"}]},
            "bounding_box": {"classification_schema": [{"code": "truck"}, {"code": "road"}]},
        }
    }
    objects = [ann.BoundingBox(label=c, x=1, y=1, width=2, height=2) for c in ("zebra", "car", "road")]
    formats.convert("dm", "coco", dataset(tmp_path, [objects]), tmp_path / "coco", schema=schema)
    data = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    assert [(c["id"], c["name"]) for c in data["categories"]] == [
        (1, "road"),
        (2, "truck"),
        (3, "car"),
        (4, "zebra"),
    ]


def test_explicit_labels_fix_the_ids_and_report_the_classes_left_out(tmp_path: Path) -> None:
    objects = [ann.BoundingBox(id=f"b{c}", label=c, x=1, y=1, width=2, height=2) for c in ("car", "person")]
    report = formats.convert("dm", "coco", dataset(tmp_path, [objects]), tmp_path / "coco", labels=["person"])
    data = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    assert data["categories"] == [{"id": 1, "name": "person", "supercategory": ""}]
    assert [a["category_id"] for a in data["annotations"]] == [1]
    assert audit_keys(report) == [(None, "bcar", "skipped", "unknown_class")]


def test_every_image_of_a_multi_image_unit_is_exported_and_mapped_to_its_task(tmp_path: Path) -> None:
    doc = ann.Document(
        media={
            m: [ann.BoundingBox(label="car", x=1, y=1, width=4, height=4)]
            for m in ("image_1", "image_2", "image_3")
        },
        extra={},
    )
    items = [
        formats.Item(
            stem="u",
            document=doc,
            media_id=m,
            image=image(tmp_path / "src", f"{m}.png"),
            task_id=5,
            unit_id=50,
        )
        for m in doc.media_ids
    ]
    with formats.writer("coco", tmp_path / "coco") as writer:
        for item in items:
            writer.add(item)
    report = writer.close()
    assert [(f.path, f.task, f.media_id) for f in report.written[:3]] == [
        ("images/u_image_1.png", 5, "image_1"),
        ("images/u_image_2.png", 5, "image_2"),
        ("images/u_image_3.png", 5, "image_3"),
    ]
    gt = quiet(COCO, str(tmp_path / "coco/annotations/instances_default.json"))
    assert len(gt.getImgIds()) == 3 and len(gt.getAnnIds()) == 3


def test_images_with_one_name_get_distinct_files(tmp_path: Path) -> None:
    items = [
        formats.Item(
            stem="a",
            file_name="frame.png",
            image=image(tmp_path / f"s{i}", "frame.png", colour=i),
            task_id=i,
            unit_id=u,
        )
        for i, u in ((1, 7), (2, 8), (3, None))
    ]
    with formats.writer("coco", tmp_path / "coco") as writer:
        for item in items:
            writer.add(item)
    data = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    names = [im["file_name"] for im in data["images"]]
    assert (
        names[:2] == ["frame.png", "8_frame.png"] and len(set(names)) == 3 and names[2].endswith("_frame.png")
    )
    assert sorted(p.name for p in (tmp_path / "coco/images").iterdir()) == sorted(names)


def test_two_runs_write_byte_identical_files_and_leave_no_part_files(tmp_path: Path) -> None:
    objects = [
        ann.BoundingBox(label="car", x=1.25, y=2, width=3, height=4),
        ann.Polygon(label="road", points=[(0, 0), (9, 0), (9, 9)]),
        ann.Keypoint(label="nose", x=3, y=3),
    ]
    src = dataset(tmp_path, [objects, objects], splits=["train", "val"])
    formats.convert("dm", "coco", src, tmp_path / "one")
    formats.convert("dm", "coco", src, tmp_path / "two")
    assert files(tmp_path / "one") == files(tmp_path / "two")
    assert sorted(files(tmp_path / "one")) == [
        "annotations/instances_train.json",
        "annotations/instances_val.json",
        "annotations/person_keypoints_train.json",
        "annotations/person_keypoints_val.json",
        "images/img0.png",
        "images/img1.png",
    ]


def test_sizes_come_from_the_image_file_when_the_item_has_none_and_are_never_guessed(tmp_path: Path) -> None:
    box = ann.BoundingBox(id="b", label="car", x=1, y=1, width=2, height=2)
    items = [
        formats.Item(
            stem="a",
            document=ann.Document.from_objects([box]),
            image=image(tmp_path / "src", "a.png", size=(33, 22)),
            task_id=1,
        ),
        formats.Item(stem="b", document=ann.Document.from_objects([box]), task_id=2),
    ]
    with formats.writer("coco", tmp_path / "coco") as writer:
        for item in items:
            writer.add(item)
    report = writer.close()
    data = json.loads((tmp_path / "coco/annotations/instances_default.json").read_text())
    assert [(im["width"], im["height"]) for im in data["images"]] == [(33, 22)]
    assert audit_keys(report) == [(2, "b", "skipped", "unknown_image_size")]


def test_the_reader_takes_instances_json_at_the_root_and_crowd_rles(tmp_path: Path) -> None:
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    data = {
        "images": [{"id": 1, "file_name": "x.png", "width": 5, "height": 4}],
        "categories": [{"id": 3, "name": "blob"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 3,
                "iscrowd": 1,
                "bbox": [2, 1, 2, 2],
                "segmentation": {"size": [4, 5], "counts": [9, 2, 2, 2, 5]},
            }
        ],
    }
    (tmp_path / "instances.json").write_text(json.dumps(data))  # uncompressed RLE runs go column by column
    image(tmp_path / "images", "x.png", size=(5, 4))
    (item,) = formats.read("coco", tmp_path)
    (obj,) = item.objects
    assert isinstance(obj, ann.Mask) and obj.attrs == {"iscrowd": 1}
    assert (obj.to_array(5, 4) == mask).all() and item.image == tmp_path / "images" / "x.png"
