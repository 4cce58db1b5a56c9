"""Exports against the emulator: COCO pycocotools loads, resume after a fault, ``since=``, typed annotate."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from synapse import annotations as ann
from synapse.errors import ClientError

pytest.importorskip("pycocotools")
from pycocotools.coco import COCO

CREDENTIALS = ("synapse-access-token", "synapse-agent", "synapse-tenant", "authorization", "cookie")


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except the staging folder, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".synapse" not in p.relative_to(root).parts
    }


def _expected(tasks: list[Any]) -> tuple[Counter[str], int]:
    boxes = 0
    classes: Counter[str] = Counter()
    for task in tasks:
        for obj in task.annotations.objects():
            if isinstance(obj, (ann.BoundingBox, ann.Polygon)) and obj.label:
                classes[obj.label] += 1
                boxes += 1
    return classes, boxes


def test_coco_export_of_completed_tasks_loads_and_counts_match(client: Any, tmp_path: Path) -> None:
    qs = client.projects.get(1).tasks.filter(status_label="completed")
    report = qs.export("coco", tmp_path / "coco", workers=4)

    tasks = list(qs.order_by("id"))
    coco = COCO(str(tmp_path / "coco" / "annotations" / "instances_default.json"))
    assert len(coco.getImgIds()) == len(tasks) == 120
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    got = Counter(names[a["category_id"]] for a in coco.loadAnns(coco.getAnnIds()))
    classes, boxes = _expected(tasks)
    assert got == classes and len(coco.getAnnIds()) == boxes
    images = [w for w in report.written if w.path.startswith("images/")]
    assert len(images) == 120 and {w.task for w in images} == {t.id for t in tasks}
    assert all((tmp_path / "coco" / w.path).is_file() for w in report.written)
    assert report.watermark == max(t.id for t in tasks)
    assert report.downloaded == 120


def test_an_export_stopped_by_a_failed_download_resumes_to_identical_files(emu: Any, client: Any,
                                                                           tmp_path: Path) -> None:
    qs = client.projects.get(1).tasks.filter(status_label="completed")
    fault = emu.faults.fail("media/data_files/41/*", status=500, times=1)
    with pytest.raises(ClientError):
        qs.export("yolo", tmp_path / "a", workers=4, splits={"train": 0.8, "val": 0.2})
    assert fault.hits == 1
    staged = len(list((tmp_path / "a" / ".synapse" / "media").glob("*.png")))
    resumed = qs.export("yolo", tmp_path / "a", workers=4, splits={"train": 0.8, "val": 0.2})
    assert resumed.downloaded == 120 - staged < 120
    whole = qs.export("yolo", tmp_path / "b", workers=2, splits={"train": 0.8, "val": 0.2})
    assert whole.downloaded == 120
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    # data.yaml names its own folder (``path:``): the one line that differs between two folders
    yaml_a, yaml_b = first.pop("data.yaml").splitlines(), second.pop("data.yaml").splitlines()
    assert yaml_a[1:] == yaml_b[1:] and yaml_a[0].startswith(b"path:")
    assert first == second and len(first) == 240  # 120 images, 120 label files
    again = qs.export("yolo", tmp_path / "b", workers=2, splits={"train": 0.8, "val": 0.2})
    assert again.downloaded == 0
    assert {k: v for k, v in _files(tmp_path / "b").items() if k != "data.yaml"} == second


def test_other_arguments_into_the_same_folder_are_refused(client: Any, tmp_path: Path) -> None:
    qs = client.projects.get(1).tasks.filter(status_label="completed")[:3]
    qs.export("coco", tmp_path / "out", media=False)
    with pytest.raises(ValueError, match="other arguments"):
        qs.export("yolo", tmp_path / "out", media=False)


def test_since_exports_only_the_new_tasks_and_merges_them(emu: Any, client: Any, tmp_path: Path) -> None:
    project = client.projects.get(1)
    qs = project.tasks.filter(id__lte=400)
    first = qs.export("coco", tmp_path / "out", media=False)
    coco_path = tmp_path / "out" / "annotations" / "instances_default.json"
    before = len(json.loads(coco_path.read_text())["images"])
    created = project.tasks.bulk_create(data_units=[1, 2])
    box = ann.BoundingBox(label="car", x=1, y=2, width=30, height=40, attrs={"occluded": "no"})
    for task in created:
        task.annotate(ann.Document.from_objects([box], media="image", size=(320, 240)))
    emu.requests.clear()
    second = qs.export("coco", tmp_path / "out", media=False, since=first.watermark)
    assert sorted(second.new_tasks) == sorted(t.id for t in created)
    assert second.watermark == max(t.id for t in created)
    assert list(second.tasks) == sorted([*first.tasks, *second.new_tasks])
    listed = [r for r in emu.requests if r.path.endswith("sdk/tasks/")]
    assert listed and all(r.query.get("id__gt") == str(first.watermark) for r in listed)
    coco = json.loads(coco_path.read_text())
    assert len(coco["images"]) == before + 2
    names = {i["file_name"] for i in coco["images"]}
    assert names >= {"1_unit_1.png", "2_unit_2.png"}  # units exported twice get prefixed names
    full = qs.export("coco", tmp_path / "full", media=False)
    assert _files(tmp_path / "full") == _files(tmp_path / "out")
    assert full.watermark == second.watermark


def test_ground_truth_version_exports_with_its_categories_as_splits(client: Any, tmp_path: Path) -> None:
    version = client.ground_truth_versions.get(1)
    events = list(version.events.all())
    with ThreadPoolExecutor(2) as pool:
        report = version.export("coco", tmp_path / "gt", executor=pool)
    names = {p.name for p in (tmp_path / "gt" / "annotations").iterdir()}
    categories = {e.category for e in events}
    wanted = {{"validation": "val"}.get(c, c) for c in categories}
    assert {f"instances_{s}.json" for s in wanted} <= names
    assert report.watermark == max(e.pgh_id for e in events)


def test_annotations_and_typed_annotate(client: Any) -> None:
    task = client.projects.get(1).tasks.filter(status_label="completed").first()
    doc = task.annotations
    assert isinstance(doc, ann.Document) and doc.objects()
    media = doc.media_ids[0]
    box = ann.BoundingBox(label="car", x=10, y=20, width=30, height=40, attrs={"occluded": "no"})
    task.annotate(doc.add(media, box))
    assert len(task.annotations.objects(media)) == len(doc.objects(media)) + 1
    task.annotate([box])
    assert [type(o) for o in task.annotations.objects(media)] == [ann.BoundingBox]
    assert task.annotations.objects(media)[0].label == "car"
    task.annotate(doc.to_dm(version=1))
    assert task.annotations == doc


def test_annotations_of_a_task_without_data_is_an_empty_document(client: Any) -> None:
    task = client.projects.get(1).tasks.create(data_unit=3)
    assert task.data is None
    assert task.annotations == ann.Document() and not task.annotations


def test_media_on_a_storage_origin_are_fetched_without_credentials(synapse_emulator_factory: Any,
                                                                   tmp_path: Path) -> None:
    from synapse.testing import connect

    emu = synapse_emulator_factory(storage_origin=True)
    with connect(emu) as client:
        qs = client.projects.get(1).tasks.filter(status_label="completed")[:5]
        report = qs.export("voc", tmp_path / "voc", workers=3)
    assert report.downloaded == 5 and len(emu.storage_requests) == 5
    for request in emu.storage_requests:
        leaked = [h for h in request.headers if h.lower() in CREDENTIALS]
        assert leaked == [], f"{request.path} received {leaked}"
    assert len(list((tmp_path / "voc" / "JPEGImages").iterdir())) == 5


def test_media_download_on_a_dask_cluster_gives_the_same_files(client: Any, tmp_path: Path) -> None:
    import distributed

    qs = client.projects.get(1).tasks.filter(status_label="completed", id__lte=40)
    threads = qs.export("coco", tmp_path / "threads", workers=4)
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                       dashboard_address=None)
    with cluster, distributed.Client(cluster) as dask_client:
        # The transport travels to the worker processes as its configuration; files land on disk.
        on_dask = qs.export("coco", tmp_path / "dask", executor=dask_client.get_executor())
    assert on_dask.downloaded == threads.downloaded > 0
    assert _files(tmp_path / "dask") == _files(tmp_path / "threads")
