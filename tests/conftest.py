"""What every suite shares: settings isolation, a fake clock, and a recording HTTP server on loopback.

Every test runs with the ``SYNAPSE_*`` variables (and the CA-bundle variables requests reads)
removed, ``SYNAPSE_CONFIG`` pointing at a missing file and ``SYNAPSE_CACHE_DIR`` in the test's
temporary folder, so a developer's own settings and caches never leak in.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SYNAPSE_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYNAPSE_CONFIG", str(tmp_path / "no-such-config.json"))
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


class FakeClock:
    """A monotonic clock that moves only when the code under test sleeps (thread-safe).

    ``on_sleep`` callbacks run at every sleep: a test restarts a server there, for instance.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: list[Callable[[float], None]] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds
        for callback in list(self.on_sleep):
            callback(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


NOT_FOUND = (404, {}, {"detail": "Not found."})


class LoopbackServer:
    """A tiny threaded HTTP server bound to 127.0.0.1 that records every request it receives.

    ``routes`` maps a path to ``(status, headers, body)`` or to a callable taking the handler;
    any other path gets ``default``. ``host`` names the server in ``url`` (``localhost`` is
    another origin than ``127.0.0.1``, on the same machine).
    """

    def __init__(self, host: str = "127.0.0.1", default: tuple[int, dict[str, str], Any] = NOT_FOUND) -> None:
        self.routes: dict[str, Any] = {}
        self.received: list[dict[str, Any]] = []
        self.default = default
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
                route = server.routes.get(self.path.split("?")[0], server.default)
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
        self.url = f"http://{host}:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def loopback() -> Iterator[Callable[..., LoopbackServer]]:
    """A factory of loopback servers (``loopback(host=..., default=...)``), all shut down after the test."""
    servers: list[LoopbackServer] = []

    def start(**kwargs: Any) -> LoopbackServer:
        server = LoopbackServer(**kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
