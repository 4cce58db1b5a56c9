"""YOLO: round trips through DM for each task, data.yaml read back by PyYAML, row arity, masks, names."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

import synapse.annotations as ann
from synapse import formats
from synapse.formats.geometry import polygon_mask

from .helpers import H, W, assert_same_objects, audit_keys, dataset, files, image, media_objects

TASK_KINDS = {
    "detect": ("box", "rotated", "polygon", "mask", "pose", "other"),
    "segment": ("box", "rotated", "polygon", "pose", "other"),
    "pose": ("box", "rotated", "polygon", "mask", "pose", "other"),
    "obb": ("box", "rotated", "polygon", "mask", "pose", "other"),
}


def box_of(obj: ann.Annotation, bounds: tuple[float, float, float, float]) -> tuple[Any, ...]:
    x0, y0, x1, y1 = bounds
    return ("bounding_box", obj.label, [x0, y0, x1 - x0, y1 - y0, 0.0])


def yolo_expectation(task: str, objects: list[ann.Annotation]) -> tuple[list[Any], list[Any]]:
    kept: list[Any] = []
    audit: list[Any] = []
    for obj in objects:
        if isinstance(obj, ann.Keypoint):
            if task == "pose":
                kept.append(obj)
            else:
                audit.append((None, obj.id, "skipped", "not_in_task"))
            continue
        if not isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask)):
            audit.append((None, obj.id, "skipped", "unsupported_tool"))
            continue
        if obj.attrs:
            audit.append((None, obj.id, "lossy", "attributes_dropped"))
        if isinstance(obj, ann.BoundingBox):
            if task == "segment":
                kept.append(("polygon", obj.label, [c for p in obj.corners() for c in p]))
                audit.append((None, obj.id, "lossy", "box_as_polygon"))
            elif task == "obb" or not obj.is_rotated:
                kept.append(obj)
            else:
                kept.append(box_of(obj, obj.bounds()))
                audit.append((None, obj.id, "lossy", "rotated_box"))
        elif isinstance(obj, ann.Polygon):
            if task == "segment":
                kept.append(obj)
            else:
                kept.append(box_of(obj, obj.bounds()))
                audit.append((None, obj.id, "lossy", "polygon_as_box"))
        else:
            kept.append(box_of(obj, obj.bounds(W)))
            audit.append((None, obj.id, "lossy", "mask_as_box"))
    return kept, audit


@pytest.mark.parametrize("task", ["detect", "segment", "pose", "obb"])
def test_dm_to_yolo_to_dm_keeps_what_the_task_holds_and_reports_the_rest(task: str) -> None:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(media_objects(TASK_KINDS[task]), min_size=1, max_size=3))
    def check(documents: list[list[ann.Annotation]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            report = formats.convert("dm", "yolo", dataset(root, documents), root / "yolo", task=task)
            back = list(formats.read("yolo", root / "yolo"))
            expected_audit: list[Any] = []
            for objects, item in zip(documents, back, strict=True):
                kept, audit = yolo_expectation(task, objects)
                assert_same_objects(kept, item.objects)
                expected_audit += audit
            assert audit_keys(report) == sorted(expected_audit, key=repr)

    check()


def test_data_yaml_parses_with_pyyaml_and_every_row_has_the_arity_of_its_task(tmp_path: Path) -> None:
    objects = [
        ann.BoundingBox(label="car", x=1, y=2, width=10, height=8, group="g"),
        ann.Keypoint(label="nose", x=3, y=4, group="g"),
        ann.Keypoint(label="left_eye", x=5, y=4, group="g"),
        ann.Polygon(label='odd "name": x', points=[(0, 0), (9, 0), (9, 9), (0, 9), (2, 5)]),
        ann.Keypoint(label="nose", x=30, y=20),
    ]
    src = dataset(tmp_path, [objects, objects], splits=["train", "val"])
    points_per_row = {"detect": {5}, "segment": {9, 11}, "pose": {5 + 2 * 3}, "obb": {9}}
    for task, arities in points_per_row.items():
        formats.convert("dm", "yolo", src, tmp_path / task, task=task)
        data = yaml.safe_load((tmp_path / task / "data.yaml").read_text())
        assert data["path"] == str((tmp_path / task).resolve())
        assert (data["train"], data["val"], data["test"]) == ("images/train", "images/val", None)
        assert data["names"][0] == "car" and data["names"][1] == 'odd "name": x'
        assert (data.get("kpt_shape"), data["task"]) == (([2, 3] if task == "pose" else None), task)
        rows = [
            r.split() for p in (tmp_path / task / "labels").rglob("*.txt") for r in p.read_text().splitlines()
        ]
        assert rows and {len(r) for r in rows} <= arities, task
        visibility = {i for i in range(4, 10) if task == "pose" and (i - 4) % 3 == 2}
        assert all(0 <= float(v) <= 1 for r in rows for i, v in enumerate(r[1:]) if i not in visibility)
    assert yaml.safe_load((tmp_path / "pose/data.yaml").read_text())["kpt_names"][0] == ["left_eye", "nose"]


def test_a_mask_becomes_its_outer_contours_and_its_holes_are_reported(tmp_path: Path) -> None:
    mask = np.zeros((H, W), dtype=bool)
    mask[5:20, 5:25] = True
    mask[10:14, 10:14] = False  # a hole
    mask[30:33, 40:45] = True  # a second part
    objects = [ann.Mask.from_array(mask, id="m", label="blob")]
    report = formats.convert("dm", "yolo", dataset(tmp_path, [objects]), tmp_path / "yolo", task="segment")
    assert audit_keys(report) == [(None, "m", "lossy", "mask_holes")]  # a DM folder has no task ids
    (item,) = formats.read("yolo", tmp_path / "yolo")
    filled = np.zeros((H, W), dtype=bool)
    for polygon in item.objects:
        assert isinstance(polygon, ann.Polygon)
        filled |= polygon_mask(polygon.points, W, H)
    expected = mask.copy()
    expected[10:14, 10:14] = True
    assert len(item.objects) == 2 and (filled == expected).all()


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    objects = [ann.BoundingBox(label="car", x=1.1, y=2.2, width=3.3, height=4.4, rotation=0.2)]
    src = dataset(tmp_path, [objects] * 3, splits=["train", "train", "test"])
    formats.convert("dm", "yolo", src, tmp_path / "out", task="obb")
    first = files(tmp_path / "out")
    shutil.rmtree(tmp_path / "out")
    formats.convert("dm", "yolo", src, tmp_path / "out", task="obb")
    assert files(tmp_path / "out") == first
    assert sorted(first) == [
        "data.yaml",
        "images/test/img2.png",
        "images/train/img0.png",
        "images/train/img1.png",
        "labels/test/img2.txt",
        "labels/train/img0.txt",
        "labels/train/img1.txt",
    ]


def test_images_whose_stems_clash_get_distinct_label_files(tmp_path: Path) -> None:
    box = ann.BoundingBox(label="car", x=1, y=1, width=5, height=5)
    items = [
        formats.Item(
            stem="a",
            document=ann.Document.from_objects([box], size=(W, H)),
            image=image(tmp_path / "src", name),
            file_name=name,
            task_id=i,
            unit_id=10 + i,
        )
        for i, name in enumerate(["a.png", "A.jpg"])
    ]
    with formats.writer("yolo", tmp_path / "yolo") as writer:
        for item in items:
            writer.add(item)
    report = writer.close()
    assert [(f.path, f.task) for f in report.written] == [
        ("images/a.png", 0),
        ("labels/a.txt", 0),
        ("images/11_A.jpg", 1),
        ("labels/11_A.txt", 1),
        ("data.yaml", None),
    ]
    assert [i.stem for i in formats.read("yolo", tmp_path / "yolo")] == ["11_A", "a"]


def test_the_reader_takes_classes_txt_and_flat_folders(tmp_path: Path) -> None:
    image(tmp_path / "images", "x.png", size=(100, 50))
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/x.txt").write_text("1 0.5 0.5 0.2 0.4\n0 0.1 0.1 0.3 0.1 0.3 0.3\n")
    (tmp_path / "classes.txt").write_text("road\ncar\n")
    (item,) = formats.read("yolo", tmp_path)
    assert item.split is None and item.size() == (100, 50)
    assert_same_objects(
        [("bounding_box", "car", [40, 15, 20, 20, 0]), ("polygon", "road", [10, 5, 30, 5, 30, 15])],
        item.objects,
    )


def test_a_malformed_row_names_its_file_and_line(tmp_path: Path) -> None:
    image(tmp_path / "images", "x.png")
    (tmp_path / "labels").mkdir()
    (tmp_path / "labels/x.txt").write_text("0 0.5 0.5 0.2 0.4\n0 zero\n")
    with pytest.raises(ann.FormatError, match=r"x.txt:2"):
        list(formats.read("yolo", tmp_path))
