"""``synapse.datasets.DetectionDataset`` against the emulator: download, resume, reproduce, pickle, serve."""

from __future__ import annotations

import json
import multiprocessing
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import synapse
from synapse.datasets import DetectionDataset, NotDownloadedError
from synapse.emulator.seed import dm_document
from synapse.errors import ServerError, TransportError

pytest.importorskip("PIL.Image", reason="Pillow is the vision extra")
np = pytest.importorskip("numpy", reason="numpy is the vision extra")

SEED_CLASSES = ["car", "person", "bicycle", "traffic_sign", "road"]  # configuration order (§4)


def media_gets(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.path.startswith("/media/")]


def seed_boxes(unit: int) -> list[tuple[str, list[float]]]:
    """The detections of unit ``unit``'s scene: boxes as they are, the road polygon by its bounds."""
    doc = dm_document(unit)
    metas = {m["id"]: m for m in doc["annotations"]["image"]}
    out = []
    for row in doc["annotationsData"]["image"]:
        meta = metas[row["id"]]
        c = row["coordinate"]
        if meta["tool"] == "bounding_box":
            box = [c["x"], c["y"], c["x"] + c["width"], c["y"] + c["height"]]
        elif meta["tool"] == "polygon":
            xs, ys = [p["x"] for p in c], [p["y"] for p in c]
            box = [min(xs), min(ys), max(xs), max(ys)]
        else:
            continue
        out.append((meta["classification"]["class"], [float(v) for v in box]))
    return out


def comparable(target: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in target.items() if k not in ("file", "masks")}


def test_a_ground_truth_version_downloads_and_serves_its_items(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    ds = DetectionDataset(client.ground_truth_versions.get(1), cache_dir=tmp_path)
    with pytest.raises(NotDownloadedError, match=r"ds\.download\(\)"):
        len(ds)
    report = ds.download(workers=4, progress=False)
    assert (report.items, report.files, report.downloaded, report.skipped) == (60, 60, 60, 0)
    assert len(media_gets(emu)) == 60
    assert len(ds) == 60 and ds.is_cached()
    assert ds.labels == sorted(ds.labels) == ["bicycle", "car", "person", "road", "traffic_sign"]  # no schema
    for index in (0, 1, 9, 59):
        image, target = ds[index]
        assert image.mode == "RGB" and image.size == (320, 240)
        unit = target["ground_truth_id"]  # the seed: ground truth i is unit i
        expected = seed_boxes(unit)
        assert [ds.labels[k] for k in target["labels"]] == [name for name, _ in expected]
        assert target["boxes"] == [box for _, box in expected]
        assert all(isinstance(v, float) for box in target["boxes"] for v in box)
        assert target["task_id"] is None and target["category"] in ("train", "validation", "test")
        assert Path(target["file"]).parent == tmp_path / "files"
    assert [ds.item(i)["ground_truth_id"] for i in range(60)] == list(range(1, 61))


def test_keypoints_follow_their_detection_in_the_schema_order(client: synapse.Client, tmp_path: Path) -> None:
    project = client.projects.get(1)
    ds = DetectionDataset(project.tasks.filter(status_label="completed"), cache_dir=tmp_path)
    ds.download(progress=False)
    assert ds.labels == SEED_CLASSES
    assert ds.keypoint_names == ["head", "neck", "left_hand", "right_hand", "left_foot", "right_foot"]
    index = next(i for i in range(len(ds)) if "person" in [o["label"] for o in ds.item(i)["objects"]])
    _, target = ds[index]
    person = target["labels"].index(SEED_CLASSES.index("person"))
    x1, y1, x2, y2 = target["boxes"][person]
    points = target["keypoints"][person]
    assert len(points) == 6 and all(v == 2.0 and x1 <= x <= x2 and y1 <= y <= y2 for x, y, v in points)
    assert all(p == [0.0, 0.0, 0.0] for k, row in enumerate(target["keypoints"]) if k != person for p in row)


def test_a_task_dataset_labels_by_the_project_configuration_and_leaves_out_unannotated_tasks(
    client: synapse.Client, tmp_path: Path
) -> None:
    qs = client.projects.get(1).tasks.filter(id__lte=150)  # 1-120 annotated, 121-150 not
    ds = DetectionDataset(qs, cache_dir=tmp_path, labels=None)
    report = ds.download(progress=False)
    assert report.items == 120 and report.left_out == {"no annotation": 30} == ds.left_out
    assert [ds.item(i)["task_id"] for i in range(len(ds))] == list(range(1, 121))  # ordered by id
    _, target = ds[0]
    assert target["task_id"] == 1
    pairs = zip(target["labels"], target["boxes"], strict=True)
    assert [(ds.labels[k], box) for k, box in pairs] == seed_boxes(1)


def test_explicit_labels_keep_only_those_classes(client: synapse.Client, tmp_path: Path) -> None:
    ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path, labels=["car", "person"])
    ds.download(progress=False)
    assert ds.labels == ["car", "person"]
    for i in range(len(ds)):
        _, target = ds[i]
        wanted = [box for name, box in seed_boxes(target["ground_truth_id"]) if name in ("car", "person")]
        assert target["boxes"] == wanted and set(target["labels"]) <= {0, 1}


