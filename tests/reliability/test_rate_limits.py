"""429 storms with ``Retry-After``: the client waits as told, within its cap and its budget.

The waits go to the fake clock, so ``clock.sleeps`` is exactly what the client would have slept;
the last test uses the emulator's real token bucket and real (short) sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from synapse.client import Client
from synapse.config import RetryPolicy
from synapse.errors import RateLimited
from tests.conftest import FakeClock

from .conftest import client_for


def test_a_storm_that_never_ends_raises_rate_limited_after_the_retries(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, retries=RetryPolicy(max_retries=4, retry_after_max=10), cache_ttl=0)
    emu.faults.fail("projects/1/", status=429, retry_after=2, times=None)

    with pytest.raises(RateLimited) as caught:
        client.projects.get(1)

    assert caught.value.retry_after == 2
    assert caught.value.status_code == 429
    assert clock.sleeps == [2, 2, 2, 2]  # the server's Retry-After, each time
    assert emu.requests.count("GET", "/projects/1/") == 5


def test_the_total_budget_stops_the_waiting(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, retries=RetryPolicy(max_retries=50, total_timeout=7), cache_ttl=0)
    emu.faults.fail("projects/1/", status=429, retry_after=2, times=None)

    with pytest.raises(RateLimited) as caught:
        client.projects.get(1)

    assert caught.value.retry_after == 2
    # 3 waits bring the clock to 6 s; a fourth would end at 8 s, past the 7 s budget.
    assert clock.sleeps == [2, 2, 2]
    assert sum(clock.sleeps) < 7
    assert emu.requests.count("GET", "/projects/1/") == 4


def test_a_retry_after_beyond_the_cap_is_not_waited_for(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, retries=RetryPolicy(max_retries=5, retry_after_max=30), cache_ttl=0)
    emu.faults.fail("projects/1/", status=429, retry_after=120, times=None)

    with pytest.raises(RateLimited) as caught:
        client.projects.get(1)

    assert caught.value.retry_after == 120  # the caller decides what to do with a long wait
    assert clock.sleeps == []
    assert emu.requests.count("GET", "/projects/1/") == 1


def test_a_storm_that_passes_is_ridden_out(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, cache_ttl=0)
    emu.faults.fail("projects/1/", status=429, retry_after=1, times=3)

    project = client.projects.get(1)

    assert project.id == 1 and project.title
    assert clock.sleeps == [1, 1, 1]


def test_a_throttled_post_is_resent_and_applied_once(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    emu.faults.fail("tasks/", status=429, retry_after=1, method="POST", times=2)

    task = client.tasks.create(project=1, data_unit=3, meta={"marker": "throttled"})

    posts = emu.requests.filter("POST", "/tasks/")
    assert [r.status for r in posts] == [429, 429, 201]
    assert [r.applied for r in posts] == [False, False, True]  # 429 means "not processed"
    rows = emu.db.query("SELECT id FROM tasks WHERE json_extract(meta, '$.marker') = 'throttled'")
    assert [r["id"] for r in rows] == [task.id]
    assert clock.sleeps == [1, 1]


def test_an_http_date_retry_after_is_honoured(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    import email.utils

    emu = synapse_emulator
    client = make_client(emu, cache_ttl=0)
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    emu.faults.add("projects/1/", status=429, headers={"Retry-After": when}, times=1)

    client.projects.get(1)

    (wait,) = clock.sleeps
    assert 3 <= wait <= 5


def test_threads_share_a_token_bucket_and_all_get_through(
    synapse_emulator_factory: Callable[..., Any],
) -> None:
    """The emulator's token bucket (100/s, burst 5) against 4 threads: every call succeeds."""
    emu = synapse_emulator_factory()
    emu.faults.rate_limit(rate=100, burst=5, retry_after=0.02)
    waits: list[float] = []
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(seconds)
        time.sleep(seconds)

    policy = RetryPolicy(max_retries=20, retry_after_max=1, total_timeout=30)
    config_client = client_for(emu, retries=policy, cache_ttl=0)
    client = Client.from_config(config_client.config, sleep=sleep)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(15):
                assert client.projects.get(2).id == 2
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    client.close()
    config_client.close()

    assert errors == []
    throttled = emu.requests.count("GET", "/projects/2/", status=429)
    assert throttled > 0, "the bucket never emptied: the storm was not exercised"
    assert emu.requests.count("GET", "/projects/2/", status=200) == 60
    assert len(waits) == throttled and all(w == pytest.approx(0.02) for w in waits)
