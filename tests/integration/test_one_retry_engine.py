"""Every loop that resends uses the transport's one retry plan: direct uploads, chunks, the finish."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from synapse import Client, RateLimited, UploadError
from synapse.config import RetryPolicy
from synapse.services.uploads import UploadService
from tests.conftest import FakeClock

CHUNK = 64 * 1024


def make_file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(random.Random(size).randbytes(size))
    return path


def client_with(emu: Any, clock: FakeClock, **policy: Any) -> Client:
    """A client whose transport waits on ``clock``: waits are recorded, never slept."""
    config = emu.client(Client, retries=RetryPolicy(**{"max_retries": 3, **policy})).config
    return Client.from_config(config, sleep=clock.sleep, clock=clock)


def posts(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path == "/data_files/"]


def test_a_direct_upload_refused_with_503_is_replayed_whole_by_the_transport(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 10_000)
    client = client_with(synapse_emulator, clock)
    synapse_emulator.faults.fail("data_files/", status=503, method="POST", times=2)
    created = client.uploads.create_data_file(path, chunked=False)
    assert created["checksum"] == hashlib.md5(path.read_bytes()).hexdigest()  # the rewound body hashed once
    assert [r.status for r in posts(synapse_emulator)] == [503, 503, 201]
    assert len(clock.sleeps) == 2  # two waits by the plan's backoff


def test_a_direct_upload_told_to_wait_longer_than_retry_after_max_gives_up_at_once(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 1000)
    client = client_with(synapse_emulator, clock, retry_after_max=5.0)
    synapse_emulator.faults.fail("data_files/", status=429, method="POST", retry_after=120, times=1)
    with pytest.raises(RateLimited) as info:
        client.uploads.create_data_file(path, chunked=False)
    assert info.value.retry_after == 120 and clock.sleeps == []  # no capped sleep, no resend
    assert len(posts(synapse_emulator)) == 1


def test_a_direct_upload_is_not_resent_after_a_500(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 1000)
    client = client_with(synapse_emulator, clock)
    synapse_emulator.faults.fail("data_files/", status=500, method="POST", times=1)
    with pytest.raises(Exception, match="500"):
        client.uploads.create_data_file(path, chunked=False)
    assert len(posts(synapse_emulator)) == 1


def test_a_chunk_answered_500_is_not_retried_and_the_upload_stays_resumable(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 3 * CHUNK)
    client = client_with(synapse_emulator, clock)
    state = {"ok": 0}

    def hook(event: Any) -> None:
        if event.method == "PUT" and event.status == 200:
            state["ok"] += 1
            if state["ok"] == 1:
                synapse_emulator.faults.fail("chunked_upload/*", status=500, method="PUT", times=1)

    client.transport.add_hook(hook)
    with pytest.raises(UploadError, match=r"resume\(path\)") as info:
        UploadService(client).upload(path, chunk_size=CHUNK)
    assert info.value.upload_id
    puts = [r.status for r in synapse_emulator.requests if r.method == "PUT"]
    assert puts == [200, 500] and clock.sleeps == []
    done = UploadService(client).resume(path)
    assert done.checksum == hashlib.md5(path.read_bytes()).hexdigest()


def test_chunk_waits_follow_retry_after_and_give_up_past_its_cap(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 2 * CHUNK)
    client = client_with(synapse_emulator, clock, retry_after_max=10.0)
    synapse_emulator.faults.fail("chunked_upload/*", status=503, method="PUT", retry_after=2, times=1)
    done = UploadService(client).upload(path, chunk_size=CHUNK)
    assert done.size == 2 * CHUNK and clock.sleeps == [2.0]  # the server's wait, from the one rule

    synapse_emulator.faults.fail("chunked_upload/*", status=503, method="PUT", retry_after=60, times=1)
    with pytest.raises(UploadError, match="more than retry_after_max"):
        UploadService(client).upload(path, chunk_size=CHUNK)
    assert clock.sleeps == [2.0]  # nothing slept for the refused wait


def test_a_chunked_upload_never_waits_past_total_timeout(
    synapse_emulator: Any, tmp_path: Path, clock: FakeClock
) -> None:
    path = make_file(tmp_path, 2 * CHUNK)
    client = client_with(synapse_emulator, clock, max_retries=50, backoff_factor=4.0, backoff_max=8.0,
                         total_timeout=20.0)
    synapse_emulator.faults.fail("chunked_upload/*", status=503, method="PUT", times=None)
    with pytest.raises(UploadError, match="attempts"):
        UploadService(client).upload(path, chunk_size=CHUNK)
    assert sum(clock.sleeps) < 20.0 and len(clock.sleeps) < 50
