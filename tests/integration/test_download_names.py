"""A download never overwrites: same-named files of many units share a folder, reruns skip."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import pytest
import requests_mock

import synapse
from synapse import Client
from synapse.errors import DownloadConflict, SynapseError
from synapse.services.downloads import download
from synapse.services.ingest import upload_unit

BASE = "http://127.0.0.1:9/"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def mocked() -> Any:
    with requests_mock.Mocker() as m:
        yield m


@pytest.fixture
def offline_client() -> Client:
    return Client(base_url=BASE, api_token="dev-token", retries=0)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def media_gets(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "GET" and r.path.lstrip("/").startswith("media/")]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".part")]


# ---------------------------------------------------------------- units into one folder


def test_same_named_files_of_two_units_get_two_paths_and_a_rerun_skips(
    synapse_emulator: Any, synapse_client: Client, tmp_path: Path
) -> None:
    body = {"name": "clash", "category": "image",
            "file_specifications": [{"name": "image", "file_type": "image", "is_required": True}]}
    collection = int(synapse_client.transport.request("POST", "data_collections/", json=body)["id"])
    contents = [b"first x" * 50, b"second x" * 50, b"first x" * 50]  # the third repeats the first
    units = []
    for i, content in enumerate(contents):
        src = tmp_path / f"src{i}" / "x.png"
        src.parent.mkdir()
        src.write_bytes(content)
        created = upload_unit(synapse_client, collection, {"image": src})
        units.append(synapse_client.data_units.get(created["id"]))
    out = tmp_path / "out"

    first, second, third = (u.download(out)["image"] for u in units)
    assert first == out.resolve() / "x.png"
    assert second == out.resolve() / f"x-{md5(contents[1])[:8]}.png"
    assert third == first  # same content: skipped, its path returned
    assert (first.read_bytes(), second.read_bytes()) == (contents[0], contents[1])
    assert sorted(p.name for p in out.iterdir()) == sorted([first.name, second.name])  # no temp file

    fetched = len(media_gets(synapse_emulator))
    again = [u.download(out)["image"] for u in units]
    assert again == [first, second, third]
    assert len(media_gets(synapse_emulator)) == fetched  # the checksums said: nothing to fetch
    assert sorted(p.name for p in out.iterdir()) == sorted([first.name, second.name])


def test_an_explicit_name_holding_other_content_raises_before_any_request(
    synapse_emulator: Any, synapse_client: Client, tmp_path: Path
) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(b"new content")
    data_file = synapse_client.data_files.create(src)
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.png").write_bytes(b"precious")
    fetched = len(media_gets(synapse_emulator))
    with pytest.raises(DownloadConflict) as info:
        data_file.download(out, filename="mine.png")
    assert info.value.path == str(out.resolve() / "mine.png")
    assert (out / "mine.png").read_bytes() == b"precious"
    assert len(media_gets(synapse_emulator)) == fetched
    assert data_file.download(out, filename="copy.png").read_bytes() == b"new content"
    assert data_file.download(out, filename="copy.png") == out.resolve() / "copy.png"  # same: skipped


# ---------------------------------------------------------------- without a checksum


def test_without_a_checksum_the_bytes_are_compared_after_the_download(
    mocked: Any, offline_client: Client, tmp_path: Path
) -> None:
    mocked.get(BASE + "media/model.bin", content=b"weights v2")
    (tmp_path / "model.bin").write_bytes(b"weights v2")
    assert download(offline_client, BASE + "media/model.bin", tmp_path) == tmp_path.resolve() / "model.bin"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.bin"]

    (tmp_path / "model.bin").write_bytes(b"weights v1")
    out = download(offline_client, BASE + "media/model.bin", tmp_path)
    assert out.name == f"model-{md5(b'weights v2')[:8]}.bin"
    assert (tmp_path / "model.bin").read_bytes() == b"weights v1"
    assert download(offline_client, BASE + "media/model.bin", tmp_path) == out  # rerun: found again
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["model.bin", out.name])

    with pytest.raises(DownloadConflict):
        download(offline_client, BASE + "media/model.bin", tmp_path, filename="model.bin")
    assert (tmp_path / "model.bin").read_bytes() == b"weights v1"
    assert leftovers(tmp_path) == []


def test_a_suffix_name_taken_by_other_content_goes_longer(
    mocked: Any, offline_client: Client, tmp_path: Path
) -> None:
    content = b"payload"
    digest = md5(content)
    mocked.get(BASE + "media/x", content=content)
    (tmp_path / "x").write_bytes(b"other")
    (tmp_path / f"x-{digest[:8]}").write_bytes(b"other too")
    out = download(offline_client, BASE + "media/x", tmp_path)
    assert out.name == f"x-{digest[:16]}" and out.read_bytes() == content


def test_a_server_checksum_names_the_clash(mocked: Any, offline_client: Client, tmp_path: Path) -> None:
    content = b"sha1 named"
    sha1 = hashlib.sha1(content).hexdigest()
    mocked.get(BASE + "media/x.png", content=content)
    (tmp_path / "x.png").write_bytes(b"other")
    out = download(offline_client, BASE + "media/x.png", tmp_path, checksum=sha1.upper())
    assert out.name == f"x-{sha1[:8]}.png"
    calls = mocked.call_count
    assert download(offline_client, BASE + "media/x.png", tmp_path, checksum=sha1) == out
    assert mocked.call_count == calls


def test_download_conflict_is_a_synapse_error_exported_and_picklable() -> None:
    err = DownloadConflict("exists", path="/tmp/x.png")
    clone = pickle.loads(pickle.dumps(err))
    assert (type(clone), clone.path, str(clone)) == (DownloadConflict, "/tmp/x.png", "exists")
    assert isinstance(err, SynapseError) and synapse.DownloadConflict is DownloadConflict
