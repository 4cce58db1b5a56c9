"""Chunked upload: Content-Range rules, resume from the server's offset, MD5 on finish, expiry."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from emu_http import Api

from synapse.emulator import Emulator

DATA = os.urandom(10_000)


def test_first_chunk_creates_the_upload(api: Api, emu: Emulator) -> None:
    r = api.upload_chunk(DATA[:4000], 0, len(DATA))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"id", "url", "offset", "expires"}
    assert body["offset"] == 4000 and body["url"] == f"{emu.url}chunked_upload/{body['id']}/"
    state = api.get(body["url"]).json()
    assert state == {
        "id": body["id"],
        "url": body["url"],
        "offset": 4000,
        "filename": "blob.bin",
        "status": 1,
        "completed_at": None,
        "expires": body["expires"],
    }


def test_full_upload_then_finish(api: Api) -> None:
    first = api.upload_chunk(DATA[:4000], 0, len(DATA)).json()
    second = api.upload_chunk(DATA[4000:8000], 4000, len(DATA), first["url"]).json()
    assert second["offset"] == 8000 and second["id"] == first["id"]
    third = api.upload_chunk(DATA[8000:], 8000, len(DATA), first["url"]).json()
    assert third["offset"] == len(DATA)
    r = api.post(first["url"], json={"md5": hashlib.md5(DATA).hexdigest()})
    assert r.status_code == 200
    done = r.json()
    assert set(done) == {"id", "filename", "size", "checksum", "status", "completed_at"}
    assert (
        done["size"] == len(DATA)
        and done["status"] == 2
        and done["checksum"] == hashlib.md5(DATA).hexdigest()
    )
    assert api.get(first["url"]).json()["status"] == 2


def test_wrong_offset_answers_the_current_offset_and_resume_works(api: Api, emu: Emulator) -> None:
    first = api.upload_chunk(DATA[:4000], 0, len(DATA)).json()
    r = api.upload_chunk(DATA[6000:8000], 6000, len(DATA), first["url"])
    assert r.status_code == 400 and r.json() == {"detail": "Offsets do not match", "offset": 4000}
    r = api.upload_chunk(DATA[:4000], 0, len(DATA), first["url"])
    assert r.json() == {"detail": "Offsets do not match", "offset": 4000}
    offset = api.get(first["url"]).json()["offset"]
    assert api.upload_chunk(DATA[offset:], offset, len(DATA), first["url"]).json()["offset"] == len(DATA)
    assert api.post(first["url"], json={"md5": hashlib.md5(DATA).hexdigest()}).status_code == 200
    assert api.upload_chunk(DATA[:10], 10, 20).json() == {"detail": "Offsets do not match", "offset": 0}


@pytest.mark.parametrize(
    "header", ["bytes 0-9/5", "bytes 5-2/10", "bytes=0-9/10", "chars 0-9/10", "bytes */7"]
)
def test_bad_content_range_is_400(api: Api, header: str) -> None:
    r = api.put("chunked_upload/", files={"file": ("b", b"0123456789")}, headers={"Content-Range": header})
    assert r.status_code == 400 and r.json() == {"detail": "Error in request headers"}


def test_chunk_size_must_match_its_header(api: Api, emu: Emulator) -> None:
    first = api.upload_chunk(DATA[:100], 0, 1000).json()
    r = api.put(
        first["url"], files={"file": ("b", DATA[100:150])}, headers={"Content-Range": "bytes 100-199/1000"}
    )
    assert r.status_code == 400 and r.json() == {"detail": "File size doesn't match headers"}
    assert api.get(first["url"]).json()["offset"] == 100
    assert api.upload_chunk(DATA[100:200], 100, 1000, first["url"]).json()["offset"] == 200


def test_chunk_without_a_file_part_is_400(api: Api) -> None:
    r = api.put("chunked_upload/", data={"filename": "x"}, headers={"Content-Range": "bytes 0-9/10"})
    assert r.status_code in (400, 415)
    r = api.put(
        "chunked_upload/", files={"other": ("b", b"0123456789")}, headers={"Content-Range": "bytes 0-9/10"}
    )
    assert r.status_code == 400 and r.json() == {"detail": "No chunk file was submitted"}


def test_md5_mismatch_is_refused_and_finished_uploads_take_nothing_more(api: Api) -> None:
    first = api.upload_chunk(DATA, 0, len(DATA)).json()
    r = api.post(first["url"], json={"md5": "0" * 32})
    assert r.status_code == 400
    assert r.json() == {"detail": "md5 checksum does not match", "checksum": hashlib.md5(DATA).hexdigest()}
    assert api.post(first["url"], json={}).json() == {"md5": ["This field is required."]}
    assert api.post(first["url"], json={"md5": hashlib.md5(DATA).hexdigest().upper()}).status_code == 200
    r = api.upload_chunk(DATA[:10], len(DATA), len(DATA) + 10, first["url"])
    assert r.status_code == 400 and r.json() == {"detail": "Upload has already been marked as complete"}
    assert api.post(first["url"], json={"md5": hashlib.md5(DATA).hexdigest()}).status_code == 400


def test_untouched_upload_expires_after_24_hours(api: Api, emu: Emulator) -> None:
    first = api.upload_chunk(DATA[:100], 0, 1000).json()
    emu.clock.advance(23 * 3600)
    assert api.upload_chunk(DATA[100:200], 100, 1000, first["url"]).status_code == 200  # touching renews it
    emu.clock.advance(24 * 3600 + 1)
    for r in (
        api.upload_chunk(DATA[200:300], 200, 1000, first["url"]),
        api.get(first["url"]),
        api.post(first["url"], json={"md5": "x"}),
    ):
        assert r.status_code == 410 and r.json() == {"detail": "Upload has expired"}


def test_expiry_is_configurable() -> None:
    with Emulator(upload_expiry=5) as emu:
        api = Api(emu)
        first = api.upload_chunk(b"abc", 0, 10).json()
        emu.clock.advance(6)
        assert api.get(first["url"]).status_code == 410


def test_unknown_upload_is_404(api: Api) -> None:
    assert api.get("chunked_upload/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert api.get("chunked_upload/not-a-uuid/").status_code == 404
    assert (
        api.upload_chunk(b"abc", 0, 3, "chunked_upload/00000000-0000-0000-0000-000000000000/").status_code
        == 404
    )


def test_empty_file_protocol(api: Api) -> None:
    r = api.put(
        "chunked_upload/",
        data={"filename": "empty.txt"},
        files={"file": ("empty.txt", b"")},
        headers={"Content-Range": "bytes */0"},
    )
    assert r.status_code == 200 and r.json()["offset"] == 0
    done = api.post(r.json()["url"], json={"md5": "d41d8cd98f00b204e9800998ecf8427e"})
    assert done.status_code == 200
    assert done.json()["size"] == 0 and done.json()["checksum"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert api.post("data_files/", json={"chunked_upload": done.json()["id"]}).json()["size"] == 0


def test_chunked_transfer_encoding_request_body(api: Api, emu: Emulator) -> None:
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="filename"\r\n\r\nstream.bin\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="stream.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + DATA
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(body), 777):
            yield body[i : i + 777]

    r = api.put(
        "chunked_upload/",
        data=pieces(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Range": f"bytes 0-{len(DATA) - 1}/{len(DATA)}",
        },
    )
    assert r.status_code == 200, r.text
    assert emu.requests[-1].headers.get("Transfer-Encoding") == "chunked"
    done = api.post(r.json()["url"], json={"md5": hashlib.md5(DATA).hexdigest()})
    assert done.status_code == 200 and done.json()["filename"] == "stream.bin"


def test_a_chunk_cut_short_by_the_client_leaves_the_offset_unchanged(api: Api, emu: Emulator) -> None:
    first = api.upload_chunk(DATA[:100], 0, 1000).json()
    boundary = "B0undary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b"\r\n\r\n').encode()
    body = head + DATA[100:600] + f"\r\n--{boundary}--\r\n".encode()
    path = first["url"].split(str(emu.port), 1)[1]
    request = (
        f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{emu.port}\r\n"
        f"Synapse-Access-Token: Token dev-token\r\nContent-Range: bytes 100-599/1000\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", emu.port)) as sock:
        sock.sendall(request.encode() + body[: len(body) // 2])
    state = None
    for _ in range(50):  # the server notices the closed socket asynchronously
        state = api.get(first["url"]).json()
        if emu.requests.count("PUT", path) >= 1 and emu.requests.filter("PUT", path)[-1].status is not None:
            break
        __import__("time").sleep(0.05)
    assert state is not None and state["offset"] == 100
    assert Path(emu.db.query("SELECT path FROM uploads")[0]["path"]).stat().st_size == 100
    assert api.upload_chunk(DATA[100:1000], 100, 1000, first["url"]).json()["offset"] == 1000
    assert api.post(first["url"], json={"md5": hashlib.md5(DATA[:1000]).hexdigest()}).status_code == 200


def test_md5_survives_a_restart_over_a_file_database(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    with Emulator(db=db) as first:
        up = Api(first).upload_chunk(DATA[:5000], 0, len(DATA)).json()
        port = first.port
    with Emulator(db=db, port=port) as second:
        api = Api(second)
        assert api.get(up["url"]).json()["offset"] == 5000
        assert api.upload_chunk(DATA[5000:], 5000, len(DATA), up["url"]).json()["offset"] == len(DATA)
        r = api.post(up["url"], json={"md5": hashlib.md5(DATA).hexdigest()})
        assert r.status_code == 200 and r.json()["size"] == len(DATA)
    assert (tmp_path / "w.sqlite.files" / "uploads").is_dir()