def test_masks_are_arrays_of_each_detection_only_when_asked(client: synapse.Client, tmp_path: Path) -> None:
    version = client.ground_truth_versions.get(2)
    plain = DetectionDataset(version, cache_dir=tmp_path)
    plain.download(progress=False)
    assert "masks" not in plain[0][1]
    ds = DetectionDataset(version, cache_dir=tmp_path, masks=True)
    assert len(ds) == 20  # the manifest written by the first is read: no download needed
    _, target = ds[0]
    masks = target["masks"]
    assert isinstance(masks, np.ndarray) and masks.dtype == np.uint8
    assert masks.shape == (len(target["boxes"]), 240, 320)
    for k, (x1, y1, x2, y2) in enumerate(target["boxes"]):
        if ds.labels[target["labels"][k]] == "road":  # a polygon: inside its box, less than all of it
            assert 0 < masks[k].sum() < (x2 - x1) * (y2 - y1)
        else:
            assert masks[k].sum() == (x2 - x1) * (y2 - y1)
            assert masks[k, int(y1), int(x1)] == 1 and masks[k, int(y1) - 1, int(x1)] == 0


def test_transform_is_applied_to_image_and_target(client: synapse.Client, tmp_path: Path) -> None:
    def flip(image: Any, target: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        width = image.size[0]
        target["boxes"] = [[width - x2, y1, width - x1, y2] for x1, y1, x2, y2 in target["boxes"]]
        return image.transpose(0), target

    version = client.ground_truth_versions.get(2)
    DetectionDataset(version, cache_dir=tmp_path).download(progress=False)
    plain = DetectionDataset(version, cache_dir=tmp_path)
    flipped = DetectionDataset(version, cache_dir=tmp_path, transform=flip)
    (image, target), (image_f, target_f) = plain[3], flipped[3]
    assert target_f["boxes"][0] == [320 - target["boxes"][0][2], target["boxes"][0][1],
                                    320 - target["boxes"][0][0], target["boxes"][0][3]]
    assert image_f.getpixel((0, 120)) == image.getpixel((319, 120))


def test_an_interrupted_download_resumes_with_only_the_missing_files(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    ds = DetectionDataset(client.ground_truth_versions.get(1), cache_dir=tmp_path)
    emu.faults.fail("media/*", status=500, times=7)  # seven file requests fail; the rest go through
    with pytest.raises(ServerError) as raised:
        ds.download(workers=4, progress=False)
    assert "7 of 60 files to fetch failed" in "\n".join(raised.value.__notes__)
    assert "ds.download() again fetches only the missing ones" in raised.value.__notes__[0]
    assert len(ds) == 60 and not ds.is_cached()
    missing = [i for i in range(60) if not ds.is_cached(i)]
    assert len(missing) == 7
    with pytest.raises(NotDownloadedError, match=rf"item {missing[0]} .* run ds\.download\(\) first"):
        ds[missing[0]]
    assert not list((tmp_path / "files" / ".partial").iterdir())  # nothing half-written is left

    emu.requests.clear()
    report = ds.download(workers=4, progress=False)
    assert (report.downloaded, report.skipped) == (7, 53)
    assert len(media_gets(emu)) == 7 and ds.is_cached()
    emu.requests.clear()
    assert ds.download(progress=False).downloaded == 0 and media_gets(emu) == []


def test_a_file_that_does_not_match_its_checksum_is_not_kept(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    with emu.store.write() as db:
        db.execute("UPDATE ground_truth_events SET files = json_set(files, '$.image.checksum', ?) "
                   "WHERE version = 2 AND id = 3", ("0" * 32,))
    ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path)
    with pytest.raises(TransportError, match="does not match its checksum"):
        ds.download(progress=False)
    assert not (tmp_path / "files" / f"{'0' * 32}.png").exists()
    assert sum(ds.is_cached(i) for i in range(len(ds))) == 19


def test_two_datasets_over_one_ground_truth_version_are_identical(
    client: synapse.Client, tmp_path: Path
) -> None:
    version = client.ground_truth_versions.get(1)
    first = DetectionDataset(version, cache_dir=tmp_path / "a")
    second = DetectionDataset(client.ground_truth_versions.get(1), cache_dir=tmp_path / "b")
    first.download(progress=False)
    second.download(workers=1, progress=False)
    assert first.labels == second.labels and len(first) == len(second) == 60
    for i in range(60):
        assert first.item(i) == second.item(i)
        (image_a, target_a), (image_b, target_b) = first[i], second[i]
        assert comparable(target_a) == comparable(target_b)
        assert image_a.tobytes() == image_b.tobytes()
    train = first.split("train")
    assert 0 < len(train) < 60 and all(train[i][1]["category"] == "train" for i in range(len(train)))
    only_test = DetectionDataset(version, cache_dir=tmp_path / "a", category="test")
    only_test.download(progress=False)
    assert [only_test.item(i) for i in range(len(only_test))] == [
        first.item(i) for i in range(60) if first.item(i)["category"] == "test"]


def test_a_pickled_dataset_serves_items_in_a_fresh_process_with_no_server(
    synapse_emulator_factory: Any, tmp_path: Path
) -> None:
    emu = synapse_emulator_factory()
    with synapse.Client(base_url=emu.url, api_token=emu.token) as client:
        ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path / "cache")
        ds.download(progress=False)
    expected = [comparable(ds[i][1]) for i in range(len(ds))]
    blob = pickle.dumps(ds)
    assert emu.token.encode() not in blob and b"Synapse-Access-Token" not in blob
    (tmp_path / "ds.pickle").write_bytes(blob)
    emu.close()  # no server from here on

    script = textwrap.dedent("""
        import json, pickle, sys
        ds = pickle.loads(open(sys.argv[1], "rb").read())
        targets = []
        for i in range(len(ds)):
            image, target = ds[i]
            assert image.size == (320, 240)
            targets.append({k: v for k, v in target.items() if k not in ("file", "masks")})
        try:
            ds.download()
        except FileNotFoundError as exc:
            refused = str(exc)
        print(json.dumps({"targets": targets, "refused": refused, "modules": sorted(
            m for m in sys.modules if m in ("requests", "synapse.client", "synapse.transport"))}))
    """)
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "ds.pickle")], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    answer = json.loads(out)
    assert answer["targets"] == expected
    assert "has no source" in answer["refused"]
    assert answer["modules"] == []  # serving items loads neither the client nor HTTP

    opened = DetectionDataset.from_cache(ds.manifest_path.parent)
    assert len(opened) == 20 and comparable(opened[5][1]) == expected[5]


