"""Files served from a storage origin (pre-signed URLs): fetched with no credentials at all.

``Emulator(storage_origin=True)`` serves every file URL from a second loopback origin that
refuses (403) any request carrying the API's credentials or a cookie and records every header
it receives (``emu.storage_requests``). Redirects are served by a small loopback server here.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

import synapse
from synapse.clients.backend import BackendClient
from synapse.errors import UnsafeURLError
from synapse.services.downloads import download

CREDENTIALS = ("Synapse-Access-Token", "Synapse-Agent", "Synapse-Tenant", "Authorization", "Cookie")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def emu(synapse_emulator_factory: Any) -> Any:
    return synapse_emulator_factory(storage_origin=True)


@pytest.fixture
def client(emu: Any) -> Iterator[synapse.Client]:
    # every credential the protocol knows, so any that leaked would show
    with synapse.Client(base_url=emu.url, api_token=emu.token, tenant="tenant-code",
                        agent_token="agent-secret") as c:
        yield c


def assert_no_credentials(emu: Any) -> None:
    assert emu.storage_requests, "nothing was fetched from the storage origin"
    for request in emu.storage_requests:
        sent = [name for name in CREDENTIALS if name in request.headers]
        assert sent == [], f"{request.method} {request.path} carried {sent}"


class Redirector:
    """A loopback server that answers every GET with a 302 to ``target`` (and sets a cookie)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: list[dict[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(dict(self.headers.items()))
                self.send_response(302)
                self.send_header("Location", outer.target)
                self.send_header("Set-Cookie", "session=abc; Path=/")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- files of the object model


def test_a_unit_file_on_the_storage_origin_downloads_without_credentials(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    unit = client.data_units.get(1)
    url = unit.files["image"]["url"]
    assert not client.transport.same_origin(url) and url.startswith(emu.storage_url)
    written = unit.download(tmp_path / "out")
    assert set(written) == set(unit.files)
    for name, path in written.items():
        checksum = unit.files[name]["checksum"]
        assert hashlib.md5(path.read_bytes()).hexdigest() == checksum
    assert_no_credentials(emu)


def test_an_uploaded_data_file_downloads_back_from_the_storage_origin(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    src = tmp_path / "photo.bin"
    src.write_bytes(b"stored bytes" * 1000)
    data_file = client.data_files.create(src)
    assert data_file.file is not None and data_file.file.startswith(emu.storage_url)
    out = data_file.download(tmp_path / "back")
    assert out.read_bytes() == src.read_bytes()
    assert_no_credentials(emu)


def test_model_download_and_the_facades_get_model(emu: Any, client: synapse.Client, tmp_path: Path) -> None:
    model = client.models.get(1)
    assert model.file is not None and not client.transport.same_origin(model.file)
    path = model.download(tmp_path / "weights")
    assert path.is_file() and path.stat().st_size > 0
    facade = emu.client(BackendClient)
    answer = facade.get_model(1)
    assert Path(answer["file"]).read_bytes() == path.read_bytes()
    assert_no_credentials(emu)


def test_a_storage_url_with_credentials_would_have_been_refused(emu: Any, client: synapse.Client) -> None:
    # The storage origin really refuses credentials (so the tests above prove something), and the
    # authenticated path still refuses another origin.
    url = client.data_units.get(1).files["image"]["url"]
    with pytest.raises(UnsafeURLError):
        client.transport.send("GET", url)
    response = client.transport.send("GET", url, credentials=False, stream=True)
    try:
        assert response.status_code == 200
    finally:
        response.close()
    refused = requests.get(url, headers={"Synapse-Access-Token": "Token x"}, timeout=5)
    assert refused.status_code == 403
    assert "Synapse-Access-Token" in emu.storage_requests[-1].headers  # recorded, value redacted


# ---------------------------------------------------------------- redirects


def test_a_redirect_from_another_host_to_storage_carries_no_credentials(
    emu: Any, client: synapse.Client, tmp_path: Path
) -> None:
    url = client.data_units.get(1).files["image"]["url"]
    redirector = Redirector(url)
    try:
        out = download(client, redirector.url + "files/frame.png", tmp_path / "out")
    finally:
        redirector.close()
    assert out.stat().st_size > 0
    assert [name for name in CREDENTIALS if name in redirector.seen[0]] == []
    assert_no_credentials(emu)  # nor the cookie the redirect set


def test_a_redirect_from_the_api_origin_to_storage_drops_the_credentials(emu: Any, tmp_path: Path) -> None:
    with synapse.Client(base_url=emu.url, api_token=emu.token) as c:
        url = c.data_units.get(1).files["image"]["url"]
    redirector = Redirector(url)
    try:
        # The redirector is the API origin here: it gets the token, the storage host must not.
        with synapse.Client(base_url=redirector.url, api_token="api-secret", tenant="t-code") as api:
            out = download(api, "media/data_files/1/frame_0001.png", tmp_path / "out")
    finally:
        redirector.close()
    assert out.stat().st_size > 0
    assert redirector.seen[0].get("Synapse-Access-Token") == "Token api-secret"
    assert_no_credentials(emu)
