"""CoreClientMixin and DataCollectionClientMixin against the emulator (uploads, files, units)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from synapse.clients.backend import BackendClient
from synapse.errors import NotFound, ValidationError


def _file(tmp_path: Path, name: str, size: int, seed: int = 0) -> Path:
    path = tmp_path / name
    path.write_bytes(bytes((i * 7 + seed) % 251 for i in range(size)))
    return path


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


# ---- CoreClientMixin ----
def test_create_chunked_upload_in_several_chunks(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, "weights.bin", 250_000)
    progress: list[tuple[int, Any]] = []
    upload = backend.create_chunked_upload(
        path, chunk_size=100_000, on_progress=lambda d, t: progress.append((d, t))
    )
    assert (
        upload["size"] == 250_000 and upload["checksum"] == _md5(path) and upload["filename"] == "weights.bin"
    )
    puts = sent("PUT")
    assert len(puts) == 3 and puts[0].path == "/chunked_upload/" and puts[0].files == {"file": 100_000}
    assert puts[0].headers["Content-Range"] == "bytes 0-99999/250000"
    assert puts[2].headers["Content-Range"] == "bytes 200000-249999/250000"
    (finish,) = sent("POST")
    assert finish.body == {"md5": _md5(path)} and finish.path == f"/chunked_upload/{upload['id']}/"
    assert progress[-1] == (250_000, 250_000)


def test_get_chunked_upload(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    upload = backend.create_chunked_upload(_file(tmp_path, "a.bin", 1000))
    state = backend.get_chunked_upload(upload["id"])
    assert state["id"] == upload["id"] and state["status"] == 2 and state["offset"] == 1000
    assert sent("GET")[-1].path == f"/chunked_upload/{upload['id']}/"
    with pytest.raises(NotFound):
        backend.get_chunked_upload("00000000-0000-4000-8000-00000000dead")


# ---- collections ----
def test_list_data_collections_and_the_older_name(backend: BackendClient, sent: Any) -> None:
    for page in (backend.list_data_collections(), backend.list_data_collection()):
        assert page["count"] == 1 and page["results"][0]["name"] == "Street scenes"
        assert page["results"][0]["file_specifications"][0]["name"] == "image"
    assert [r.path for r in sent()] == ["/data_collections/", "/data_collections/"]


def test_get_data_collection_expands_its_specifications(backend: BackendClient, sent: Any) -> None:
    collection = backend.get_data_collection(1)
    assert [s["name"] for s in collection["file_specifications"]] == ["image", "metadata"]
    assert sent()[0].query == {"expand": "file_specifications"}


# ---- data files ----
def test_create_data_file_direct(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, "frame.png", 5000)
    created = backend.create_data_file(path)
    assert created["checksum"] == _md5(path) and created["size"] == 5000 and created["file"]
    (record,) = sent()
    assert (record.method, record.path, record.files) == ("POST", "/data_files/", {"file": 5000})


def test_create_data_file_chunked(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    path = _file(tmp_path, "big.png", 3000)
    created = backend.create_data_file(path, use_chunked_upload=True)
    assert created["checksum"] == _md5(path)
    assert [r.method for r in sent()] == ["PUT", "POST", "POST"]
    final = sent()[-1]
    assert final.path == "/data_files/" and set(final.body) == {"chunked_upload"}


def test_create_data_file_missing_file(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        backend.create_data_file(tmp_path / "nope.png")
    assert sent() == []


def test_upload_data_file_returns_the_unit_body(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    image, meta = _file(tmp_path, "i.png", 100, 1), _file(tmp_path, "m.json", 50, 2)
    body = backend.upload_data_file({"files": {"image": image, "metadata": str(meta)}, "meta": {"k": 1}}, 1)
    assert body == {
        "files": {
            "image": {"checksum": _md5(image), "path": str(image)},
            "metadata": {"checksum": _md5(meta), "path": str(meta)},
        },
        "data_collection": 1,
        "meta": {"k": 1},
    }
    assert [r.path for r in sent()] == ["/data_files/", "/data_files/"]
    unit = backend.create_data_units(body)
    assert unit["files"]["image"]["checksum"] == _md5(image)


# ---- units ----
def test_create_data_units_one_and_many(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    checksum = backend.create_data_file(_file(tmp_path, "u.png", 64, 3))["checksum"]
    one = {
        "data_collection": 1,
        "files": {"image": {"checksum": checksum, "path": "u.png"}},
        "meta": {"n": 1},
    }
    unit = backend.create_data_units(one)
    assert isinstance(unit, dict) and unit["data_collection"] == 1 and unit["meta"] == {"n": 1}
    units = backend.create_data_units([one, {**one, "meta": {"n": 2}}])
    assert isinstance(units, list) and [u["meta"]["n"] for u in units] == [1, 2]
    single, many = sent("POST", "/data_units/")
    assert single.body == one and many.body == [one, {**one, "meta": {"n": 2}}]


def test_create_data_units_refusals(backend: BackendClient, sent: Any) -> None:
    with pytest.raises(ValidationError) as info:
        backend.create_data_units({"data_collection": 1})  # no files: the server says so
    assert "files" in info.value.errors and sent()[0].body == {"data_collection": 1}
    with pytest.raises(ValidationError) as info:
        backend.create_data_units({"data_collection": 1, "files": {"nope": {"checksum": "0" * 32}}})
    assert info.value.status_code == 400 and info.value.errors


def test_get_data_unit(backend: BackendClient, sent: Any) -> None:
    unit = backend.get_data_unit(5)
    assert unit["id"] == 5 and unit["files"]["image"]["url"].endswith(".png")
    backend.get_data_unit(5, params={"fields": "id"})
    first, second = sent()
    assert first.path == second.path == "/data_units/5/" and second.query == {"fields": "id"}


def test_list_data_units(backend: BackendClient, sent: Any) -> None:
    page = backend.list_data_units({"data_collection": 1, "page_size": 10})
    assert page["count"] == 320 and len(page["results"]) == 10
    assert sent()[0].query == {"data_collection": "1", "page_size": "10"}
    rows, count = backend.list_data_units(
        {"data_collection": 1, "page_size": 200}, {"files_fields": []}, True
    )
    assert count == 320 and sum(1 for _ in rows) == 320
    assert len(sent("GET", "/data_units/")) == 3


def test_verify_checksums_and_its_alias(backend: BackendClient, sent: Any) -> None:
    known = backend.get_data_unit(1)["files"]["image"]["checksum"]
    answer = backend.verify_data_files_checksums([known, "f" * 32])
    assert answer == {"existing_checksums": [known]}
    assert backend.data_files_verify_checksums(["f" * 32]) == {"existing_checksums": []}
    first, second = sent("POST")
    assert first.path == "/data_files/verify_checksums/" and first.body == {"checksums": [known, "f" * 32]}
    assert second.body == {"checksums": ["f" * 32]}


# ---- bulk upload ----
def test_upload_data_collection_with_tasks(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    data = [{"files": {"image": _file(tmp_path, f"{i}.png", 200 + i, i)}, "meta": {"i": i}} for i in range(5)]
    progress: list[Any] = []
    result = backend.upload_data_collection(
        1,
        data,
        project_id=2,
        batch_size=2,
        max_workers=2,
        on_progress=lambda done, total: progress.append((done, total)),
    )
    assert len(result["data_units"]) == 5 and all(isinstance(u, int) for u in result["data_units"])
    assert result["files_uploaded"] == 5 and result["tasks_created"] == 5
    assert len(sent("POST", "/data_units/")) == 3  # batches of 2
    assert backend.list_tasks({"project": 2})["count"] == 17
    assert progress and progress[-1] == (5, 5)
    again = backend.upload_data_collection(1, data, project_id=2)
    assert (
        again["files_skipped"] == 5
        and again["tasks_created"] == 0
        and again["data_units"] == result["data_units"]
    )


def test_upload_data_collection_raises_the_first_failure(backend: BackendClient, tmp_path: Path) -> None:
    good = {"files": {"image": _file(tmp_path, "ok.png", 10)}}
    bad = {"files": {"no_such_spec": _file(tmp_path, "bad.png", 11)}}
    with pytest.raises(ValidationError):
        backend.upload_data_collection(1, [good, bad])
    assert backend.verify_data_files_checksums([_md5(tmp_path / "ok.png")])["existing_checksums"]


def test_create_data_file_accepts_os_pathlike_and_str(backend: BackendClient, tmp_path: Path) -> None:
    path = _file(tmp_path, "s.png", 20)
    assert backend.create_data_file(os.fspath(path))["size"] == 20
