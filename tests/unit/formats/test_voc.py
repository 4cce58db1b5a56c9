"""Pascal VOC: round trips through DM with and without masks, the XML, the PNGs and the label map."""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

import synapse.annotations as ann
from synapse import formats
from synapse.formats.geometry import polygon_mask

from .helpers import H, W, assert_same_objects, audit_keys, dataset, files, media_objects


def box(obj: ann.Annotation, bounds: tuple[float, float, float, float]) -> tuple[Any, ...]:
    x0, y0, x1, y1 = bounds
    return ("bounding_box", obj.label, [x0, y0, x1 - x0, y1 - y0, 0.0])


def bounds(obj: ann.Annotation) -> tuple[float, float, float, float]:
    return obj.bounds(W) if isinstance(obj, ann.Mask) else obj.bounds()  # type: ignore[attr-defined, no-any-return]


def voc_expectation(objects: list[ann.Annotation], masks: bool) -> tuple[list[Any], list[Any]]:
    kept: list[Any] = []
    audit: list[Any] = []
    canvas = np.zeros((H, W), dtype=int)
    painted: dict[int, tuple[ann.Annotation, Any]] = {}
    for obj in objects:
        if not isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask)):
            audit.append((None, obj.id, "skipped", "unsupported_tool"))
            continue
        index = len(kept) + len(painted) + 1
        if isinstance(obj, ann.BoundingBox):
            kept.append(box(obj, obj.bounds()))
            if obj.is_rotated:
                audit.append((None, obj.id, "lossy", "rotated_box"))
            continue
        if isinstance(obj, ann.Polygon):
            audit.append((None, obj.id, "lossy", "polygon_as_mask" if masks else "polygon_as_box"))
        elif not masks:
            audit.append((None, obj.id, "lossy", "mask_as_box"))
        if not masks:
            kept.append(box(obj, bounds(obj)))
            continue
        pixels = obj.to_array(W, H) if isinstance(obj, ann.Mask) else polygon_mask(obj.points, W, H)
        for covered in set(canvas[pixels].tolist()) - {0}:
            if painted[covered][1] is not None:
                audit.append((None, painted[covered][0].id, "lossy", "mask_overlap"))
                painted[covered] = (painted[covered][0], None)
        canvas[pixels] = index
        painted[index] = (obj, True)
    for index, (obj, _) in painted.items():
        remaining = canvas == index
        if remaining.any():
            kept.append(("segmentation", obj.label, [float(i) for i in np.flatnonzero(remaining)]))
        else:
            kept.append(box(obj, bounds(obj)))
    return kept, audit


