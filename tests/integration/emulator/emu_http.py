"""HTTP helper for the emulator's integration tests (plain ``requests``, no SDK)."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from synapse.emulator import Emulator


class Api:
    """A tiny HTTP helper bound to one emulator and one credential header."""

    def __init__(
        self, emu: Emulator, token: str | None = "dev-token", header: str = "Synapse-Access-Token"
    ) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False
        if token is not None:
            self.session.headers[header] = f"Token {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.emu.url + path.lstrip("/")

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def upload_chunk(
        self, data: bytes, start: int, total: int, url: str = "chunked_upload/", filename: str = "blob.bin"
    ) -> requests.Response:
        end = start + len(data) - 1
        rng = f"bytes {start}-{end}/{total}" if data else "bytes */0"
        return self.put(
            url, data={"filename": filename}, files={"file": (filename, data)}, headers={"Content-Range": rng}
        )

    def upload(self, data: bytes, chunk: int = 1024, filename: str = "blob.bin") -> dict[str, Any]:
        """A complete chunked upload; returns the finishing answer."""
        url = "chunked_upload/"
        offset = 0
        while True:
            part = data[offset : offset + chunk]
            r = self.upload_chunk(part, offset, len(data), url, filename)
            assert r.status_code == 200, r.text
            url, offset = r.json()["url"], r.json()["offset"]
            if offset >= len(data):
                break
        r = self.post(url, json={"md5": hashlib.md5(data).hexdigest()})
        assert r.status_code == 200, r.text
        return dict(r.json())
