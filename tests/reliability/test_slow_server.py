"""A slow or absent server: timeouts and refusals say what happened and whether it may have counted.

The emulator's ``delay`` fault sleeps before handling the request (then handles it), so a read
timeout on a POST leaves a write that *was* applied after the client gave up: exactly the case
``may_have_reached_server`` exists for.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from synapse.client import Client
from synapse.config import RetryPolicy
from synapse.errors import TransportError
from tests.conftest import FakeClock

TIMEOUT = (2.0, 0.2)  # connect, read


def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "the server never finished the delayed request"
        time.sleep(0.02)


def test_a_read_timeout_names_the_timeout_and_says_it_may_have_reached(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, timeout=TIMEOUT, cache_ttl=0, retries=RetryPolicy(max_retries=1))
    emu.faults.delay("projects/1/", seconds=0.6, times=None)

    with pytest.raises(TransportError) as caught:
        client.projects.get(1)

    error = caught.value
    assert "read timeout" in str(error) and "0.2 s" in str(error)
    assert "may have reached the server" in str(error)
    assert error.timeout == pytest.approx(0.2)
    assert error.may_have_reached_server is True
    assert (error.method, error.path) == ("GET", "/projects/1/")
    assert emu.requests.count("GET", "/projects/1/") == 2  # a GET is safe to send again
    assert len(clock.sleeps) == 1


def test_a_post_that_timed_out_is_not_resent_and_the_error_says_it_may_have_been_applied(
    synapse_emulator: Any, make_client: Callable[..., Client]
) -> None:
    emu = synapse_emulator
    client = make_client(emu, timeout=TIMEOUT)
    emu.faults.delay("tasks/", seconds=0.5, method="POST")

    with pytest.raises(TransportError) as caught:
        client.tasks.create(project=1, data_unit=4, meta={"marker": "slow"})

    error = caught.value
    assert error.may_have_reached_server is True and "read timeout" in str(error)
    (post,) = emu.requests.filter("POST", "/tasks/")
    wait_until(lambda: post.applied)
    # The caller was told "may have reached": it did, once.
    rows = emu.db.query("SELECT id FROM tasks WHERE json_extract(meta, '$.marker') = 'slow'")
    assert len(rows) == 1
    assert emu.requests.count("POST", "/tasks/") == 1


def test_a_slow_answer_within_the_timeout_is_waited_for(
    synapse_emulator: Any, make_client: Callable[..., Client]
) -> None:
    emu = synapse_emulator
    client = make_client(emu, timeout=(2.0, 1.0), cache_ttl=0)
    emu.faults.delay("projects/2/", seconds=0.3)

    assert client.projects.get(2).id == 2
    assert emu.requests.count("GET", "/projects/2/") == 1


def test_a_refused_connection_says_nothing_was_sent_and_even_a_post_is_retried(
    synapse_emulator_factory: Callable[..., Any], make_client: Callable[..., Client], clock: FakeClock,
    tmp_path: Any,
) -> None:
    db = tmp_path / "down.sqlite"
    emu = synapse_emulator_factory(db=db)
    port = emu.port
    client = make_client(emu, retries=RetryPolicy(max_retries=1, backoff_factor=0.001))
    emu.close()

    with pytest.raises(TransportError) as caught:
        client.tasks.create(project=1, data_unit=4, meta={"marker": "refused"})
    error = caught.value
    assert error.may_have_reached_server is False
    assert "could not connect" in str(error) and "not sent" in str(error)
    assert error.timeout is None

    # The same POST, with the server back during the wait: resent, applied once.
    revived: list[Any] = []
    clock.on_sleep.append(lambda s: revived or revived.append(synapse_emulator_factory(db=db, port=port)))
    task = client.tasks.create(project=1, data_unit=4, meta={"marker": "refused"})
    (back,) = revived
    assert [r.status for r in back.requests.filter("POST", "/tasks/")] == [201]
    rows = back.db.query("SELECT id FROM tasks WHERE json_extract(meta, '$.marker') = 'refused'")
    assert [r["id"] for r in rows] == [task.id]
