"""Downloads cannot leave their destination folder, whatever name the server or the URL gives.

The server is hostile here (requests-mock): its ``Content-Disposition`` names and URL paths
try ``../``, absolute paths, backslashes, NUL bytes and encoded separators; the destination may
hold a symlink planted where the file would go. After every download, the only new file on
disk is inside ``dest``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests_mock
from hypothesis import HealthCheck, given, settings, strategies as st

from synapse.client import Client
from synapse.services.downloads import UnsafeDownloadPath, download

from .conftest import API_TOKEN

BASE = "https://api.example.com/"
BODY = b"payload-bytes"


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def offline_client() -> Client:
    return Client(base_url=BASE, api_token=API_TOKEN, retries=0)


def serve(m: Any, path: str, disposition: str | None = None) -> str:
    headers = {"Content-Disposition": disposition} if disposition is not None else {}
    url = BASE + path
    m.get(url, content=BODY, headers={**headers, "Content-Length": str(len(BODY))})
    return url


HOSTILE_DISPOSITIONS = [
    'attachment; filename="../../../../tmp/evil.txt"',
    'attachment; filename="/etc/cron.d/evil"',
    'attachment; filename="..\\\\..\\\\..\\\\evil.bat"',
    'attachment; filename="C:\\\\Windows\\\\System32\\\\evil.dll"',
    "attachment; filename*=UTF-8''..%2F..%2F..%2Fevil.sh",
    "attachment; filename*=UTF-8''%2Fabsolute%2Fevil",
    'attachment; filename="sub/dir/../../../evil"',
    'attachment; filename=".."',
    'attachment; filename="."',
    'attachment; filename="evil\x00.txt"',
    'attachment; filename="' + "a" * 400 + '.txt"',
]


@pytest.mark.parametrize("disposition", HOSTILE_DISPOSITIONS)
def test_a_server_name_never_leaves_dest(disposition: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    with requests_mock.Mocker() as m:
        url = serve(m, "media/files/1/", disposition)
        out = download(offline_client(), url, dest)
    assert out.parent == dest.resolve()
    assert out.read_bytes() == BODY
    assert files_under(tmp_path) == {out}


@pytest.mark.parametrize(
    "path",
    ["media/%2E%2E%2F%2E%2E%2Fevil.txt", "media/..%2f..%2fevil", "media/%2Fetc%2Fpasswd", "media/a%5C..%5Cb"],
)
def test_a_url_name_never_leaves_dest(path: str, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    with requests_mock.Mocker() as m:
        url = serve(m, path)
        out = download(offline_client(), url, dest)
    assert out.parent == dest.resolve()
    assert files_under(tmp_path) == {out}


@pytest.mark.parametrize(
    "name", ["../evil.txt", "/tmp/evil.txt", "a/b.txt", "..", ".", "", "x\\..\\y", "x\x00y"]
)
def test_a_caller_name_that_is_not_plain_is_refused_before_any_request(name: str, tmp_path: Path) -> None:
    with requests_mock.Mocker() as m:
        url = serve(m, "media/files/1/")
        with pytest.raises(UnsafeDownloadPath):
            download(offline_client(), url, tmp_path / "dest", filename=name)
        assert m.call_count == 0


def test_a_symlink_planted_in_dest_is_not_written_through(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    (dest / "report.pdf").symlink_to(victim)
    with requests_mock.Mocker() as m:
        url = serve(m, "media/files/1/", 'attachment; filename="report.pdf"')
        with pytest.raises(UnsafeDownloadPath):
            download(offline_client(), url, dest)
    assert victim.read_bytes() == b"keep me"
    assert (dest / "report.pdf").is_symlink()
    assert sorted(p.name for p in dest.iterdir()) == ["report.pdf"]  # no temporary file left


def test_a_dangling_symlink_in_dest_is_not_written_through(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    target = tmp_path / "outside" / "created.txt"
    (dest / "data.bin").symlink_to(target)
    with requests_mock.Mocker() as m:
        url = serve(m, "media/data.bin")
        with pytest.raises(UnsafeDownloadPath):
            download(offline_client(), url, dest)
    assert not target.exists()


def test_a_symlinked_dest_folder_is_resolved_once(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    with requests_mock.Mocker() as m:
        url = serve(m, "media/files/1/", 'attachment; filename="../escape.txt"')
        out = download(offline_client(), url, link)
    assert out == real.resolve() / "escape.txt"
    assert files_under(tmp_path) == {link, out}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.text(min_size=0, max_size=80))
def test_any_server_name_lands_inside_dest(name: str) -> None:
    disposition = f"attachment; filename*=UTF-8''{quote(name, safe='')}"
    with tempfile.TemporaryDirectory() as tmp, requests_mock.Mocker() as m:
        root = Path(tmp)
        dest = root / "dest"
        url = serve(m, "media/files/1/", disposition)
        out = download(offline_client(), url, dest)
        assert out.parent == dest.resolve()
        assert os.path.commonpath([out, dest.resolve()]) == str(dest.resolve())
        assert files_under(root) == {out}
        assert out.read_bytes() == BODY