def _read(args: tuple[bytes, int]) -> list[list[float]]:
    blob, index = args
    ds = pickle.loads(blob)
    return ds[index][1]["boxes"]  # type: ignore[no-any-return]


def test_worker_processes_read_items_from_the_cache_only(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    """The DataLoader contract without torch: the dataset pickled into 2 spawned workers, no request."""
    ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path)
    ds.download(progress=False)
    blob = pickle.dumps(ds)
    emu.requests.clear()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        boxes = pool.map(_read, [(blob, i) for i in range(len(ds))])
    assert boxes == [ds[i][1]["boxes"] for i in range(len(ds))]
    assert list(emu.requests) == []


def _collate(batch: list[Any]) -> tuple[Any, ...]:
    return tuple(zip(*batch, strict=True))


def test_a_torch_dataloader_with_two_workers(emu: Any, client: synapse.Client, tmp_path: Path) -> None:
    torch_data = pytest.importorskip("torch.utils.data", reason="no torch (the test above covers it)")
    ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path)
    ds.download(progress=False)
    emu.requests.clear()
    loader = torch_data.DataLoader(ds, batch_size=4, num_workers=2, collate_fn=_collate,
                                   multiprocessing_context="spawn")
    seen = [t["ground_truth_id"] for _, targets in loader for t in targets]
    assert seen == [ds.item(i)["ground_truth_id"] for i in range(len(ds))]
    assert list(emu.requests) == []


def test_what_a_dataset_refuses(client: synapse.Client, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="task QuerySet"):
        DetectionDataset(client.projects.all(), cache_dir=tmp_path)
    ds = DetectionDataset(client.ground_truth_versions.get(2), cache_dir=tmp_path)
    with pytest.raises(NotDownloadedError, match=r"run ds\.download\(\) first"):
        ds[0]
    with pytest.raises(ValueError, match="workers"):
        ds.download(workers=0)
    with pytest.raises(NotDownloadedError, match="no dataset manifest"):
        DetectionDataset.from_cache(tmp_path / "nothing")
    ds.download(progress=False)
    with pytest.raises(IndexError):
        ds[20]
    assert ds[-1][1] == ds[19][1]
