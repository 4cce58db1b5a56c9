"""DM dataset folders: lossless both ways, split folders, multi-media units, names that never clash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import synapse.annotations as ann
from synapse import formats

from .helpers import H, W, dataset, files, image, media_objects, write_dm


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(media_objects(), min_size=1, max_size=3), st.sampled_from([1, 2]))
def test_dm_to_dm_keeps_every_document_and_file(documents: list[list[ann.Annotation]], version: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        src = dataset(root, documents, splits=["train", "val", None])
        report = formats.convert("dm", "dm", src, root / "out", version=version)
        assert report.audit == ()
        before = list(formats.read("dm", src))
        after = list(formats.read("dm", root / "out"))
        assert [(i.stem, i.split, i.document) for i in after] == [
            (i.stem, i.split, i.document) for i in before
        ]
        assert [i.image.read_bytes() for i in after if i.image] == [
            i.image.read_bytes() for i in before if i.image
        ]


def test_split_items_go_to_train_valid_and_test_folders(tmp_path: Path) -> None:
    src = dataset(tmp_path, [[], [], []], splits=["train", "val", "test"])
    assert sorted(files(src)) == [
        "test/json/img2.json",
        "test/original_files/img2.png",
        "train/json/img0.json",
        "train/original_files/img0.png",
        "valid/json/img1.json",
        "valid/original_files/img1.png",
    ]
    assert [i.split for i in formats.read("dm", src)] == ["train", "val", "test"]


def test_documents_are_dm_v2_with_the_v1_media_ids_beside(tmp_path: Path) -> None:
    box = ann.BoundingBox(id="b1", label="car", x=1, y=2, width=3, height=4)
    src = dataset(tmp_path, [[box]])
    data = json.loads((src / "json" / "img0.json").read_text())
    assert data["images"][0]["bounding_box"][0]["data"] == [1, 2, 3, 4]
    assert data["media_ids"] == {"images": ["image_1"]}
    assert data["extra"]["image_1"] == {"width": W, "height": H}


def test_a_multi_image_unit_is_one_document_with_every_image(tmp_path: Path) -> None:
    doc = ann.Document(
        media={
            "image_1": [ann.BoundingBox(id="b", label="car", x=1, y=1, width=2, height=2)],
            "image_2": [ann.Polygon(id="p", label="road", points=[(0, 0), (5, 0), (5, 5)])],
        }
    )
    items = [
        formats.Item(
            stem="unit7",
            document=doc,
            media_id=m,
            image=image(tmp_path / "src", f"{m}.png"),
            task_id=7,
            unit_id=70,
        )
        for m in ("image_1", "image_2")
    ]
    report = write_dm(tmp_path / "dm", items)
    assert [(f.path, f.media_id) for f in report.written] == [
        ("original_files/unit7_image_1.png", "image_1"),
        ("original_files/unit7_image_2.png", "image_2"),
        ("json/unit7.json", "image_1"),
    ]
    read = list(formats.read("dm", tmp_path / "dm"))
    assert [(i.media_id, i.image.name if i.image else None) for i in read] == [
        ("image_1", "unit7_image_1.png"),
        ("image_2", "unit7_image_2.png"),
    ]
    assert read[0].document == doc


def test_two_units_with_one_stem_get_distinct_files_mapped_to_their_tasks(tmp_path: Path) -> None:
    items = [
        formats.Item(
            stem="frame", image=image(tmp_path / f"s{i}", "frame.png", colour=i), task_id=i, unit_id=10 + i
        )
        for i in (1, 2)
    ]
    report = write_dm(tmp_path / "dm", items)
    assert [(f.path, f.task) for f in report.written] == [
        ("original_files/frame.png", 1),
        ("json/frame.json", 1),
        ("original_files/12_frame.png", 2),
        ("json/12_frame.json", 2),
    ]


def test_reading_a_folder_without_json_says_so(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no DM json"):
        list(formats.read("dm", tmp_path))
