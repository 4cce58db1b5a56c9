"""Shared fixtures of the unit tests (no network beyond 127.0.0.1).

Every unit test runs with the ``SYNAPSE_*`` variables removed and ``SYNAPSE_CONFIG`` pointing
at a missing file, so a developer's own settings never leak in.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from synapse.config import Config, RetryPolicy
from synapse.transport import Transport

BASE = "https://api.example.com/api/"
TOKEN = "tok-SECRET-1234567890"


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in list(os.environ):
        if name.startswith("SYNAPSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYNAPSE_CONFIG", str(tmp_path / "no-such-config.json"))


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_transport(clock: FakeClock) -> Callable[..., Transport]:
    """``make_transport(**settings)``: a Transport on ``BASE`` with the fake clock and sleeper."""

    def make(retries: RetryPolicy | int | None = None, **settings: Any) -> Transport:
        settings.setdefault("base_url", BASE)
        settings.setdefault("api_token", TOKEN)
        config = Config.resolve(retries=retries, env={}, config_file="/no/such/file.json", **settings)
        return Transport(config, sleep=clock.sleep, clock=clock)

    return make


class LoopbackServer:
    """A tiny threaded HTTP server on 127.0.0.1 recording what it receives.

    ``routes`` maps a path to ``(status, headers, body)`` or to a callable taking the handler.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}
        self.received: list[dict[str, Any]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.received.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                route = server.routes.get(self.path.split("?")[0], (404, {}, {"detail": "Not found."}))
                if callable(route):
                    route(self)
                    return
                status, headers, payload = route
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[Callable[[], LoopbackServer]]:
    """A factory of loopback servers, all shut down after the test."""
    servers: list[LoopbackServer] = []

    def start() -> LoopbackServer:
        server = LoopbackServer()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
