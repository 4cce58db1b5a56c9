"""ImageFolder: images filed under their class, per split, with everything else reported."""

from __future__ import annotations

from pathlib import Path

import synapse.annotations as ann
from synapse import formats

from .helpers import audit_keys, dataset, files


def test_images_are_filed_under_their_class_and_split(tmp_path: Path) -> None:
    documents = [
        [ann.Classification(id="c0", label="cat")],
        [
            ann.Classification(id="c1", label="dog"),
            ann.BoundingBox(id="b1", label="dog", x=1, y=1, width=2, height=2),
        ],
        [ann.Classification(id="c2", label="cat"), ann.Classification(id="c3", label="dog")],
        [ann.Polygon(id="p3", label="road", points=[(0, 0), (5, 0), (5, 5)])],
    ]
    src = dataset(tmp_path, documents, splits=["train", "val", "train", "train"])
    report = formats.convert("dm", "imagefolder", src, tmp_path / "out")
    assert sorted(files(tmp_path / "out")) == ["train/cat/img0.png", "train/cat/img2.png", "val/dog/img1.png"]
    assert files(tmp_path / "out")["val/dog/img1.png"] == (src / "valid/original_files/img1.png").read_bytes()
    assert audit_keys(report) == sorted(
        [
            (None, "b1", "skipped", "unsupported_tool"),
            (None, "c3", "lossy", "multiple_classes"),
            (None, "p3", "skipped", "unsupported_tool"),
            (None, None, "skipped", "no_class"),
        ],
        key=repr,
    )


def test_explicit_labels_leave_other_classes_out_and_say_so(tmp_path: Path) -> None:
    src = dataset(
        tmp_path, [[ann.Classification(id="a", label="cat")], [ann.Classification(id="b", label="dog")]]
    )
    report = formats.convert("dm", "imagefolder", src, tmp_path / "out", labels=["dog"])
    assert sorted(files(tmp_path / "out")) == ["dog/img1.png"]
    assert audit_keys(report) == [
        (None, "a", "skipped", "unknown_class"),
        (None, None, "skipped", "no_class"),
    ]


def test_without_media_nothing_is_written_and_every_image_is_reported(tmp_path: Path) -> None:
    src = dataset(tmp_path, [[ann.Classification(id="a", label="cat")]])
    report = formats.convert("dm", "imagefolder", src, tmp_path / "out", media=False)
    assert report.written == () and audit_keys(report) == [(None, "a", "skipped", "no_media")]