@pytest.mark.parametrize("masks", [False, True])
def test_dm_to_voc_to_dm_keeps_boxes_and_pixels_and_reports_the_rest(masks: bool) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(media_objects(), min_size=1, max_size=3))
    def check(documents: list[list[ann.Annotation]]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            src = dataset(root, documents)
            report = formats.convert("dm", "voc", src, root / "voc", masks=masks)
            back = list(formats.read("voc", root / "voc"))
            documents = [item.objects for item in formats.read("dm", src)]  # DM v2 lists objects by tool
            expected_audit: list[Any] = []
            for objects, item in zip(documents, back, strict=True):
                kept, audit = voc_expectation(objects, masks)
                assert_same_objects(kept, item.objects)
                assert [o.attrs for o in item.objects if o.attrs] == [
                    o.attrs
                    for o in objects
                    if o.attrs and o.tool in ("bounding_box", "polygon", "segmentation")
                ]
                expected_audit += audit
            assert audit_keys(report) == sorted(expected_audit, key=repr)

    check()


def test_the_xml_parses_and_its_boxes_match(tmp_path: Path) -> None:
    objects = [
        ann.BoundingBox(label="car", x=1.5, y=2, width=10, height=5.25, attrs={"occluded": "yes", "n": 3}),
        ann.Polygon(label="road", points=[(0, 40), (30, 40), (30, 47)]),
    ]
    formats.convert("dm", "voc", dataset(tmp_path, [objects], splits=["val"]), tmp_path / "voc")
    root = ET.parse(tmp_path / "voc/Annotations/img0.xml").getroot()
    assert root.findtext("filename") == "img0.png" and root.findtext("size/width") == str(W)
    boxes = [
        [float(o.findtext(f"bndbox/{t}") or "") for t in ("xmin", "ymin", "xmax", "ymax")]
        for o in root.findall("object")
    ]
    assert boxes == [[1.5, 2, 11.5, 7.25], [0, 40, 30, 47]]
    car = root.findall("object")[0]
    assert car.findtext("occluded") == "1" and car.findtext("difficult") == "0"
    assert [(a.findtext("name"), a.findtext("value")) for a in car.findall("attributes/attribute")] == [
        ("occluded", "yes"),
        ("n", "3"),
    ]
    assert (tmp_path / "voc/ImageSets/Main/val.txt").read_text() == "img0\n"
    assert (tmp_path / "voc/labelmap.txt").read_text() == (
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\ncar:128,0,0::\nroad:0,128,0::\n"
    )


def test_segmentation_pngs_hold_class_ids_and_object_indices(tmp_path: Path) -> None:
    schema = {
        "classification": {"polygon": {"classification_schema": [{"code": "road", "color": "#808080"}]}}
    }
    mask = np.zeros((H, W), dtype=bool)
    mask[2:6, 3:9] = True
    objects = [
        ann.BoundingBox(label="car", x=40, y=40, width=5, height=5),
        ann.Mask.from_array(mask, label="car"),
        ann.Polygon(label="road", points=[(20, 20), (30, 20), (30, 30), (20, 30)]),
    ]
    formats.convert("dm", "voc", dataset(tmp_path, [objects]), tmp_path / "voc", masks=True, schema=schema)
    instances = np.asarray(Image.open(tmp_path / "voc/SegmentationObject/img0.png"))
    classes = np.asarray(Image.open(tmp_path / "voc/SegmentationClass/img0.png"))
    assert Image.open(tmp_path / "voc/SegmentationClass/img0.png").mode == "P"
    assert (
        (instances[mask] == 2).all()
        and (instances[20:30, 20:30] == 3).all()
        and instances.sum() == 24 * 2 + 300
    )
    assert (classes[mask] == 2).all() and (classes[20:30, 20:30] == 1).all()  # road is configured first
    assert "road:128,128,128::" in (tmp_path / "voc/labelmap.txt").read_text()
    assert (tmp_path / "voc/ImageSets/Segmentation/default.txt").read_text() == "img0\n"


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    mask = np.eye(H, W, dtype=bool)
    objects = [
        ann.BoundingBox(label="car", x=1.25, y=2, width=3, height=4),
        ann.Mask.from_array(mask, label="road"),
    ]
    src = dataset(tmp_path, [objects, objects], splits=["train", "test"])
    formats.convert("dm", "voc", src, tmp_path / "one", masks=True)
    formats.convert("dm", "voc", src, tmp_path / "two", masks=True)
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_the_reader_takes_the_flags_of_plain_voc_files(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations/x.xml").write_text(
        "<annotation><filename>x.jpg</filename><size><width>50</width><height>40</height></size>"
        "<object><name>dog</name><difficult>1</difficult><truncated>0</truncated>"
        "<bndbox><xmin>5</xmin><ymin>6</ymin><xmax>25</xmax><ymax>16</ymax></bndbox></object></annotation>"
    )
    (item,) = formats.read("voc", tmp_path)
    (obj,) = item.objects
    assert obj.attrs == {"difficult": True} and item.size() == (50, 40) and item.image is None
    assert_same_objects([("bounding_box", "dog", [5, 6, 20, 10, 0])], item.objects)
