"""Credentials never leave the configured origin and never show in logs, reprs or errors."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from typing import Any

import pytest
import requests
import requests_mock as rm

import synapse
from synapse.config import Config
from synapse.errors import SynapseError, UnsafeURLError
from synapse.transport import AUTH_HEADERS, RequestEvent, Transport
from tests.conftest import LoopbackServer

from .conftest import BASE

API, AGENT, TENANT, USER = (
    "api-SECRET-aaaa1111",
    "agent-SECRET-bbbb2222",
    "tenant-SECRET-cc33",
    "user-SECRET-dddd4444",
)
SECRETS = (API, AGENT, TENANT, USER)
ALL = {"api_token": API, "agent_token": AGENT, "tenant": TENANT, "user_token": USER}


def full_transport(make_transport: Callable[..., Transport]) -> Transport:
    return make_transport(**ALL)


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_logs_reprs_and_errors_never_hold_a_token(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture
) -> None:
    transport = full_transport(make_transport)
    events: list[RequestEvent] = []
    transport.add_hook(events.append)
    requests_mock.get(BASE + "projects/1/", status_code=401, json={"detail": "Invalid token."})
    requests_mock.get(BASE + "projects/2/", status_code=502, text="<html><title>Bad Gateway</title></html>")
    requests_mock.get(BASE + "projects/3/", exc=requests.exceptions.ConnectionError(f"boom {API} {AGENT}"))
    requests_mock.post(BASE + "tasks/", exc=requests.exceptions.ReadTimeout("read timed out"))
    requests_mock.post(
        BASE + f"agents/{AGENT}/connect/", status_code=404, json={"detail": f"No agent {AGENT}."}
    )
    requests_mock.get(
        BASE + "projects/", json={"count": 2, "next": "https://evil.example.com/?page=2", "results": [1]}
    )
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        for call in (
            lambda: transport.get("projects/1/"),
            lambda: transport.get("projects/2/", retry=False),
            lambda: transport.get("projects/3/"),
            lambda: transport.post("tasks/", json={"token": "not-a-secret"}),
            lambda: transport.post(f"agents/{AGENT}/connect/", json={}),
            lambda: list(transport.iter_items("projects/")),
        ):
            with pytest.raises(SynapseError) as info:
                call()
            errors.append(info.value)
    # requests-mock's own logger prints full URLs; it only exists in tests.
    ours = [r for r in caplog.records if not r.name.startswith("requests_mock")]
    assert len(ours) > 10
    text = "\n".join(r.getMessage() for r in ours)
    assert_clean(text)
    for err in errors:
        assert_clean(str(err))
        assert_clean(repr(err))
        assert_clean(repr(vars(err)))
        assert_clean(repr(pickle.loads(pickle.dumps(err)).__dict__))
        assert err.__cause__ is None and err.__suppress_context__ in (True, False)
    assert "/api/agents/***/connect/" in text
    assert_clean(repr(events) + repr(transport) + repr(transport.config))


def test_urllib3_debug_lines_are_scrubbed(
    loopback: Callable[[], LoopbackServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = loopback()
    server.routes[f"/agents/{AGENT}/connect/"] = (200, {}, {"status": "connected"})
    transport = Transport(Config.resolve(base_url=server.url, agent_token=AGENT, env={}))
    with caplog.at_level(logging.DEBUG):
        assert transport.post(f"agents/{AGENT}/connect/", json={}) == {"status": "connected"}
    assert "urllib3.connectionpool" in {r.name for r in caplog.records}
    assert_clean(caplog.text)


def test_client_repr_shows_the_url_and_sources_not_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_API_TOKEN", API)
    monkeypatch.setenv("SYNAPSE_TENANT", TENANT)
    client = synapse.Client("https://api.example.com", user_token=USER)
    text = repr(client)
    assert text == (
        "<Client https://api.example.com/ (api token from env:SYNAPSE_API_TOKEN, "
        "tenant from env:SYNAPSE_TENANT, user token from argument)>"
    )
    assert_clean(text + str(client) + repr(client.config) + repr(client.transport))


# --- redirects ----------------------------------------------------------------------------------


def test_a_cross_origin_redirect_drops_every_auth_header(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(
        BASE + "data_files/1/download/", status_code=302, headers={"Location": "https://cdn.example.net/f"}
    )
    requests_mock.get(
        "https://cdn.example.net/f", content=b"bytes", headers={"Content-Type": "application/octet-stream"}
    )
    response = full_transport(make_transport).send("GET", "data_files/1/download/")
    assert response.content == b"bytes"
    first, second = requests_mock.request_history
    assert all(name in first.headers for name in AUTH_HEADERS)
    assert not any(name in second.headers for name in AUTH_HEADERS)
    assert_clean(repr(dict(second.headers)))


def test_a_same_origin_redirect_keeps_the_auth_headers(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(BASE + "old/", status_code=301, headers={"Location": BASE + "new/"})
    requests_mock.get(BASE + "new/", json={"ok": True})
    assert full_transport(make_transport).get("old/") == {"ok": True}
    assert all(name in requests_mock.last_request.headers for name in AUTH_HEADERS)


def test_a_redirect_to_plain_http_on_the_same_host_drops_the_headers(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(BASE + "old/", status_code=307, headers={"Location": "http://api.example.com/api/new/"})
    requests_mock.get("http://api.example.com/api/new/", json={"ok": True})
    full_transport(make_transport).get("old/")
    assert not any(name in requests_mock.last_request.headers for name in AUTH_HEADERS)


def test_a_real_redirect_between_two_loopback_origins(loopback: Callable[[], LoopbackServer]) -> None:
    a, b = loopback(), loopback()

    def redirect(handler: Any) -> None:
        handler.send_response(302)
        handler.send_header("Location", f"{b.url}landing/")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    a.routes["/start/"] = redirect
    b.routes["/landing/"] = (200, {}, {"landed": True})
    transport = Transport(Config.resolve(base_url=a.url, env={}, **ALL))
    assert transport.get("start/") == {"landed": True}
    assert all(name in a.received[0]["headers"] for name in AUTH_HEADERS)
    assert_clean(repr(b.received))
    assert not {h.lower() for h in b.received[0]["headers"]} & {h.lower() for h in AUTH_HEADERS}


# --- absolute URLs handed out by the server ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example.com/api/chunked_upload/1/",
        "//evil.example.com/x",
        "http://api.example.com:8000/api/x",
        "https://api.example.com.evil.net/api/x",
        "ftp://api.example.com/api/x",
    ],
)
def test_url_refuses_another_origin(
    url: str, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    transport = make_transport()
    with pytest.raises(UnsafeURLError):
        transport.url(url)
    with pytest.raises(UnsafeURLError):
        transport.put(url, data=b"chunk")
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("projects/", BASE + "projects/"),
        ("projects/?a=1", BASE + "projects/?a=1"),
        (
            "https://API.example.com:443/api/chunked_upload/9/",
            "https://API.example.com:443/api/chunked_upload/9/",
        ),
        ("/other/", "https://api.example.com/other/"),
        ("http://api.example.com/api/x/", "https://api.example.com/api/x/"),
    ],
)
def test_url_accepts_our_origin(path: str, expected: str, make_transport: Callable[..., Transport]) -> None:
    assert make_transport().url(path) == expected
