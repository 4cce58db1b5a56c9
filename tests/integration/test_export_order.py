"""An export writes the same bytes whatever order the walk's rows come in, and a since= merge too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".synapse" not in p.relative_to(root).parts
    }


@pytest.mark.parametrize("format", ["coco", "dm"])
def test_descending_rows_give_the_files_and_report_of_ascending_ones(client: Any, tmp_path: Path,
                                                                     format: str) -> None:
    qs = client.projects.get(1).tasks.all()
    up = qs.order_by("id").export(format, tmp_path / "up", media=False)
    down = qs.order_by("-id").export(format, tmp_path / "down", media=False)

    assert _files(tmp_path / "up") == _files(tmp_path / "down")
    assert len(_files(tmp_path / "up")) > 0
    assert up.tasks == down.tasks and sorted(up.new_tasks) == sorted(down.new_tasks)
    assert sorted(map(repr, up.written)) == sorted(map(repr, down.written))
    assert up.audit == down.audit


def test_a_since_merge_over_staged_tasks_gives_the_files_of_one_whole_export(client: Any,
                                                                              tmp_path: Path) -> None:
    qs = client.projects.get(1).tasks.all()
    ids = sorted(t.id for t in qs)
    middle = ids[len(ids) // 2]
    whole = qs.export("coco", tmp_path / "whole", media=False)
    qs.export("coco", tmp_path / "merged", media=False)
    merged = qs.export("coco", tmp_path / "merged", media=False, since=middle)

    assert _files(tmp_path / "merged") == _files(tmp_path / "whole")
    assert merged.tasks == whole.tasks
    assert set(merged.new_tasks) == {i for i in ids if i > middle}


@pytest.mark.parametrize("format", ["dm", "voc"])  # written from the staged pages after the walk
def test_a_slice_that_cuts_pages_exports_the_tasks_of_the_slice_alone(client: Any, emu: Any, tmp_path: Path,
                                                                       format: str) -> None:
    qs = client.tasks.filter(project=1).order_by("id")
    ids = [t.id for t in qs[5:37]]
    emu.requests.clear()
    # Pages of 10: the slice starts and ends inside one.
    sliced = qs[5:37].export(format, tmp_path / "sliced", media=False, page_size=10)
    walked = [r.query for r in emu.requests.snapshot() if r.path.endswith("sdk/tasks/")]
    listed = qs.filter(id__in=ids).export(format, tmp_path / "listed", media=False)

    assert [q.get("page_size") for q in walked] == ["10"] * 4 and walked[-1].get("page") == "4"
    assert list(sliced.tasks) == ids == list(listed.tasks)
    assert _files(tmp_path / "sliced") == _files(tmp_path / "listed")
    assert len(_files(tmp_path / "sliced")) > 0


def test_an_export_walks_pages_of_its_own_size_not_the_clients(client: Any, emu: Any, tmp_path: Path) -> None:
    from synapse.services.export import PAGE_SIZE

    emu.requests.clear()
    report = client.tasks.filter(project=1).export("coco", tmp_path / "out", media=False)
    walked = [r.query for r in emu.requests.snapshot() if r.path.endswith("sdk/tasks/")]
    assert client.config.page_size == 100 and PAGE_SIZE == 500
    assert [q.get("page_size") for q in walked] == ["500"] and len(report.tasks) == 320


def test_an_export_page_size_below_one_is_refused_before_anything_is_written(client: Any, emu: Any,
                                                                              tmp_path: Path) -> None:
    emu.requests.clear()
    with pytest.raises(ValueError, match="page_size starts at 1, got -1"):
        client.tasks.filter(project=1).export("coco", tmp_path / "out", media=False, page_size=-1)
    assert not (tmp_path / "out").exists()
    assert emu.requests.snapshot() == []


def test_class_ids_follow_the_projects_configuration(client: Any, tmp_path: Path) -> None:
    import json

    from synapse import annotations as ann

    schema = ann.LabelSchema.from_configuration(client.projects.get(1).configuration)
    client.tasks.filter(project=1).export("coco", tmp_path / "out", media=False)
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_default.json").read_text())
    names = [c["name"] for c in coco["categories"]]
    assert names == list(schema.codes(("bounding_box", "polygon")))  # configuration order, not sorted
    assert names != sorted(names)
