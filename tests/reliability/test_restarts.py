"""The server restarts in the middle of a long QuerySet walk and of a chunked upload.

A restart is a real one: the first emulator is closed (its socket gone, its pooled connections
dead) and a new ``Emulator`` is started on the same port over the same SQLite file, as a
supervisor would restart a crashed backend. While it is down, the client's connections are
refused ("not sent"), which every method may retry; the restart happens in the client's wait
between attempts (the injected sleep), so the tests are deterministic and do not sleep.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse.client import Client
from synapse.config import RetryPolicy
from synapse.errors import TransportError
from synapse.services.downloads import download
from synapse.services.uploads.service import UploadService
from tests.conftest import FakeClock


class Restartable:
    """One backend over a file database that can go down and come back on the same port."""

    def __init__(self, factory: Callable[..., Any], db: Path) -> None:
        self.factory = factory
        self.db = db
        self.emu = factory(db=db)
        self.port = self.emu.port
        self.restarts = 0

    @property
    def down(self) -> bool:
        return not self.emu.running

    def crash(self) -> None:
        self.emu.close()

    def restart(self) -> Any:
        self.emu = self.factory(db=self.db, port=self.port)
        self.restarts += 1
        return self.emu

    def restart_when_waiting(self, seconds: float) -> None:
        """A FakeClock ``on_sleep`` hook: the backend comes back while the client waits."""
        if self.down:
            self.restart()


@pytest.fixture
def backend(synapse_emulator_factory: Callable[..., Any], tmp_path: Path) -> Restartable:
    return Restartable(synapse_emulator_factory, tmp_path / "backend.sqlite")


# ------------------------------------------------------------------------------ QuerySet


@pytest.mark.parametrize("cursor", [False, True], ids=["page-numbers", "cursor"])
def test_iteration_continues_across_a_restart(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock, cursor: bool
) -> None:
    client = make_client(backend.emu, page_size=25)
    clock.on_sleep.append(backend.restart_when_waiting)
    qs = client.tasks.filter(project=1)
    expected = sorted(range(1, 321), reverse=cursor)  # cursor mode walks -id
    rows = qs.iterator(cursor=cursor) if cursor else qs.order_by("id").iterator()

    seen = [next(rows).id for _ in range(60)]  # pages 1-3 read, the third half consumed
    backend.crash()
    seen += [task.id for task in rows]  # page 4 is refused, waited for, then read from the new server

    assert seen == expected  # nothing skipped, nothing repeated
    assert backend.restarts == 1
    first_request = backend.emu.requests[0]
    assert first_request.path == "/sdk/tasks/"
    if not cursor:
        assert first_request.query["page"] == "4"  # the walk went on from where it was


def test_a_long_outage_fails_clearly_and_the_walk_resumes_from_the_page_reached(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    client = make_client(backend.emu, page_size=25, retries=RetryPolicy(max_retries=2, backoff_factor=0.001))
    qs = client.tasks.filter(project=1).order_by("id")
    seen: list[int] = []
    pages = qs.pages()
    with pytest.raises(TransportError) as caught:
        for number, page in enumerate(pages, start=1):
            seen += [task.id for task in page.results]
            if number == 3:
                backend.crash()  # and it stays down for longer than the retry budget

    error = caught.value
    assert error.may_have_reached_server is False  # refused: nothing was sent
    assert "could not connect" in str(error) and "not sent" in str(error)
    assert (error.method, error.path) == ("GET", "/sdk/tasks/")
    assert len(clock.sleeps) == 1  # refused: one quick retry (nothing listens there), then the error
    assert len(seen) == 75

    backend.restart()
    reached = len(seen) // 25 + 1  # the first page not read
    for page in qs.pages(page=reached):
        seen += [task.id for task in page.results]
    assert seen == list(range(1, 321))
    assert backend.emu.requests[0].query["page"] == "4"

    # Slicing resumes the same way, one row at a time: qs[75:] starts on page 4.
    assert [task.id for task in qs[75:]] == list(range(76, 321))


@pytest.mark.parametrize("cursor", [False, True], ids=["page-numbers", "cursor"])
def test_a_walk_cut_by_a_long_outage_says_how_far_it_got_and_how_to_go_on(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock, cursor: bool
) -> None:
    client = make_client(backend.emu, page_size=25, retries=RetryPolicy(max_retries=1, backoff_factor=0.001))
    qs = client.tasks.filter(project=1)
    rows = qs.iterator(cursor=True) if cursor else qs.order_by("id").iterator()
    seen = [next(rows).id for _ in range(60)]
    backend.crash()  # down for longer than the retry budget
    with pytest.raises(TransportError) as caught:
        for task in rows:
            seen.append(task.id)

    error = caught.value
    assert error.rows_read == 75 == len(seen)  # the third page was finished before the next request
    notes = getattr(error, "__notes__", None)
    backend.restart()
    if cursor:
        assert seen == list(range(320, 245, -1))
        resume = "qs.filter(id__lt=246).iterator(cursor=True)"
        seen += [task.id for task in qs.filter(id__lt=246).iterator(cursor=True)]
        assert seen == list(range(320, 0, -1))
    else:
        resume = "qs[75:]"
        seen += [task.id for task in qs.order_by("id")[error.rows_read:]]
        assert seen == list(range(1, 321))
    if notes is not None:  # Python >= 3.11
        assert notes == [f"75 row(s) of this QuerySet were read before the error; {resume} reads the rest"]


def test_pages_cut_by_an_outage_name_the_page_to_go_on_from(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    client = make_client(backend.emu, page_size=25, retries=RetryPolicy(max_retries=1, backoff_factor=0.001))
    qs = client.tasks.filter(project=1).order_by("id")
    pages = qs.pages(page=2)
    assert [t.id for t in next(pages).results][:1] == [26]
    backend.crash()
    with pytest.raises(TransportError) as caught:
        next(pages)
    assert caught.value.resume_page == 3 and caught.value.rows_read is None
    if hasattr(caught.value, "__notes__"):
        assert caught.value.__notes__ == [
            "1 page(s) of this QuerySet were read before the error; qs.pages(page=3) goes on from there"
        ]
    backend.restart()
    assert next(qs.pages(page=caught.value.resume_page)).results[0].id == 51


def test_an_error_on_the_first_page_carries_no_progress_note(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    client = make_client(backend.emu, retries=RetryPolicy(max_retries=0))
    backend.crash()
    with pytest.raises(TransportError) as caught:
        list(client.tasks.filter(project=1).iterator())
    assert caught.value.rows_read == 0
    assert not getattr(caught.value, "__notes__", None)


# ------------------------------------------------------------------------------ chunked upload

CHUNK = 64 * 1024


def test_a_chunked_upload_resumes_after_a_restart_and_the_checksum_matches(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock, tmp_path: Path
) -> None:
    client = make_client(backend.emu)
    clock.on_sleep.append(backend.restart_when_waiting)
    path = tmp_path / "weights.bin"
    content = random.Random(7).randbytes(20 * CHUNK + 1234)
    path.write_bytes(content)
    service = UploadService(client, sleep=clock.sleep)
    chunks: list[int] = []

    def crash_after_the_eighth_chunk(event: Any) -> None:
        if event.method == "PUT" and event.status == 200 and "chunked_upload" in event.path:
            chunks.append(1)
            if len(chunks) == 8:
                backend.crash()

    client.transport.add_hook(crash_after_the_eighth_chunk)
    done = service.upload(path, chunk_size=CHUNK)

    assert backend.restarts == 1
    assert done.size == len(content)
    assert done.checksum == hashlib.md5(content).hexdigest()
    emu = backend.emu
    rows = emu.db.query("SELECT status, md5 AS checksum FROM uploads WHERE id = ?", [done.id])
    assert rows == [{"status": 2, "checksum": done.checksum}]
    puts = emu.requests.filter("PUT", "/chunked_upload/*")
    assert len(puts) == 13  # chunks 9-21 went to the new server; none of the first 8 again
    assert all(r.status == 200 for r in puts)

    data_file = client.transport.post("data_files/", json={"chunked_upload": done.id})
    back = download(client, data_file["file"], tmp_path / "back", filename="weights.bin")
    assert back.read_bytes() == content


def test_an_upload_given_up_during_an_outage_resumes_later_from_its_record(
    backend: Restartable, make_client: Callable[..., Client], clock: FakeClock, tmp_path: Path
) -> None:
    from synapse.errors import UploadError

    client = make_client(backend.emu, retries=RetryPolicy(max_retries=2, backoff_factor=0.001))
    path = tmp_path / "video.bin"
    content = random.Random(8).randbytes(12 * CHUNK)
    path.write_bytes(content)
    service = UploadService(client, sleep=clock.sleep)
    puts: list[int] = []

    def crash_after_the_fifth_chunk(event: Any) -> None:
        if event.method == "PUT" and event.status == 200:
            puts.append(1)
            if len(puts) == 5:
                backend.crash()

    client.transport.add_hook(crash_after_the_fifth_chunk)
    with pytest.raises(UploadError) as caught:
        service.upload(path, chunk_size=CHUNK)
    client.transport.remove_hook(crash_after_the_fifth_chunk)
    error = caught.value
    assert error.upload_id and f"upload {error.upload_id}" in str(error)
    assert "could not connect" in str(error) and "resume" in str(error)
    assert isinstance(error.__cause__, TransportError)

    backend.restart()
    done = service.resume(path)  # the resume record names the upload and the server's offset

    assert done.checksum == hashlib.md5(content).hexdigest()
    resent = backend.emu.requests.filter("PUT", "/chunked_upload/*")
    assert len(resent) == 7  # chunks 6-12 only
