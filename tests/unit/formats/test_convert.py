"""formats.convert: any pair through DM, split reassignment, the registry, and the purity of the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import synapse.annotations as ann
from synapse import formats
from synapse.formats import libraries

from .helpers import assert_same_objects, dataset, files

BOX = ann.BoundingBox(label="car", x=4, y=6, width=10, height=8)
ROAD = ann.Polygon(label="road", points=[(0, 30), (20, 30), (20, 40)])


@pytest.mark.parametrize(
    ("via", "options"), [("coco", {}), ("yolo", {"task": "segment"}), ("voc", {"masks": True})]
)
def test_any_pair_converts_through_dm_documents(tmp_path: Path, via: str, options: dict[str, object]) -> None:
    src = dataset(tmp_path, [[BOX], [BOX, ROAD]], splits=["train", "val"])
    formats.convert("dm", via, src, tmp_path / via, **options)  # type: ignore[arg-type]
    report = formats.convert(via, "coco", tmp_path / via, tmp_path / "out")
    assert report.audit == ()
    (first, second) = formats.read("coco", tmp_path / "out")
    assert (first.stem, first.split, second.split) == ("img0", "train", "val")
    assert files(tmp_path / "out")["images/img1.png"] == (src / "valid/original_files/img1.png").read_bytes()
    if via == "coco":
        assert_same_objects([BOX, ROAD], second.objects)
    if via == "yolo":
        box_as_polygon = ("polygon", "car", [4, 6, 14, 6, 14, 14, 4, 14])
        assert_same_objects([box_as_polygon, ROAD], second.objects)


def test_splits_are_reassigned_by_a_stable_hash_of_the_stem(tmp_path: Path) -> None:
    src = dataset(tmp_path, [[BOX]] * 12)
    weights = {"train": 0.5, "val": 0.25, "test": 0.25}
    formats.convert("dm", "dm", src, tmp_path / "a", splits=weights, media=False)
    formats.convert("dm", "dm", src, tmp_path / "b", splits=weights, media=False)
    splits = {i.stem: i.split for i in formats.read("dm", tmp_path / "a")}
    assert splits == {i.stem: i.split for i in formats.read("dm", tmp_path / "b")}
    assert set(splits.values()) == {"train", "val", "test"}
    assert splits == {f"img{n}": formats.split_of(f"img{n}", weights) for n in range(12)}
    assert not any(
        p.startswith(("train/original_files", "valid/original_files")) for p in files(tmp_path / "a")
    )


def test_unknown_formats_and_unreadable_ones_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="unknown format 'tfrecord'; known: dm, coco, yolo, voc, imagefolder"
    ):
        formats.writer("tfrecord", tmp_path)
    with pytest.raises(ValueError, match="not into its source"):
        formats.convert("dm", "coco", tmp_path, tmp_path / ".")
    with pytest.raises(ValueError, match="written only"):
        formats.read("imagefolder", tmp_path)
    with pytest.raises(ValueError, match="YOLO task"):
        formats.writer("yolo", tmp_path, task="classify")


def test_a_missing_library_names_the_extra_to_install() -> None:
    with pytest.raises(ImportError, match=r"pip install 'synapse-orm\[coco\]'"):
        libraries.require("pycocotools.no_such_module", "COCO RLE masks")


def test_formats_import_nothing_that_talks_http() -> None:
    code = (
        "import sys, synapse.formats as f\n"
        "for m in ['dm', 'coco', 'coco_read', 'yolo', 'yolo_read', 'voc', 'voc_read', 'imagefolder']:\n"
        "    __import__('synapse.formats.' + m)\n"
        "bad = [m for m in sys.modules if m.split('.')[:2] in (['synapse', n] for n in\n"
        "       ('transport', 'client', 'http', 'orm', 'resources', 'services', 'clients', 'emulator'))]\n"
        "bad += [m for m in ('requests', 'pycocotools', 'yaml') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"
