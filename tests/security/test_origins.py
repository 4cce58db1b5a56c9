"""Credentials go to the configured origin only: redirects, plain http, TLS verification.

Two loopback servers are two origins: the emulator on ``127.0.0.1:<port>`` and a recorder on
``localhost:<other port>`` (or ``127.0.0.1:<other port>``). The emulator answers a 302/307 through
its fault injection; the recorder notes every header it receives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests_mock

import synapse
from synapse.client import Client
from synapse.errors import ConfigurationError
from synapse.transport import AUTH_HEADERS
from tests.conftest import LoopbackServer

from .conftest import API_TOKEN, leaked


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
@pytest.mark.parametrize(("status", "method"), [(302, "GET"), (307, "GET"), (307, "PATCH"), (308, "PUT")])
def test_no_credential_follows_a_redirect_to_another_origin(
    client: Client, emu: Any, recorder: Callable[[str], LoopbackServer], host: str, status: int, method: str
) -> None:
    other = recorder(host)
    emu.faults.add("projects/1/", status=status, headers={"Location": other.url + "projects/1/"}, times=1)

    client.transport.request(method, "projects/1/", json={"title": "x"} if method != "GET" else None)

    assert emu.requests.count(path="/projects/1/") == 1
    (received,) = other.received
    names = {name.lower() for name in received["headers"]}
    assert names.isdisjoint(h.lower() for h in AUTH_HEADERS), received["headers"]
    assert leaked(repr(received["headers"])) == []
    assert received["method"] == (method if status in (307, 308) else "GET")


def test_a_redirect_within_the_origin_keeps_the_credentials(client: Client, emu: Any) -> None:
    emu.faults.add("projects/1/", status=302, headers={"Location": emu.url + "projects/2/"}, times=1)

    assert client.transport.get("projects/1/")["id"] == 2

    (followed,) = emu.requests.filter("GET", "/projects/2/")
    assert followed.status == 200  # authenticated: the token went along to its own origin
    assert followed.headers["Synapse-Access-Token"] == "<redacted>"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://api.synapse.sh/api/",
        "http://10.0.0.5:8000",
        "http://192.168.1.20",
        "http://127.0.0.1.nip.io",  # looks like loopback, resolves anywhere
        "http://localhost.evil.com",
        "http://2130706433",  # 127.0.0.1 as one number: not taken for loopback
        "http://[::ffff:8.8.8.8]",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_before_any_request(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with requests_mock.Mocker() as m:  # any request would fail loudly: nothing is registered
        with pytest.raises(ConfigurationError) as caught:
            Client(base_url=url, api_token=API_TOKEN)
        assert "allow_insecure_http" in str(caught.value)
        monkeypatch.setenv("SYNAPSE_BASE_URL", url)
        monkeypatch.setenv("SYNAPSE_API_TOKEN", API_TOKEN)
        with pytest.raises(ConfigurationError):
            Client()  # from the environment: refused the same way
        assert m.call_count == 0


def test_plain_http_to_a_remote_host_needs_the_explicit_opt_in() -> None:
    client = Client(base_url="http://10.0.0.5:8000", api_token=API_TOKEN, allow_insecure_http=True)
    assert client.base_url == "http://10.0.0.5:8000/"
    assert client.config.allow_insecure_http is True


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost", "http://[::1]:9", "http://127.8.9.1"])
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert Client(base_url=url, api_token=API_TOKEN).base_url.startswith("http://")


def test_tls_verification_is_on_by_default() -> None:
    client = Client(base_url="https://api.example.com", api_token=API_TOKEN)
    assert client.config.verify is True
    with requests_mock.Mocker() as m:
        m.get("https://api.example.com/projects/1/", json={"id": 1})
        client.projects.get(1)
        assert m.last_request.verify is True


def test_tls_verification_uses_the_ca_bundle_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    client = Client(base_url="https://api.example.com", api_token=API_TOKEN)
    with requests_mock.Mocker() as m:
        m.get("https://api.example.com/projects/1/", json={"id": 1})
        client.projects.get(1)
        assert m.last_request.verify == str(bundle)  # still verifying, with the corporate CA


def test_turning_verification_off_is_explicit() -> None:
    client = Client(base_url="https://api.example.com", api_token=API_TOKEN, verify=False)
    with requests_mock.Mocker() as m:
        m.get("https://api.example.com/projects/1/", json={"id": 1})
        client.projects.get(1)
        assert m.last_request.verify is False


def test_a_certificate_error_is_not_retried_and_says_so(recorder: Callable[[str], LoopbackServer]) -> None:
    plain = recorder("127.0.0.1")  # a plain-HTTP server spoken to over https: the handshake fails
    https_url = plain.url.replace("http://", "https://")
    client = Client(base_url=https_url, api_token=API_TOKEN, retries=3)
    with pytest.raises(synapse.TransportError) as caught:
        client.projects.get(1)
    assert caught.value.may_have_reached_server is False
    assert plain.received == []  # nothing was read as a request: no token crossed in clear
    assert leaked(str(caught.value)) == []
