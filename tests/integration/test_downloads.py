"""download(): streamed to a temp file then renamed; server-given names cannot leave ``dest``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import requests_mock

from synapse import Client
from synapse.errors import NotFound, TransportError, UnsafeURLError
from synapse.services.downloads import UnsafeDownloadPath, download, safe_filename
from synapse.services.uploads.service import UploadService

BASE = "http://127.0.0.1:9/"


@pytest.fixture
def mocked() -> Any:
    with requests_mock.Mocker() as m:
        yield m


@pytest.fixture
def offline_client() -> Client:
    return Client(base_url=BASE, api_token="dev-token", retries=0)


def test_round_trip_of_a_data_file(synapse_client: Client, tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    data_file = UploadService(synapse_client).create_data_file(src)
    seen: list[tuple[int, int | None]] = []
    out = download(
        synapse_client, data_file["file"], tmp_path / "dest", progress=lambda d, t: seen.append((d, t))
    )
    assert out == (tmp_path / "dest" / "photo.jpg").resolve()
    assert out.read_bytes() == src.read_bytes()
    assert seen[-1] == (src.stat().st_size, src.stat().st_size)
    assert [p.name for p in out.parent.iterdir()] == ["photo.jpg"]  # no temp file left


def test_a_missing_file_raises_and_writes_nothing(synapse_client: Client, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        download(synapse_client, "media/data_files/999999/nothing.bin", tmp_path / "dest")
    assert list((tmp_path / "dest").iterdir()) == []


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../evil.txt"', "evil.txt"),
        ('attachment; filename="/etc/passwd"', "passwd"),
        ('attachment; filename="..\\\\..\\\\win.ini"', "win.ini"),
        ("attachment; filename*=UTF-8''..%2F..%2Fnested%2Fx.bin", "x.bin"),
        ('attachment; filename=".."', "download"),
        ('attachment; filename=".bashrc"', "bashrc"),
    ],
)
def test_server_names_are_reduced_to_a_base_name_inside_dest(
    mocked: Any, offline_client: Client, tmp_path: Path, disposition: str, expected: str
) -> None:
    mocked.get(BASE + "media/f/1", content=b"payload", headers={"Content-Disposition": disposition})
    dest = tmp_path / "dest"
    out = download(offline_client, BASE + "media/f/1", dest)
    assert out == dest.resolve() / expected
    assert out.read_bytes() == b"payload"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [expected]


def test_url_names_are_sanitised_too(mocked: Any, offline_client: Client, tmp_path: Path) -> None:
    mocked.get(BASE + "media/..%2F..%2Fescape.txt", content=b"x")
    out = download(offline_client, BASE + "media/..%2F..%2Fescape.txt", tmp_path / "dest")
    assert out == (tmp_path / "dest").resolve() / "escape.txt"


@pytest.mark.parametrize("name", ["../x", "/abs/x", "a/b", "..", "", "a\\b"])
def test_a_caller_filename_that_leaves_dest_is_refused(
    offline_client: Client, tmp_path: Path, name: str
) -> None:
    with pytest.raises(UnsafeDownloadPath):
        download(offline_client, BASE + "media/f/1", tmp_path, filename=name)


def test_a_symlink_in_dest_is_not_written_through(
    mocked: Any, offline_client: Client, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "report.txt").symlink_to(outside)
    mocked.get(BASE + "media/report.txt", content=b"overwritten?")
    with pytest.raises(UnsafeDownloadPath, match="symlink"):
        download(offline_client, BASE + "media/report.txt", dest)
    assert outside.read_bytes() == b"precious"
    assert sorted(p.name for p in dest.iterdir()) == ["report.txt"]


def test_a_truncated_body_leaves_no_file(mocked: Any, offline_client: Client, tmp_path: Path) -> None:
    mocked.get(BASE + "media/big.bin", content=b"x" * 10, headers={"Content-Length": "100"})
    with pytest.raises(TransportError):
        download(offline_client, BASE + "media/big.bin", tmp_path / "dest")
    assert list((tmp_path / "dest").iterdir()) == []


def test_an_existing_file_is_replaced_atomically(mocked: Any, offline_client: Client, tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"old")
    mocked.get(BASE + "media/model.bin", content=b"new")
    out = download(offline_client, BASE + "media/model.bin", tmp_path)
    assert out.read_bytes() == b"new"


def test_another_origin_is_fetched_without_credentials(
    mocked: Any, offline_client: Client, tmp_path: Path
) -> None:
    mocked.get("http://127.0.0.2:9/media/x.bin?signature=abc", content=b"stored")
    out = download(offline_client, "http://127.0.0.2:9/media/x.bin?signature=abc", tmp_path)
    assert out.read_bytes() == b"stored"
    sent = mocked.request_history[-1].headers
    assert not {"Synapse-Access-Token", "Authorization", "Cookie"} & {k.title() for k in sent}


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.2/x.bin", "data:,x", "javascript:x"])
def test_a_url_that_is_not_http_is_refused(
    mocked: Any, offline_client: Client, tmp_path: Path, url: str
) -> None:
    with pytest.raises(UnsafeURLError):
        download(offline_client, url, tmp_path)
    assert list(tmp_path.iterdir()) == [] and mocked.call_count == 0


def test_dest_that_is_a_file_is_refused(offline_client: Client, tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        download(offline_client, BASE + "media/x", tmp_path / "file")


def test_safe_filename_drops_control_characters_and_separators() -> None:
    assert safe_filename("a\r\nb\x00c.txt") == "abc.txt"
    assert safe_filename("dir\\sub/..") == "download"
    assert safe_filename("   ") == "download"


def test_safe_filename_limits_length() -> None:
    name = safe_filename("a" * 300 + ".tar.gz")
    assert len(name.encode()) <= 255
    assert name.endswith(".gz")
