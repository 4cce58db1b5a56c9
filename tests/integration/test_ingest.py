"""upload_unit and upload_many against the emulator: specs first, batches, reruns, process pools."""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from synapse import Client
from synapse.errors import ValidationError
from synapse.services.ingest import UploadReport, upload_many, upload_unit


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def collection(synapse_client: Client) -> int:
    body = {
        "name": "ingest",
        "category": "image",
        "file_specifications": [
            {"name": "image_1", "file_type": "image", "is_required": True, "is_primary": True},
            {"name": "meta", "file_type": "json", "is_required": False},
        ],
    }
    return int(synapse_client.transport.request("POST", "data_collections/", json=body)["id"])


@pytest.fixture
def project(synapse_client: Client) -> int:
    return int(synapse_client.transport.request("GET", "projects/")["results"][0]["id"])


def make_items(tmp_path: Path, n: int, prefix: str = "img") -> list[dict[str, Any]]:
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    items = []
    for i in range(n):
        image = folder / f"{prefix}{i}.png"
        image.write_bytes(f"{prefix} image {i}".encode() * 10)
        items.append({"files": {"image_1": image}, "meta": {"n": i}, "groups": ["set", f"g{i % 3}"]})
    return items


def units_of(client: Client, collection: int) -> list[dict[str, Any]]:
    return list(client.transport.iter_items("data_units/", {"data_collection": collection}))


def tasks_of(client: Client, project: int) -> list[dict[str, Any]]:
    return list(client.transport.iter_items("sdk/tasks/", {"project": project}))


def posts(emu: Any, prefix: str) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path.lstrip("/").startswith(prefix)]


# ---------------------------------------------------------------- upload_unit


def test_upload_unit_creates_the_unit_with_its_files(
    synapse_client: Client, collection: int, tmp_path: Path
) -> None:
    image, meta = tmp_path / "a.png", tmp_path / "a.json"
    image.write_bytes(b"\x89PNG...")
    meta.write_bytes(b'{"k": 1}')
    unit = upload_unit(synapse_client, collection, {"image_1": image, "meta": meta}, meta={"source": "cam"},
                       groups=["left"])
    assert unit["data_collection"] == collection
    assert unit["meta"] == {"source": "cam"}
    assert unit["files"]["image_1"]["checksum"] == hashlib.md5(b"\x89PNG...").hexdigest()
    assert unit["files"]["meta"]["checksum"] == hashlib.md5(b'{"k": 1}').hexdigest()
    assert unit["checksum"] == unit["files"]["image_1"]["checksum"]


def test_upload_unit_checks_spec_names_before_any_upload(
    synapse_client: Client, synapse_emulator: Any, collection: int, tmp_path: Path
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"x")
    with pytest.raises(ValidationError, match="'image_2' is not a file specification"):
        upload_unit(synapse_client, collection, {"image_1": image, "image_2": image})
    with pytest.raises(ValidationError, match="required file specification 'image_1' is missing"):
        upload_unit(synapse_client, collection, {"meta": image})
    with pytest.raises(FileNotFoundError):
        upload_unit(synapse_client, collection, {"image_1": tmp_path / "missing.png"})
    assert posts(synapse_emulator, "data_files") == []
    assert posts(synapse_emulator, "data_units") == []


# ---------------------------------------------------------------- upload_many


def test_upload_many_creates_units_in_batches_and_tasks(
    synapse_client: Client, synapse_emulator: Any, collection: int, project: int, tmp_path: Path
) -> None:
    items = make_items(tmp_path, 20)
    seen: list[tuple[int, int | None]] = []
    report = upload_many(synapse_client, collection, items, project=project, batch_size=7, workers=4,
                         progress=lambda d, t: seen.append((d, t)))
    assert isinstance(report, UploadReport)
    assert report.ok, report.errors
    assert report.files_uploaded == 20 and report.files_skipped == 0
    assert len(set(report.data_units)) == 20
    assert len(posts(synapse_emulator, "data_units")) == 3  # 7 + 7 + 6
    assert len(posts(synapse_emulator, "tasks")) == 3
    assert report.tasks_created == 20
    units = {u["id"]: u for u in units_of(synapse_client, collection)}
    assert set(units) == set(report.data_units)
    first = units[report.items[0].data_unit]  # type: ignore[index]
    assert first["meta"] == {"n": 0}
    assert first["files"]["image_1"]["checksum"] == hashlib.md5(b"img image 0" * 10).hexdigest()
    assert {t["data_unit"] for t in tasks_of(synapse_client, project)} >= set(report.data_units)
    assert seen[-1] == (20, 20)


