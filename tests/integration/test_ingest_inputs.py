"""What upload_many and upload_folder take: paths, any iterable; wrong inputs refused before a request."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse import Client
from synapse.errors import ValidationError
from synapse.resources.data import DataCollection
from synapse.services.ingest import upload_many


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


def make_collection(client: Client, *specs: tuple[str, bool]) -> DataCollection:
    body = {
        "name": "inputs", "category": "image",
        "file_specifications": [
            {"name": name, "file_type": "image", "is_required": required, "is_primary": i == 0}
            for i, (name, required) in enumerate(specs)
        ],
    }
    created = client.transport.request("POST", "data_collections/", json=body)
    return client.data_collections.get(int(created["id"]), lazy=True)


@pytest.fixture
def collection(synapse_client: Client, synapse_emulator: Any) -> DataCollection:
    """One required spec (``image``) and an optional one (``meta``); the request log starts empty."""
    found = make_collection(synapse_client, ("image", True), ("meta", False))
    synapse_emulator.requests.clear()
    return found


@pytest.fixture
def two_required(synapse_client: Client, synapse_emulator: Any) -> DataCollection:
    found = make_collection(synapse_client, ("left", True), ("right", True))
    synapse_emulator.requests.clear()
    return found


WRITTEN: dict[str, str] = {}  # the MD5 of each file ``write`` made -> its name


def write(folder: Path, *names: str) -> list[Path]:
    """Files whose content says their name (distinct names, distinct checksums)."""
    paths = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = f"bytes of {name}".encode()
        path.write_bytes(content)
        WRITTEN[hashlib.md5(content).hexdigest()] = path.name
        paths.append(path)
    return paths


def unit_paths(client: Client, report: Any) -> list[str]:
    """The name of the file each item's unit carries as ``image``, in report order (by checksum)."""
    out = []
    for unit_id in report.data_units:
        checksum = client.transport.request("GET", f"data_units/{unit_id}/")["files"]["image"]["checksum"]
        out.append(WRITTEN[checksum])
    return out


def uploads(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method != "GET"]


# ---------------------------------------------------------------- what is taken


def test_plain_paths_fill_the_only_required_spec(
    synapse_client: Client, collection: DataCollection, tmp_path: Path
) -> None:
    a, b = write(tmp_path, "a.png", "b.png")
    report = collection.upload_many([a, str(b)])
    assert report.ok, report.errors
    assert len(set(report.data_units)) == 2
    assert unit_paths(synapse_client, report) == ["a.png", "b.png"]
    for unit_id in report.data_units:
        assert set(synapse_client.data_units.get(unit_id).files) == {"image"}


def test_a_glob_generator_is_taken_and_consumed_once(
    synapse_client: Client, collection: DataCollection, tmp_path: Path
) -> None:
    write(tmp_path / "imgs", "1.png", "2.png", "3.png", "notes.txt")
    pulled: list[Path] = []

    def paths() -> Iterator[Path]:
        for path in sorted(Path(tmp_path / "imgs").glob("*.png")):
            pulled.append(path)
            yield path

    report = collection.upload_many(paths(), workers=2)
    assert report.ok, report.errors
    assert len(report.items) == 3 and len(pulled) == 3
    assert unit_paths(synapse_client, report) == ["1.png", "2.png", "3.png"]
    glob_report = collection.upload_many(Path(tmp_path / "imgs").glob("*.png"))
    assert glob_report.ok and len(glob_report.items) == 3
    assert all(r.existed for r in glob_report.items)  # same files: found, not created again


def test_paths_and_mappings_mix_and_spec_names_the_spec(
    synapse_client: Client, collection: DataCollection, tmp_path: Path
) -> None:
    a, b, m = write(tmp_path, "a.png", "b.png", "m.json")
    report = collection.upload_many([a, {"files": {"image": b, "meta": m}, "meta": {"k": 1}}], spec="image")
    assert report.ok, report.errors
    second = synapse_client.data_units.get(report.data_units[1])
    assert set(second.files) == {"image", "meta"} and second.meta == {"k": 1}


def test_spec_picks_among_two_required_only_when_they_can_be_filled(
    synapse_emulator: Any, two_required: DataCollection, tmp_path: Path
) -> None:
    (a,) = write(tmp_path, "a.png")
    with pytest.raises(ValidationError, match="plain paths need spec="):
        two_required.upload_many([a])
    with pytest.raises(ValidationError, match="also requires 'right'"):
        two_required.upload_many([a], spec="left")
    assert uploads(synapse_emulator) == []  # only the collection was read


def test_a_spec_the_collection_lacks_is_refused_before_any_upload(
    synapse_emulator: Any, collection: DataCollection, tmp_path: Path
) -> None:
    (a,) = write(tmp_path, "a.png")
    with pytest.raises(ValidationError, match=r"'thumb' is not a file specification .*image, meta") as info:
        collection.upload_many([a], spec="thumb")
    assert "spec" in info.value.errors
    assert [(r.method, r.path) for r in synapse_emulator.requests] == [
        ("GET", f"/data_collections/{collection.id}/")
    ]


# ---------------------------------------------------------------- what is refused, before any request


