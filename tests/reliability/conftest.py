"""Fixtures of the reliability suite: clients with a fast retry policy and a clock that never sleeps.

Every test here runs against the emulator on 127.0.0.1 and its fault injection. Waits between
retries go to a ``FakeClock`` (the transport's ``sleep`` and ``clock`` are injected), so a test
that rides out a storm of 503s or 429s takes milliseconds, and the waits it *would* have made
can be asserted on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from synapse.client import Client
from synapse.config import Config, RetryPolicy
from tests.conftest import FakeClock

#: Backoff small enough to be instant even with a real sleep; budgets as in production.
FAST = RetryPolicy(max_retries=5, backoff_factor=0.001, backoff_max=0.01, retry_after_max=60.0)



def client_for(
    emu: Any,
    clock: FakeClock | None = None,
    *,
    retries: RetryPolicy = FAST,
    seed: int = 0,
    **settings: Any,
) -> Client:
    """A Client bound to ``emu`` that waits on ``clock`` (no real sleeping) and has seeded jitter."""
    config = Config.resolve(
        base_url=emu.url, api_token=emu.token, retries=retries, env={}, config_file="/no/such/file.json",
        **settings,
    )
    if clock is None:
        return Client.from_config(config, rng=random.Random(seed))
    return Client.from_config(config, sleep=clock.sleep, clock=clock, rng=random.Random(seed))


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., Client]]:
    """``make_client(emu, **settings)``: clients on the fake clock, all closed after the test."""
    made: list[Client] = []

    def make(emu: Any, **settings: Any) -> Client:
        client = client_for(emu, clock, **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def log_slice(emu: Any, start: int) -> list[Any]:
    """The request-log records from index ``start`` on (what one operation sent)."""
    return emu.requests[start:]