def test_one_missing_file_does_not_lose_the_others(
    synapse_client: Client, collection: int, tmp_path: Path
) -> None:
    items = make_items(tmp_path, 12)
    items[5]["files"]["image_1"].unlink()
    items[8] = {"files": {"image_9": items[8]["files"]["image_1"]}}  # an unknown spec name
    report = upload_many(synapse_client, collection, items, workers=4)
    assert [r.index for r in report.failed] == [5, 8]
    assert isinstance(report.items[5].error, FileNotFoundError)
    assert isinstance(report.items[8].error, ValidationError)
    assert len(report.succeeded) == 10
    assert len(units_of(synapse_client, collection)) == 10
    assert "10 ok, 2 failed" in repr(report)


def test_rerun_after_an_interruption_creates_no_duplicates(
    synapse_client: Client, synapse_emulator: Any, collection: int, project: int, tmp_path: Path
) -> None:
    items = make_items(tmp_path, 25)
    state = {"units": 0}

    def hook(event: Any) -> None:  # after the first unit batch, the server stops taking units
        if event.method == "POST" and event.path.endswith("data_units/") and event.status == 201:
            state["units"] += 1
            if state["units"] == 1:
                synapse_emulator.faults.fail("data_units/", status=500, method="POST", times=None)

    synapse_client.transport.add_hook(hook)
    first = upload_many(synapse_client, collection, items, project=project, batch_size=10)
    assert len(first.succeeded) == 10 and len(first.failed) == 15
    synapse_emulator.faults.clear()

    again = upload_many(synapse_client, collection, items, project=project, batch_size=10)
    assert again.ok, again.errors
    assert again.files_uploaded == 0 and again.files_skipped == 25  # nothing sent twice
    assert [r.existed for r in again.items] == [True] * 10 + [False] * 15
    assert again.data_units[:10] == first.data_units[:10]
    units = units_of(synapse_client, collection)
    assert len(units) == 25
    ours = set(again.data_units)
    task_units = [t["data_unit"] for t in tasks_of(synapse_client, project) if t["data_unit"] in ours]
    assert sorted(task_units) == sorted(again.data_units)  # one task per unit, none twice

    third = upload_many(synapse_client, collection, items, project=project)
    assert third.ok and all(r.existed for r in third.items)
    assert third.tasks_created == 0 and third.files_uploaded == 0
    assert len(units_of(synapse_client, collection)) == 25


def test_files_the_server_has_are_not_sent(
    synapse_client: Client, synapse_emulator: Any, collection: int, tmp_path: Path
) -> None:
    items = make_items(tmp_path, 4)
    upload_unit(synapse_client, collection, items[0]["files"])
    before = len(posts(synapse_emulator, "data_files/"))
    report = upload_many(synapse_client, collection, items)
    assert report.files_skipped == 1 and report.files_uploaded == 3
    sent = [r for r in posts(synapse_emulator, "data_files/") if "verify" not in r.path]
    assert len(sent) - before == 3


def test_upload_many_with_a_process_pool(synapse_client: Client, collection: int, tmp_path: Path) -> None:
    items = make_items(tmp_path, 8)
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        report = upload_many(synapse_client, collection, items, executor=pool)
        assert pool.submit(abs, -1).result() == 1  # the caller's executor is left running
    assert report.ok, report.errors
    assert report.files_uploaded == 8
    assert len(units_of(synapse_client, collection)) == 8


def test_bad_arguments(synapse_client: Client, collection: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        upload_many(synapse_client, collection, [], batch_size=1001)
    with pytest.raises(ValueError, match="workers"):
        upload_many(synapse_client, collection, [], workers=0)


def test_upload_many_on_a_dask_local_cluster(
    synapse_client: Client, synapse_emulator: Any, collection: int, project: int, tmp_path: Path
) -> None:
    # The distributed path runs in every test run: the ``test`` extra installs dask[distributed].
    import distributed

    items = make_items(tmp_path, 12)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as dask_client:
        assert len(dask_client.scheduler_info()["workers"]) == 2
        executor = dask_client.get_executor()
        report = upload_many(synapse_client, collection, items, project=project, executor=executor)
        assert report.ok, report.errors
        assert report.files_uploaded == 12 and report.files_skipped == 0
        assert report.tasks_created == 12
        units = units_of(synapse_client, collection)
        assert sorted(u["id"] for u in units) == sorted(u for u in report.data_units if u is not None)
        sent = {r.path for r in synapse_emulator.requests if r.method == "POST" and "data_files" in r.path}
        assert sent  # the workers really posted the files

        again = upload_many(synapse_client, collection, items, project=project, executor=executor)
    assert again.ok, again.errors
    assert again.files_uploaded == 0 and again.files_skipped == 12  # nothing sent twice
    assert all(r.existed for r in again.items)
    assert again.data_units == report.data_units and again.tasks_created == 0
    assert len(units_of(synapse_client, collection)) == 12