@pytest.mark.parametrize("items", ["imgs", b"imgs", Path("imgs")], ids=["str", "bytes", "path"])
def test_a_single_path_instead_of_items_is_a_type_error(
    synapse_emulator: Any, collection: DataCollection, items: Any
) -> None:
    with pytest.raises(TypeError, match=r"an iterable of items, not a single .*upload_folder"):
        collection.upload_many(items)
    assert list(synapse_emulator.requests) == []


def test_a_single_mapping_or_a_number_is_a_type_error(
    synapse_emulator: Any, collection: DataCollection, tmp_path: Path
) -> None:
    (a,) = write(tmp_path, "a.png")
    with pytest.raises(TypeError, match="not a single mapping: pass \\[item\\]"):
        collection.upload_many({"files": {"image": a}})
    with pytest.raises(TypeError, match="not int"):
        collection.upload_many(5)  # type: ignore[arg-type]
    assert list(synapse_emulator.requests) == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (5, r"item 1: expected a path .* got int"),
        (b"c.png", r"item 1: expected a path .* got bytes"),
        ({"file": {"image": "a.png"}}, r"item 1: unknown key 'file' \(did you mean 'files'\?\)"),
        ({"meta": {}}, r"item 1: a mapping item needs 'files'"),
        ({"files": ["a.png"]}, r"item 1: 'files' must be a mapping .* got list"),
        ({"files": {1: "a.png"}}, r"item 1: a spec name must be a str, got int"),
        ({"files": {"image": 7}}, r"item 1: files\['image'\] must be a path .* got int"),
        ({"files": {"image": "a.png"}, "meta": [1]}, r"item 1: 'meta' must be a mapping or None, got list"),
        ({"files": {"image": "a.png"}, "groups": "x"}, r"item 1: 'groups' must be a list of str, got str"),
    ],
    ids=["int", "bytes", "unknown-key", "no-files", "files-list", "spec-int", "path-int", "meta", "groups"],
)
def test_a_wrong_item_is_a_type_error_and_nothing_is_sent(
    synapse_emulator: Any, collection: DataCollection, tmp_path: Path, bad: Any, message: str
) -> None:
    (a,) = write(tmp_path, "a.png")

    def items() -> Iterator[Any]:
        yield a
        yield bad
        yield a

    with pytest.raises(TypeError, match=message):
        collection.upload_many(items())
    assert list(synapse_emulator.requests) == []


def test_a_spec_of_the_wrong_type_and_bad_numbers_send_nothing(
    synapse_emulator: Any, synapse_client: Client, collection: DataCollection, tmp_path: Path
) -> None:
    (a,) = write(tmp_path, "a.png")
    with pytest.raises(TypeError, match="spec must be a file specification's name"):
        collection.upload_many([a], spec=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="batch_size"):
        upload_many(synapse_client, collection.id, [a], batch_size=0)
    assert list(synapse_emulator.requests) == []


def test_a_failure_is_named_in_the_reports_repr(collection: DataCollection, tmp_path: Path) -> None:
    (a,) = write(tmp_path, "a.png")
    report = collection.upload_many([a, tmp_path / "gone.png"])
    assert [r.index for r in report.failed] == [1]
    assert "1 ok, 1 failed" in repr(report)
    assert "first failure: item 1: FileNotFoundError" in repr(report) and "gone.png" in repr(report)


# ---------------------------------------------------------------- upload_folder


def test_upload_folder_sorted_pattern_recursive_hidden_skipped(
    synapse_client: Client, collection: DataCollection, tmp_path: Path
) -> None:
    folder = tmp_path / "imgs"
    write(folder, "b.png", "a.png", "sub/c.png", "notes.txt", ".hidden.png", ".cache/d.png", "sub/.e.png")
    report = collection.upload_folder(folder)
    assert report.ok, report.errors
    assert unit_paths(synapse_client, report) == ["a.png", "b.png", "c.png"]

    flat = collection.upload_folder(str(folder), "*.png", recursive=False)
    assert unit_paths(synapse_client, flat) == ["a.png", "b.png"]
    assert all(r.existed for r in flat.items)

    texts = collection.upload_folder(folder, pattern="*.txt", spec="image")
    assert texts.ok and len(texts.items) == 1


def test_upload_folder_refuses_a_missing_folder_or_a_file_before_any_request(
    synapse_emulator: Any, collection: DataCollection, tmp_path: Path
) -> None:
    (a,) = write(tmp_path, "a.png")
    with pytest.raises(FileNotFoundError, match="no such folder") as missing:
        collection.upload_folder(tmp_path / "nope")
    assert missing.value.filename == str(tmp_path / "nope")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        collection.upload_folder(a)
    with pytest.raises(TypeError, match="folder's path"):
        collection.upload_folder(3)  # type: ignore[arg-type]
    assert list(synapse_emulator.requests) == []


def test_upload_folder_with_no_match_warns_and_reports_nothing(
    synapse_emulator: Any, collection: DataCollection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path, "a.jpg", ".b.png")
    with caplog.at_level(logging.WARNING, logger="synapse"):
        report = collection.upload_folder(tmp_path)
    assert report.items == [] and report.ok
    warnings = [r for r in caplog.records if r.name.startswith("synapse") and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "no file matches '*.png'" in warnings[0].getMessage()
    assert os.fspath(tmp_path) in warnings[0].getMessage()
    assert list(synapse_emulator.requests) == []
