"""Imports against the emulator: matched by file name, unmatched rows reported, dry run, idempotent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from synapse import annotations as ann
from synapse.services.export import image_files


def _predictions(client: Any, folder: Path, n: int = 3) -> list[Any]:
    """A COCO ``instances.json``: a car box per image of ``n`` unannotated tasks, plus a stray row."""
    tasks = list(client.projects.get(1).tasks.filter(status_label="stand_by").expand("data_unit")[:n])
    names = [image_files(t.data_unit.files)[0]["name"] for t in tasks]
    images = [{"id": i + 1, "file_name": name, "width": 320, "height": 240} for i, name in enumerate(names)]
    images.append({"id": 99, "file_name": "not_a_unit.png", "width": 320, "height": 240})
    annotations = [
        {"id": i + 1, "image_id": i + 1, "category_id": 1, "bbox": [10 + i, 20, 30, 40], "area": 1200,
         "iscrowd": 0}
        for i in range(len(names))
    ]
    annotations.append({"id": 50, "image_id": 99, "category_id": 1, "bbox": [1, 1, 2, 2], "area": 4,
                        "iscrowd": 0})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instances.json").write_text(json.dumps({
        "images": images, "annotations": annotations,
        "categories": [{"id": 1, "name": "car", "supercategory": ""}],
    }))
    return tasks


def _writes(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method in ("PUT", "POST", "PATCH", "DELETE")]


def test_dry_run_reports_and_writes_nothing(emu: Any, client: Any, tmp_path: Path) -> None:
    tasks = _predictions(client, tmp_path / "preds")
    emu.requests.clear()
    report = client.projects.get(1).import_annotations(tmp_path / "preds", format="coco", dry_run=True)
    assert report.dry_run and not report.ok
    assert sorted(report.changed) == sorted(t.id for t in tasks) and report.written == ()
    assert len(report.unmatched) == 1 and report.unmatched[0].startswith("not_a_unit.png")
    assert _writes(emu) == []
    assert all(not client.tasks.get(t.id).annotations for t in tasks)


def test_import_twice_leaves_the_same_annotations(emu: Any, client: Any, tmp_path: Path) -> None:
    tasks = _predictions(client, tmp_path / "preds")
    project = client.projects.get(1)
    first = project.import_annotations(tmp_path / "preds", format="coco", match="file_name", mode="merge")
    assert sorted(first.written) == sorted(t.id for t in tasks) and not first.failed
    after_first = {t.id: client.tasks.get(t.id).annotations for t in tasks}
    for task in tasks:
        [box] = after_first[task.id].objects()
        assert isinstance(box, ann.BoundingBox) and box.label == "car" and box.width == 30
    emu.requests.clear()
    second = project.import_annotations(tmp_path / "preds", format="coco", mode="merge")
    assert second.written == () and sorted(second.unchanged) == sorted(t.id for t in tasks)
    assert _writes(emu) == []
    assert {t.id: client.tasks.get(t.id).annotations for t in tasks} == after_first


def test_replace_mode_and_matching_by_task_id(client: Any, tmp_path: Path) -> None:
    task = client.projects.get(1).tasks.filter(status_label="completed").first()
    before = task.annotations
    media = before.media_ids[0]
    box = ann.BoundingBox(label="car", x=5, y=5, width=10, height=10)
    doc = ann.Document.from_objects([box], media="image_1", size=(320, 240))
    folder = tmp_path / "dm"
    folder.joinpath("json").mkdir(parents=True)
    folder.joinpath("json", f"{task.id}.json").write_text(json.dumps(doc.to_dm(version=2)))
    report = client.projects.get(1).import_annotations(folder, format="dm", match="task_id", mode="replace")
    assert report.written == (task.id,) and report.ok
    objects = client.tasks.get(task.id).annotations.objects(media)
    assert len(objects) == 1 and objects[0].label == "car"


def test_unknown_match_is_refused_before_any_request(client: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="match must be one of"):
        client.projects.get(1).import_annotations(tmp_path, match="guess")  # type: ignore[arg-type]
