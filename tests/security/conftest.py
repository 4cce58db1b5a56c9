"""Fixtures of the security suite: distinctive credentials, and servers on 127.0.0.1 only."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse.client import Client

API_TOKEN = "sk-API-7f3c9a1e5b2d4f60a8c7e9b1d3f5a7c9"
AGENT_TOKEN = "sk-AGENT-0b1c2d3e4f5a6b7c8d9e0f1a2b3c"
TENANT = "tenant-SECRET-4e5f6a7b8c"
USER_TOKEN = "sk-USER-9a8b7c6d5e4f3a2b1c0d9e8f"
SECRETS = (API_TOKEN, AGENT_TOKEN, TENANT, USER_TOKEN)


def leaked(text: str | bytes) -> list[str]:
    """The secrets (or their distinctive halves) found in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return [s for s in SECRETS if s in text or s[len(s) // 2 :] in text]


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SYNAPSE_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SYNAPSE_CONFIG", str(tmp_path / "no-such-config.json"))
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def emu(synapse_emulator_factory: Callable[..., Any]) -> Any:
    """A demo emulator that accepts ``API_TOKEN`` (the agent of the seed gets ``AGENT_TOKEN``)."""
    emulator = synapse_emulator_factory(tokens={API_TOKEN: "*"})
    with emulator.db.write() as db:
        db.execute("UPDATE agents SET token = ? WHERE id = 1", (AGENT_TOKEN,))
    return emulator


@pytest.fixture
def client(emu: Any) -> Iterator[Client]:
    """A client holding all four credentials."""
    c = Client(
        base_url=emu.url, api_token=API_TOKEN, agent_token=AGENT_TOKEN, tenant=TENANT,
        user_token=USER_TOKEN, retries=1,
    )
    yield c
    c.close()


class Recorder:
    """A tiny HTTP server on 127.0.0.1 or localhost that records every request's headers."""

    def __init__(self, host: str) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                data = b'{"id": 1, "title": "elsewhere"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        bind = "127.0.0.1"  # "localhost" resolves here too: a different origin, the same machine
        self.httpd = http.server.ThreadingHTTPServer((bind, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def recorder() -> Iterator[Callable[[str], Recorder]]:
    started: list[Recorder] = []

    def start(host: str = "localhost") -> Recorder:
        server = Recorder(host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()
