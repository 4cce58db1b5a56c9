"""Errors that say what to do next (issue 14, item 6)."""

from __future__ import annotations

import time
from typing import Any

import pytest

import synapse
from synapse.emulator import Emulator
from synapse.errors import AuthenticationError, NotFound, TransportError


def test_an_emulator_never_started_says_so_at_once() -> None:
    emu = Emulator(seed="demo")
    began = time.monotonic()
    with pytest.raises(RuntimeError, match=r"with Emulator\(\.\.\.\)|\.start\(\)"):
        emu.client(synapse.Client)
    with pytest.raises(RuntimeError, match="start"):
        print(emu.url)
    assert time.monotonic() - began < 1
    assert "not started" in repr(emu)
    emu.close()


def test_a_stopped_emulator_keeps_its_url() -> None:
    with Emulator() as emu:
        url = emu.url
        emu.stop()
        assert emu.url == url


def test_a_refused_connection_is_retried_once_and_asks_if_the_server_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Emulator() as emu:
        url = emu.url
    monkeypatch.setenv("SYNAPSE_BASE_URL", url)  # nothing listens there any more
    client = synapse.Client(api_token="t")
    attempts: list[Any] = []
    client.transport.add_hook(attempts.append)
    began = time.monotonic()
    with pytest.raises(TransportError) as info:
        client.projects.get(1)
    assert time.monotonic() - began < 2
    assert len(attempts) == 2  # the first try and one retry
    message = str(info.value)
    assert "Is the server running" in message and "environment variable SYNAPSE_BASE_URL" in message
    assert info.value.may_have_reached_server is False


def test_a_401_names_where_the_token_came_from_never_the_token(
    emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNAPSE_API_TOKEN", "not-a-valid-token-123")
    client = synapse.Client(base_url=emu.url)
    with pytest.raises(AuthenticationError) as info:
        client.projects.get(1)
    assert "api token from env:SYNAPSE_API_TOKEN" in str(info.value)
    assert "not-a-valid-token-123" not in str(info.value) + repr(info.value)


def test_not_found_names_the_resource_and_the_id(client: Any) -> None:
    with pytest.raises(NotFound, match="Project 999 not found"):
        client.projects.get(999)
    with pytest.raises(NotFound, match="Task 99999 not found"):
        client.tasks.fetch(99999, expand="data_unit")
