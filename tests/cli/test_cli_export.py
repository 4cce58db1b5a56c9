"""`synapse export`, `synapse import` and `synapse convert`, in subprocesses against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from cli_run import Run


def test_export_writes_coco_and_prints_the_watermark(fresh_cli: Run, tmp_path: Path) -> None:
    dest = tmp_path / "coco"
    result = fresh_cli("export", "1", "--format", "coco", "--dest", str(dest), "-f", "status_label=completed",
                       "--no-media")
    assert result.returncode == 0, result.stderr
    assert "120 tasks" in result.stdout and "watermark: 120" in result.stdout
    coco = json.loads((dest / "annotations" / "instances_default.json").read_text())
    assert len(coco["images"]) == 120 and coco["annotations"]
    again = fresh_cli("export", "1", "--format", "coco", "--dest", str(dest), "-f", "status_label=completed",
                      "--no-media", "--since", "120", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["new_tasks"] == 0


def test_convert_coco_to_yolo_offline(fresh_cli: Run, bare_cli: Run, tmp_path: Path) -> None:
    fresh_cli("export", "1", "--format", "coco", "--dest", str(tmp_path / "coco"), "-f",
              "status_label=completed")
    src, dst = str(tmp_path / "coco"), str(tmp_path / "yolo")
    result = bare_cli("convert", "--from", "coco", "--to", "yolo", src, dst)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())
    assert "car" in data["names"].values()
    assert "audit:" in result.stdout


def test_import_dry_run_reports_unmatched_rows_with_status_1(fresh_cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "preds"
    folder.mkdir()
    (folder / "instances.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "nowhere.png", "width": 320, "height": 240}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0}],
        "categories": [{"id": 1, "name": "car"}],
    }))
    result = fresh_cli("import", "1", str(folder), "--format", "coco", "--dry-run")
    assert result.returncode == 1
    assert "1 unmatched" in result.stdout and "nowhere.png" in result.stderr
