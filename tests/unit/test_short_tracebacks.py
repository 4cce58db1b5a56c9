"""Short tracebacks for SynapseError under IPython (issue 14, item 6), tested with a stand-in shell."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

import synapse
from synapse import ipython
from synapse.errors import SynapseError, TransportError


class FakeShell:
    def __init__(self) -> None:
        self.custom: tuple[Any, Any] = ((), None)

    def set_custom_exc(self, exc_tuple: tuple[type[BaseException], ...], handler: Any) -> None:
        self.custom = (exc_tuple, handler)


def _failure() -> TransportError:
    client = synapse.Client(base_url="http://127.0.0.1:9/", api_token="secret-token-abc",
                            retries=synapse.RetryPolicy(max_retries=0))
    try:
        client.projects.get(1)  # nothing listens on port 9: refused
    except TransportError as exc:
        return exc
    raise AssertionError("no error")


def test_the_short_traceback_keeps_the_callers_line_and_the_error() -> None:
    exc = _failure()
    text = ipython.short_traceback(type(exc), exc, exc.__traceback__)
    assert "client.projects.get(1)" in text and "TransportError" in text
    assert "Is the server running" in text
    assert "transport.py" not in text and "requests" + "/" not in text and "secret-token-abc" not in text


def test_install_registers_a_handler_for_synapse_errors_once(capsys: pytest.CaptureFixture[str]) -> None:
    shell = FakeShell()
    try:
        assert ipython.install(shell) and ipython.install(shell)
        kinds, handler = shell.custom
        assert kinds == (SynapseError,)
        exc = _failure()
        handler(shell, type(exc), exc, exc.__traceback__)
        err = capsys.readouterr().err
        assert "client.projects.get(1)" in err and "full_tracebacks()" in err
    finally:
        ipython.full_tracebacks()
    assert shell.custom[0] == ()


def test_a_client_created_under_ipython_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    shell = FakeShell()
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake)
    try:
        synapse.Client(base_url="http://127.0.0.1:9/", api_token="t")
        assert shell.custom[0] == (SynapseError,)
    finally:
        ipython.full_tracebacks()


def test_outside_ipython_nothing_is_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    assert ipython.install() is False
