"""Data collections, files and units against the emulator (demo seed: collection 1, units 1-320)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from synapse import DataCollection, DataFile, DataUnit, FileSpecification, MethodNotAllowed, ValidationError


def records(emu: Any) -> list[Any]:
    return list(emu.requests.snapshot())


def test_collection_get_expands_file_specifications(client: Any, emu: Any) -> None:
    collection = client.data_collections.get(1)
    assert isinstance(collection, DataCollection) and collection.name == "Street scenes"
    assert records(emu)[0].query == {"expand": "file_specifications"}
    specs = collection.file_specifications
    assert [s.name for s in specs] == ["image", "metadata"]
    assert all(isinstance(s, FileSpecification) for s in specs)
    assert specs[0].is_required and specs[0].is_primary
    assert repr(specs[0]).startswith("<FileSpecification 1 'image'")


def test_collection_units_filter(client: Any, emu: Any) -> None:
    collection = client.data_collections.get(1, lazy=True)
    units = collection.data_units.filter(id__in=[1, 2])
    assert units.count() == 2
    assert records(emu)[-1].path == "/data_units/" and records(emu)[-1].query["data_collection"] == "1"
    unit = next(iter(collection.data_units.order_by("id")))
    assert isinstance(unit, DataUnit) and unit.data_collection.id == 1
    assert set(unit.files) == {"image", "metadata"}


def test_collection_create_save_delete(client: Any, emu: Any) -> None:
    with pytest.raises(ValidationError, match="name"):
        client.data_collections.create(description="no name")
    assert records(emu) == []
    collection = client.data_collections.create(name="New", category="image")
    assert collection.name == "New" and records(emu)[-1].body == {"name": "New", "category": "image"}
    collection.description = "changed"
    collection.save()
    assert records(emu)[-1].body == {"description": "changed"}
    collection.delete()
    last = records(emu)[-1]
    assert (last.method, last.path) == ("DELETE", f"/data_collections/{collection.id}/")


def test_data_files_create_and_verify_checksums(client: Any, emu: Any, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello synapse")
    data_file = client.data_files.create(path)
    assert isinstance(data_file, DataFile)
    assert data_file.checksum == hashlib.md5(b"hello synapse").hexdigest() and data_file.size == 13
    unknown = "0" * 32
    assert client.data_files.verify_checksums([data_file.checksum, unknown]) == [data_file.checksum]
    post = records(emu)[-1]
    assert post.path == "/data_files/verify_checksums/"
    assert post.body == {"checksums": [data_file.checksum, unknown]}
    with pytest.raises(TypeError):
        client.data_files.verify_checksums([1])
    with pytest.raises(AttributeError, match="read one by one"):
        client.data_files.get(1)
    with pytest.raises(MethodNotAllowed, match="cannot be listed"):
        client.data_files.count()


def test_data_file_download(client: Any, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"\x00\x01payload")
    data_file = client.data_files.create(source)
    written = data_file.download(tmp_path / "out")
    assert written.read_bytes() == b"\x00\x01payload"


def test_data_units_create_and_bulk_create(client: Any, emu: Any, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png-ish bytes")
    checksum = client.data_files.create(tmp_path / "x.png").checksum
    files = {"image": {"checksum": checksum, "path": "x.png"}}
    unit = client.data_units.create(data_collection=1, files=files, meta={"k": 1}, groups=["a"])
    assert isinstance(unit, DataUnit) and unit.data_collection_id == 1 and unit.meta == {"k": 1}
    emu.requests.clear()
    units = client.data_collections.get(1, lazy=True).data_units.bulk_create([{"files": files}] * 3)
    assert len(units) == 3
    (post,) = records(emu)
    assert post.path == "/data_units/" and len(post.body) == 3 and post.body[0]["data_collection"] == 1
    with pytest.raises(ValidationError, match="files"):
        client.data_units.create(data_collection=1)


def test_collection_upload_and_unit_download(client: Any, tmp_path: Path) -> None:
    image = tmp_path / "pic.png"
    image.write_bytes(b"\x89PNG fake image")
    collection = client.data_collections.get(1)
    unit = collection.upload(files={"image": image}, meta={"source": "test"})
    assert isinstance(unit, DataUnit) and unit.meta == {"source": "test"}
    written = unit.download(tmp_path / "dl")
    assert set(written) == {"image"} and written["image"].read_bytes() == b"\x89PNG fake image"


def test_collection_upload_many(client: Any, tmp_path: Path) -> None:
    items = []
    for i in range(3):
        path = tmp_path / f"{i}.png"
        path.write_bytes(f"image {i}".encode())
        items.append({"files": {"image": path}, "meta": {"i": i}})
    report = client.data_collections.get(1, lazy=True).upload_many(items, project=2, workers=2)
    assert report.ok and len(report.data_units) == 3
    assert client.projects.get(2, lazy=True).tasks.count() == 12 + 3
