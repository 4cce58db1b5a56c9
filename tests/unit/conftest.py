"""Fixtures of the unit tests (no network beyond 127.0.0.1); isolation, the fake clock and the
loopback server come from ``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from synapse.config import Config, RetryPolicy
from synapse.transport import Transport
from tests.conftest import FakeClock

BASE = "https://api.example.com/api/"
TOKEN = "tok-SECRET-1234567890"


@pytest.fixture
def make_transport(clock: FakeClock) -> Callable[..., Transport]:
    """``make_transport(**settings)``: a Transport on ``BASE`` with the fake clock and sleeper."""

    def make(retries: RetryPolicy | int | None = None, **settings: Any) -> Transport:
        settings.setdefault("base_url", BASE)
        settings.setdefault("api_token", TOKEN)
        config = Config.resolve(retries=retries, env={}, config_file="/no/such/file.json", **settings)
        return Transport(config, sleep=clock.sleep, clock=clock)

    return make
