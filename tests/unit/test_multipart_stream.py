"""The streamed multipart body: correct encoding, bounded reads, each byte read and hashed once."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
import requests
from hypothesis import given, settings, strategies as st
from werkzeug.wrappers import Request

from synapse.services.uploads.files import RunningMD5
from synapse.services.uploads.multipart import MultipartFileBody


class RecordingFile(io.BytesIO):
    """A file that records the size of every read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def parse(body: MultipartFileBody, data: bytes) -> Request:
    environ = {
        "REQUEST_METHOD": "PUT",
        "CONTENT_TYPE": body.content_type,
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    return Request(environ)


def drain(body: MultipartFileBody, n: int = 16384) -> bytes:
    out = []
    while piece := body.read(n):
        out.append(piece)
    return b"".join(out)


def test_body_is_valid_multipart_with_fields_and_the_file_slice() -> None:
    content = os.urandom(300_000)
    body = MultipartFileBody(
        io.BytesIO(content), offset=1000, length=200_000, filename="scan.bin", fields={"filename": "scan.bin"}
    )
    data = drain(body)
    assert len(data) == len(body)
    req = parse(body, data)
    assert req.form["filename"] == "scan.bin"
    assert req.files["file"].filename == "scan.bin"
    assert req.files["file"].read() == content[1000:201_000]


def test_the_file_is_read_in_bounded_blocks_whatever_the_slice_size() -> None:
    content = os.urandom(5 * 1024 * 1024 + 17)
    f = RecordingFile(content)
    body = MultipartFileBody(f, offset=0, length=len(content), filename="x", block_size=64 * 1024)
    drain(body, n=16384)
    assert max(f.reads) <= 64 * 1024
    assert -1 not in f.reads  # never "read everything"
    assert sum(f.reads) == len(content)  # each byte read exactly once
    assert body.file_bytes_read == len(content)


def test_a_big_read_request_still_reads_the_file_in_blocks() -> None:
    content = os.urandom(1024 * 1024)
    f = RecordingFile(content)
    body = MultipartFileBody(f, offset=0, length=len(content), filename="x", block_size=4096)
    data = body.read(-1)
    assert max(f.reads) <= 4096
    assert parse(body, data).files["file"].read() == content


def test_sink_sees_every_file_byte_once_in_order() -> None:
    content = os.urandom(100_000)
    seen: list[bytes] = []
    body = MultipartFileBody(
        io.BytesIO(content), offset=10, length=90_000, filename="x", sink=seen.append, block_size=7000
    )
    drain(body, n=1000)
    assert b"".join(seen) == content[10:90_010]


def test_nothing_is_read_from_the_file_before_the_body_is() -> None:
    f = RecordingFile(b"abc")
    body = MultipartFileBody(f, offset=0, length=3, filename="x")
    assert len(body) > 3
    assert f.reads == []


def test_empty_part_for_an_empty_file() -> None:
    body = MultipartFileBody(
        io.BytesIO(b""), offset=0, length=0, filename="empty.txt", fields={"filename": "e"}
    )
    data = drain(body)
    req = parse(body, data)
    assert req.files["file"].filename == "empty.txt"
    assert req.files["file"].read() == b""


def test_quotes_and_newlines_in_names_cannot_inject_headers() -> None:
    body = MultipartFileBody(io.BytesIO(b"data"), offset=0, length=4, filename='a"\r\nX-Evil: 1.txt')
    data = drain(body)
    head = data.split(b"\r\n\r\n")[0]
    assert b"\r\nX-Evil" not in head
    assert b'filename="a%22%0D%0AX-Evil: 1.txt"' in head


def test_repeated_fields_are_sent_in_order() -> None:
    body = MultipartFileBody(
        io.BytesIO(b"zip"), offset=0, length=3, filename="p.zip",
        fields=[("requirements", "numpy"), ("requirements", "torch"), ("version", "1.0")],
    )
    req = parse(body, drain(body))
    assert req.form.getlist("requirements") == ["numpy", "torch"]
    assert req.form["version"] == "1.0"


def test_a_truncated_file_raises_and_is_remembered() -> None:
    body = MultipartFileBody(io.BytesIO(b"short"), offset=0, length=100, filename="x")
    with pytest.raises(OSError, match="ended early"):
        drain(body)
    assert isinstance(body.error, OSError)


def test_requests_streams_the_body_with_a_content_length() -> None:
    content = os.urandom(50_000)
    f = RecordingFile(content)
    body = MultipartFileBody(f, offset=0, length=len(content), filename="x")
    prepared = requests.Request(
        "PUT", "http://127.0.0.1:9/chunked_upload/", data=body, headers={"Content-Type": body.content_type}
    ).prepare()
    assert prepared.headers["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in prepared.headers
    assert prepared.body is body  # not materialised into bytes
    assert f.reads == []


def test_rejects_negative_offsets_and_block_sizes() -> None:
    with pytest.raises(ValueError):
        MultipartFileBody(io.BytesIO(b""), offset=-1, length=0, filename="x")
    with pytest.raises(ValueError):
        MultipartFileBody(io.BytesIO(b""), offset=0, length=0, filename="x", block_size=0)


@settings(max_examples=60, deadline=None)
@given(
    content=st.binary(min_size=0, max_size=5000),
    data=st.data(),
    block_size=st.integers(1, 700),
    read_size=st.integers(1, 900),
)
def test_any_slice_block_and_read_size_round_trips(
    content: bytes, data: st.DataObject, block_size: int, read_size: int
) -> None:
    offset = data.draw(st.integers(0, len(content)))
    length = data.draw(st.integers(0, len(content) - offset))
    body = MultipartFileBody(
        io.BytesIO(content), offset=offset, length=length, filename="f", block_size=block_size
    )
    out = drain(body, n=read_size)
    assert len(out) == len(body)
    assert parse(body, out).files["file"].read() == content[offset : offset + length]


def test_running_md5_rolls_back_to_a_snapshot_without_rereading_sent_chunks() -> None:
    content = os.urandom(10_000)
    f = RecordingFile(content)
    md5 = RunningMD5()
    for start in range(0, 10_000, 2500):  # four "chunks", each hashed as it is sent
        md5.snapshot()
        md5.update(content[start : start + 2500])
    assert md5.hexdigest() == hashlib.md5(content).hexdigest()
    # The server says it has only 5000 bytes: roll back to the snapshot, nothing re-read.
    assert md5.seek(f, 5000, 1024) == 0
    assert f.reads == []
    assert md5.hexdigest() == hashlib.md5(content[:5000]).hexdigest()
    # An offset between snapshots re-hashes only the bytes after the nearest one.
    assert md5.seek(f, 6000, 1024) == 1000
    assert md5.hexdigest() == hashlib.md5(content[:6000]).hexdigest()


def test_running_md5_from_scratch_hashes_the_prefix_in_one_pass() -> None:
    content = os.urandom(10_000)
    f = RecordingFile(content)
    md5 = RunningMD5()
    assert md5.seek(f, 7000, 4096) == 7000
    assert sum(f.reads) == 7000
    assert md5.hexdigest() == hashlib.md5(content[:7000]).hexdigest()


def test_running_md5_keeps_a_bounded_number_of_snapshots() -> None:
    content = os.urandom(100 * 100)
    md5 = RunningMD5()
    for start in range(0, len(content), 100):  # 100 tiny chunks
        md5.snapshot()
        md5.update(content[start : start + 100])
    assert len(md5._snapshots) == RunningMD5.keep + 1
    # Rolling back past the kept snapshots still gives the right digest (from 0, re-reading).
    f = RecordingFile(content)
    assert md5.seek(f, 1000, 4096) == 1000
    assert md5.hexdigest() == hashlib.md5(content[:1000]).hexdigest()


def test_a_rewound_body_is_sent_again_byte_for_byte_and_the_sink_starts_over() -> None:
    data = os.urandom(50_000)
    seen: list[bytes] = []
    rewinds: list[int] = []
    body = MultipartFileBody(io.BytesIO(data), offset=0, length=len(data), filename="f.bin",
                             sink=seen.append, on_rewind=lambda: rewinds.append(len(seen)), block_size=4096)
    first = drain(body, 1000)
    assert body.seek(0) == 0 and body.tell() == 0 and rewinds == [len(seen)]
    seen.clear()
    second = drain(body, 7000)
    assert first == second and b"".join(seen) == data  # every byte reached the sink once this time
    with pytest.raises(ValueError, match="rewound to its start"):
        body.seek(10)


def test_an_unread_body_rewinds_without_calling_on_rewind() -> None:
    calls: list[None] = []
    body = MultipartFileBody(io.BytesIO(b"abc"), offset=0, length=3, filename="f",
                             on_rewind=lambda: calls.append(None))
    body.seek(0)
    assert calls == []
