"""Data-file checksums in the form the server uses (MD5, SHA-1, SHA-256), checked without a second read."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from synapse import Client
from synapse.errors import UploadError
from synapse.services.ingest import upload_many
from synapse.services.uploads.files import (
    RunningDigests,
    check_checksum,
    digest_algorithm,
    file_digests,
)
from synapse.services.uploads.service import UploadService
from synapse.testing import connect

CHUNK = 64 * 1024


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


def make_client(factory: Any, checksum: str) -> tuple[Any, Client]:
    emu = factory(checksum=checksum)
    return emu, connect(emu)


def make_file(tmp_path: Path, size: int, name: str = "data.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def data_file_posts(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path.strip("/") == "data_files"]


# ---------------------------------------------------------------- the forms


@pytest.mark.parametrize(
    ("checksum", "algorithm"),
    [("a" * 32, "md5"), ("A" * 40, "sha1"), ("0" * 64, "sha256"), ("a" * 33, None), ("g" * 32, None),
     ("", None), (None, None), (12, None), ("sha1:" + "a" * 40, None)],
)
def test_a_digest_form_names_its_algorithm(checksum: Any, algorithm: str | None) -> None:
    assert digest_algorithm(checksum) == algorithm


def test_a_form_that_cannot_be_checked_is_logged_never_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    digests = {"md5": "a" * 32, "sha1": "b" * 40}
    with caplog.at_level(logging.DEBUG, logger="synapse"):
        assert check_checksum("crc32c:1234", digests, what="data file x.png") is False
        assert check_checksum("c" * 64, digests, what="data file y.png") is False
        assert check_checksum(None, digests, what="data file z.png") is False
    lines = [r.getMessage() for r in caplog.records if r.name == "synapse"]
    assert any("x.png" in m and "not checked" in m for m in lines)
    assert any("y.png" in m and "SHA-256" in m and "not checked" in m for m in lines)
    assert check_checksum("B" * 40, digests, what="w") is True  # hex case does not matter
    with pytest.raises(UploadError, match="SHA-1 checksum mismatch for w") as info:
        check_checksum("d" * 40, digests, what="w")
    assert (info.value.expected, info.value.actual) == ("b" * 40, "d" * 40)


def test_running_digests_roll_back_every_algorithm_together(tmp_path: Path) -> None:
    content = os.urandom(10_000)
    digests = RunningDigests(("sha1", "sha256"))
    for start in range(0, 10_000, 2500):
        digests.snapshot()
        digests.update(content[start : start + 2500])
    with (tmp_path / "f").open("wb") as fh:
        fh.write(content)
    with (tmp_path / "f").open("rb") as fh:
        assert digests.seek(fh, 6000, 1024) == 1000  # from the snapshot at 5000
    algorithms = ("md5", "sha1", "sha256")
    assert digests.hexdigests() == {a: hashlib.new(a, content[:6000]).hexdigest() for a in algorithms}
    assert file_digests(tmp_path / "f") == (
        {"md5": hashlib.md5(content).hexdigest(), "sha1": hashlib.sha1(content).hexdigest()}, 10_000,
    )


# ---------------------------------------------------------------- direct and chunked


@pytest.mark.parametrize("chunked", [False, True])
def test_a_sha1_server_checksum_is_checked_and_accepted(
    synapse_emulator_factory: Any, tmp_path: Path, chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    emu, client = make_client(synapse_emulator_factory, "sha1")
    path = make_file(tmp_path, 3 * CHUNK + 5)
    with client, caplog.at_level(logging.DEBUG, logger="synapse"):
        data_file = client.data_files.create(path, chunked=chunked)
    assert data_file.checksum == hashlib.sha1(path.read_bytes()).hexdigest()
    assert not [r for r in caplog.records if "not checked" in r.getMessage()]  # it was checked
    assert len(data_file_posts(emu)) == 1


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("checksum", ["md5", "sha1"])
def test_a_mismatch_in_a_known_form_still_raises(
    synapse_emulator_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool,
    checksum: str,
) -> None:
    _, client = make_client(synapse_emulator_factory, checksum)
    path = make_file(tmp_path, 2 * CHUNK)
    real = RunningDigests.hexdigests

    def wrong(self: RunningDigests) -> dict[str, str]:
        out = real(self)
        # the chunked protocol's own MD5 check stays right: only the data file's form is wrong
        return {**out, checksum: "0" * len(out[checksum])} if not (chunked and checksum == "md5") else out

    monkeypatch.setattr(RunningDigests, "hexdigests", wrong)
    if chunked and checksum == "md5":
        monkeypatch.setattr(RunningDigests, "hexdigest", lambda self: "0" * 32)
    name = {"md5": "MD5", "sha1": "SHA-1"}[checksum]
    with client, pytest.raises(UploadError, match=f"{name} checksum mismatch") as info:
        client.data_files.create(path, chunked=chunked)
    assert info.value.expected is not None and set(info.value.expected) == {"0"}
    assert info.value.actual == hashlib.new(checksum, path.read_bytes()).hexdigest()


def test_a_sha256_server_is_not_checked_at_first_then_learned(
    synapse_emulator_factory: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, client = make_client(synapse_emulator_factory, "sha256")
    service = UploadService(client, sleep=lambda s: None)
    assert "sha256" not in service.digests
    first = make_file(tmp_path, 1000, "first.bin")
    with client, caplog.at_level(logging.DEBUG, logger="synapse"):
        answer = service.create_data_file(first)
        assert answer["checksum"] == hashlib.sha256(first.read_bytes()).hexdigest()
        assert any("first.bin" in r.getMessage() and "not checked" in r.getMessage() for r in caplog.records)
        assert "sha256" in service.digests  # the next uploads compute it while sending
        second = make_file(tmp_path, 1000, "second.bin")
        real = RunningDigests.hexdigests
        monkeypatch.setattr(RunningDigests, "hexdigests", lambda self: {**real(self), "sha256": "0" * 64})
        with pytest.raises(UploadError, match=r"SHA-256 checksum mismatch for data file second\.bin"):
            service.create_data_file(second)


# ---------------------------------------------------------------- upload_many reruns


@pytest.mark.parametrize("checksum", ["md5", "sha1"])
def test_upload_many_reruns_skip_by_the_servers_checksum(
    synapse_emulator_factory: Any, tmp_path: Path, checksum: str
) -> None:
    emu, client = make_client(synapse_emulator_factory, checksum)
    body = {"name": "c", "category": "image",
            "file_specifications": [{"name": "image", "file_type": "image", "is_required": True}]}
    items = []
    for i in range(5):
        path = tmp_path / f"img{i}.png"
        path.write_bytes(f"image {i}".encode() * 100)
        items.append({"files": {"image": path}, "meta": {"i": i}})
    with client:
        collection = int(client.transport.request("POST", "data_collections/", json=body)["id"])
        first = upload_many(client, collection, items)
        assert first.ok and (first.files_uploaded, first.files_skipped) == (5, 0)
        units = list(client.transport.iter_items("data_units/", {"data_collection": collection}))
        assert sorted(u["files"]["image"]["checksum"] for u in units) == sorted(
            hashlib.new(checksum, p["files"]["image"].read_bytes()).hexdigest() for p in items
        )
        posts_before = len(data_file_posts(emu))
        again = upload_many(client, collection, items)
    assert again.ok and (again.files_uploaded, again.files_skipped) == (0, 5)
    assert all(r.existed for r in again.items)
    assert again.data_units == first.data_units
    assert len(data_file_posts(emu)) == posts_before  # not a byte sent again
