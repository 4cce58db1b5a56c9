"""The export service over an in-memory source: every image of a multi-file unit, stable names, splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from attrs import define

from synapse import annotations as ann
from synapse.http.pagination import Page
from synapse.services.export import export, image_files


@define
class _Unit:
    files: dict[str, Any]


@define
class _Task:
    id: int
    data_unit_id: int
    data: Any
    data_unit: _Unit


class _Rows:
    """What the service asks of a task QuerySet: ``filter(id__gt=)``, ``expand()``, ``raw_pages()``."""

    def __init__(self, tasks: list[_Task]) -> None:
        self.tasks = tasks

    def filter(self, id__gt: int) -> _Rows:
        return _Rows([t for t in self.tasks if t.id > id__gt])

    def expand(self, *names: str) -> _Rows:
        return self

    def raw_pages(self, page_size: int | None = None) -> Any:
        """One page of the rows as the server sends them with ``expand=data_unit``, with its body."""
        rows = [{"id": t.id, "data": t.data, "data_unit": {"id": t.data_unit_id, "files": t.data_unit.files}}
                for t in self.tasks]
        body = json.dumps({"count": len(rows), "next": None, "previous": None, "results": rows}).encode()
        yield Page(results=json.loads(body)["results"], count=len(rows), next=None, previous=None,
                   content=body)


def _file(n: int, primary: bool = False) -> dict[str, Any]:
    return {"url": f"http://h/media/{n}.png", "checksum": f"{n:032x}", "file_type": "image",
            "is_primary": primary}


def _two_image_task(task_id: int) -> _Task:
    box = ann.BoundingBox(label="car", x=1, y=2, width=3, height=4)
    doc = ann.Document(media={"image_1": [box], "image_2": [box]},
                       extra={"image_1": {"width": 32, "height": 24}, "image_2": {"width": 32, "height": 24}})
    files = {"image_2": _file(2), "image_1": _file(1, primary=True), "meta": {"url": "http://h/m.json",
                                                                            "file_type": "json"}}
    return _Task(task_id, 70 + task_id, doc.to_dm(version=1), _Unit(files))


def test_image_files_lists_images_primary_first() -> None:
    files = _two_image_task(1).data_unit.files
    assert [f["spec"] for f in image_files(files)] == ["image_1", "image_2"]
    assert image_files(files)[0]["name"] == "1.png"


def test_every_image_of_a_multi_file_unit_is_exported(tmp_path: Path) -> None:
    source = _Rows([_two_image_task(2), _two_image_task(1)])
    report = export(source, "coco", tmp_path, transport=None, media=False)  # type: ignore[arg-type]
    coco = json.loads((tmp_path / "annotations" / "instances_default.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == [
        "unit_71_image_1.png", "unit_71_image_2.png", "unit_72_image_1.png", "unit_72_image_2.png"]
    assert len(coco["annotations"]) == 4 and report.tasks == (1, 2) and report.watermark == 2


def test_splits_are_stable_and_since_adds_only_newer_tasks(tmp_path: Path) -> None:
    source = _Rows([_two_image_task(1), _two_image_task(2)])
    splits = {"train": 0.5, "val": 0.5}
    first = export(_Rows(source.tasks[:1]), "dm", tmp_path / "a", transport=None,  # type: ignore[arg-type]
                   media=False, splits=splits)
    second = export(source, "dm", tmp_path / "a", transport=None, media=False,  # type: ignore[arg-type]
                    splits=splits, since=first.watermark)
    assert second.new_tasks == (2,) and second.tasks == (1, 2)
    whole = export(source, "dm", tmp_path / "b", transport=None, media=False, splits=splits)  # type: ignore[arg-type]
    names = sorted(w.path for w in whole.written)
    assert names == sorted(w.path for w in second.written)
    for path in names:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()


def test_a_task_whose_data_is_not_dm_is_reported_not_fatal(tmp_path: Path) -> None:
    broken = _Task(3, 73, {"annotations": {"image_1": "not rows"}, "annotationsData": {}}, _Unit({}))
    report = export(_Rows([_two_image_task(1), broken]), "coco", tmp_path, transport=None,  # type: ignore[arg-type]
                    media=False)
    assert [(e.task, e.reason, e.outcome) for e in report.audit if e.task == 3][:1] == [
        (3, "unreadable_data", "skipped")]


def test_since_merges_with_a_staging_of_encoded_records_made_by_an_earlier_version(tmp_path: Path) -> None:
    import sqlite3

    source = _Rows([_two_image_task(1), _two_image_task(2)])
    first = export(_Rows(source.tasks[:1]), "dm", tmp_path / "a", transport=None, media=False)  # type: ignore[arg-type]
    # The staging as the previous version wrote it: a page of records encoded as one JSON list.
    task = source.tasks[0]
    record = {"task": 1, "unit": task.data_unit_id, "data": task.data, "split": None,
              "images": image_files(task.data_unit.files)}
    db = sqlite3.connect(tmp_path / "a" / ".synapse" / "items.sqlite")
    with db:
        db.execute("DROP TABLE pages")
        db.execute("CREATE TABLE pages (page INTEGER PRIMARY KEY, keys TEXT NOT NULL, records TEXT NOT NULL)")
        db.execute("INSERT INTO pages (keys, records) VALUES (?, ?)", ("[1]", json.dumps([record])))
    db.close()
    merged = export(source, "dm", tmp_path / "a", transport=None, media=False,  # type: ignore[arg-type]
                    since=first.watermark)
    whole = export(source, "dm", tmp_path / "b", transport=None, media=False)  # type: ignore[arg-type]
    assert merged.tasks == whole.tasks == (1, 2) and merged.new_tasks == (2,)
    for written in whole.written:
        assert (tmp_path / "a" / written.path).read_bytes() == (tmp_path / "b" / written.path).read_bytes()


@pytest.mark.parametrize("url, name", [
    ("http://h/media/a.png", "a.png"), ("https://h:8/x/y%20z.png?sig=1#f", "y z.png"),
    ("http://h/a/b.jpg?x=1", "b.jpg"), ("s3://bucket/k/c.png", "c.png"), ("/rel/a.png", "a.png"),
    ("http://[::1]:80/a/b.png", "b.png"), ("file:///tmp/x.png", "x.png"), ("http://h/dir/x%2Fy.png", "y.png"),
])  # fmt: skip
def test_image_files_name_each_file_by_the_last_segment_of_its_url_path(url: str, name: str) -> None:
    files = {"image_1": {"url": url, "file_type": "image"}}
    assert image_files(files)[0]["name"] == name
