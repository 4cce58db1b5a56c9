"""The original error contract through the facade: every failure is a ``ClientError``.

A server that cannot be reached, one too slow to answer and one that drops the connection after
a write: each raises the original SDK's class, which is also the object model's ``TransportError``.
"""

from __future__ import annotations

import pickle
import socket
import time
from typing import Any

import attrs
import pytest

from synapse.clients.backend import BackendClient
from synapse.clients.exceptions import (
    ClientConnectionError,
    ClientError,
    ClientResponseIncompleteError,
    ClientTimeoutError,
)
from synapse.config import RetryPolicy
from synapse.errors import TransportError


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quick(backend: BackendClient) -> BackendClient:
    """The same client with one short retry, so an outage fails in well under a second."""
    transport = backend.client.transport
    transport.config = attrs.evolve(transport.config, retries=RetryPolicy(max_retries=1, backoff_factor=0.01))
    return backend


def test_a_server_that_cannot_be_reached_is_a_client_connection_error() -> None:
    backend = BackendClient(f"http://127.0.0.1:{_closed_port()}/", "secret-token-123", timeout=2)
    with pytest.raises(ClientError) as info:
        backend.get_project(1)
    err = info.value
    assert type(err) is ClientConnectionError and err.status_code is None and err.status is None
    assert isinstance(err, TransportError) and err.may_have_reached_server is False
    assert (err.method, err.path) == ("GET", "/projects/1/")
    assert err.__cause__ is None and err.__context__ is None  # nothing of requests chained
    assert "secret-token-123" not in str(err) + repr(err) + str(pickle.dumps(err))
    assert type(pickle.loads(pickle.dumps(err))) is ClientConnectionError


def test_lists_and_writes_fail_the_same_way() -> None:
    backend = _quick(BackendClient(f"http://127.0.0.1:{_closed_port()}/", "secret-token-123", timeout=2))
    with pytest.raises(ClientConnectionError):
        backend.list_tasks(params={"project": 1}, list_all=True)
    with pytest.raises(ClientConnectionError):
        backend.run_plugin(1, {"action": "train"})  # never sent: a connect failure
    with pytest.raises(ClientConnectionError):
        backend.exists("get_project", 1)  # an outage is not "does not exist"


def test_a_slow_server_is_a_client_timeout_error(emu: Any) -> None:
    emu.faults.delay("projects/1/", seconds=1.0, times=None)
    backend = _quick(BackendClient(emu.url, emu.token, timeout={"connect": 2, "read": 0.2}))
    start = time.monotonic()
    with pytest.raises(ClientError) as info:
        backend.get_project(1)
    err = info.value
    assert type(err) is ClientTimeoutError and err.status_code == 408 and err.status == 408
    assert isinstance(err, TransportError) and err.timeout == pytest.approx(0.2)
    assert err.may_have_reached_server is True and not isinstance(err, ClientConnectionError)
    assert time.monotonic() - start < 5


def test_a_write_whose_answer_is_lost_is_a_response_incomplete_error(emu: Any) -> None:
    emu.faults.drop("plugins/1/run/", method="POST", when="after", times=1)
    backend = BackendClient(emu.url, emu.token)
    with pytest.raises(ClientConnectionError) as info:  # the original's parent class catches it
        backend.run_plugin(1, {"action": "train"})
    err = info.value
    assert type(err) is ClientResponseIncompleteError and err.status_code is None
    assert err.may_have_reached_server is True and (err.method, err.path) == ("POST", "/plugins/1/run/")
    assert len(emu.requests.filter("POST", "/plugins/1/run/")) == 1  # not sent again
    assert backend.list_jobs({"action": "train"})["count"] >= 1  # it was applied


def test_an_outage_part_way_through_list_all(emu: Any) -> None:
    backend = _quick(BackendClient(emu.url, emu.token))
    rows, count = backend.list_tasks(params={"project": 1, "page_size": 100}, list_all=True)
    emu.faults.drop("sdk/tasks/", method="GET", when="before", times=None)
    read = 0
    with pytest.raises(ClientError) as info:
        for _row in rows:
            read += 1
    assert count == 320 and read == 100
    assert isinstance(info.value, ClientConnectionError) and info.value.status_code is None


def test_the_object_model_keeps_raising_transport_error(emu: Any) -> None:
    emu.faults.drop("plugins/1/run/", method="POST", when="after", times=1)
    backend = BackendClient(emu.url, emu.token)
    with pytest.raises(TransportError) as info:
        backend.client.plugins.get(1, lazy=True).run(action="train")
    assert type(info.value) is TransportError and not isinstance(info.value, ClientError)
