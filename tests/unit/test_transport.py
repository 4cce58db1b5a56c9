"""Transport basics: headers, bodies, environment settings read once, hooks, threads, logging."""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import platform
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
import requests.utils
import requests_mock as rm

import synapse
from synapse.config import Config
from synapse.errors import TransportError
from synapse.http import redaction
from synapse.transport import AUTH_HEADERS, RequestEvent, Transport

from .conftest import BASE, TOKEN

URL = BASE + "things/"
CREDENTIALS = {
    "api_token": ("Synapse-Access-Token", "api-abcdef"),
    "agent_token": ("SYNAPSE-Agent", "agent-abcdef"),
    "tenant": ("Synapse-Tenant", "acme"),
    "user_token": ("Authorization", "user-abcdef"),
}
COMBINATIONS = [
    c for n in range(1, 5) for c in itertools.combinations(CREDENTIALS, n) if set(c) != {"tenant"}
]


@pytest.mark.parametrize("names", COMBINATIONS, ids="+".join)
def test_auth_headers_for_every_combination(names: tuple[str, ...], requests_mock: rm.Mocker) -> None:
    settings = {name: CREDENTIALS[name][1] for name in names}
    transport = Transport(Config.resolve(base_url=BASE, env={}, **settings))
    requests_mock.get(URL, json={})
    transport.get("things/")
    sent = requests_mock.last_request.headers
    for name, (header, value) in CREDENTIALS.items():
        if name in names:
            assert sent[header] == f"Token {value}"
        else:
            assert header not in sent


def test_user_agent_names_sdk_python_and_requests(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, json={})
    make_transport().get("things/")
    python = ".".join(platform.python_version_tuple()[:2])
    expected = f"synapse-orm/{synapse.__version__} python/{python} requests/{requests.__version__}"
    assert requests_mock.last_request.headers["User-Agent"] == expected
    assert requests_mock.last_request.headers["Accept"] == "application/json"


def test_json_bodies(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, status_code=201, json={"id": 1})
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
    ident = uuid.UUID(int=1)
    assert make_transport().post("things/", json={"at": when, "id": ident, "path": Path("/x"), "n": [1]}) == {
        "id": 1
    }
    request = requests_mock.last_request
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {"at": "2024-05-06T07:08:09+00:00", "id": str(ident), "path": "/x", "n": [1]}


def test_nan_is_refused_before_sending(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    with pytest.raises(ValueError):
        make_transport().post("things/", json={"x": float("nan")})
    assert requests_mock.call_count == 0


def test_query_parameters(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, json=[])
    make_transport().get("things/", params={"a": True, "b": False, "c": None, "ids": [1, 2], "s": "x y"})
    assert requests_mock.last_request.qs == {"a": ["true"], "b": ["false"], "ids": ["1", "2"], "s": ["x y"]}


def test_multipart_fields(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.post(URL, json={})
    make_transport().post(
        "things/",
        data={"config": {"a": 1}, "requirements": ["x", "y"], "debug": True, "skip": None, "version": "1.0"},
        files={"file": ("a.zip", b"PK")},
    )
    body = requests_mock.last_request.body.decode()
    assert 'name="config"\r\n\r\n{"a": 1}\r\n' in body
    assert body.count('name="requirements"') == 2
    assert 'name="debug"\r\n\r\ntrue\r\n' in body
    assert 'name="skip"' not in body
    assert "multipart/form-data" in requests_mock.last_request.headers["Content-Type"]


def test_204_and_text_answers(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.delete(URL, status_code=204)
    requests_mock.get(URL, text="plain", headers={"Content-Type": "text/plain"})
    transport = make_transport()
    assert transport.delete("things/") is None
    assert transport.get("things/") == "plain"


def test_per_call_timeout(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, json={})
    transport = make_transport(timeout=(3, 40))
    transport.get("things/")
    transport.get("things/", timeout=7)
    transport.get("things/", timeout=(1, 2))
    assert [r.timeout for r in requests_mock.request_history] == [(3.0, 40.0), (7.0, 7.0), (1.0, 2.0)]


def test_send_returns_the_response_and_last_response_is_kept(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, content=b"raw", headers={"Content-Type": "application/octet-stream"})
    transport = make_transport()
    assert transport.last_response is None
    response = transport.send("GET", "things/", stream=True)
    assert response.content == b"raw"
    assert transport.last_response is response


def test_hooks_can_be_removed(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, json={})
    transport = make_transport()
    seen: list[RequestEvent] = []
    transport.add_hook(seen.append)
    transport.get("things/")
    transport.remove_hook(seen.append)
    transport.get("things/")
    assert len(seen) == 1 and seen[0].status == 200 and seen[0].elapsed_ms >= 0


def test_debug_line_per_request(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture
) -> None:
    requests_mock.get(URL, json={})
    with caplog.at_level(logging.DEBUG, logger="synapse"):
        make_transport().get("things/", params={"q": "hidden"})
    lines = [r.getMessage() for r in caplog.records if r.name == "synapse"]
    assert len(lines) == 1
    assert lines[0].startswith("GET /api/things/ -> 200 in ") and lines[0].endswith(" ms")


# --- environment settings -----------------------------------------------------------------


@pytest.fixture
def count_proxy_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = requests.utils.should_bypass_proxies

    def counting(url: str, no_proxy: Any) -> bool:
        calls.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "should_bypass_proxies", counting)
    return calls


def test_plain_requests_reads_proxy_settings_on_every_call(
    count_proxy_lookups: list[str], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, json={})
    session = requests.Session()
    for _ in range(10):
        session.get(URL)
    assert len(count_proxy_lookups) >= 10  # the cost our transport avoids


def test_proxy_settings_are_resolved_once_and_honoured(
    count_proxy_lookups: list[str], requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    requests_mock.get(URL, json={})
    transport = Transport(Config.resolve(base_url=BASE, api_token=TOKEN, env={}))
    at_start = len(count_proxy_lookups)
    for _ in range(10):
        transport.get("things/")
    assert at_start <= 1 and len(count_proxy_lookups) == at_start
    assert all(r.proxies == {"https": "http://proxy.example.com:3128"} for r in requests_mock.request_history)


def test_no_proxy_is_honoured(requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.setenv("NO_PROXY", ".example.com")
    requests_mock.get(URL, json={})
    Transport(Config.resolve(base_url=BASE, api_token=TOKEN, env={})).get("things/")
    assert requests_mock.last_request.proxies == {}


def test_loopback_never_goes_through_a_proxy(
    requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.com:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    requests_mock.get("http://127.0.0.1:8000/things/", json={})
    Transport(Config.resolve(base_url="http://127.0.0.1:8000", api_token=TOKEN, env={})).get("things/")
    assert requests_mock.last_request.proxies == {}


def test_ca_bundle_from_the_environment(
    requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    requests_mock.get(URL, json={})
    Transport(Config.resolve(base_url=BASE, api_token=TOKEN, env={})).get("things/")
    assert requests_mock.last_request.verify == str(bundle)
    mine = tmp_path / "mine.pem"
    mine.write_text("y")
    Transport(Config.resolve(base_url=BASE, api_token=TOKEN, verify=str(mine), env={})).get("things/")
    assert requests_mock.last_request.verify == str(mine)
    Transport(Config.resolve(base_url=BASE, api_token=TOKEN, verify=False, env={})).get("things/")
    assert requests_mock.last_request.verify is False


def test_curl_ca_bundle_is_the_fallback(requests_mock: rm.Mocker, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/curl-ca.pem")
    requests_mock.get(URL, json={})
    Transport(Config.resolve(base_url=BASE, api_token=TOKEN, env={})).get("things/")
    assert requests_mock.last_request.verify == "/etc/curl-ca.pem"


def test_server_cookies_are_not_kept(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, json={}, headers={"Set-Cookie": "sessionid=abc; Path=/"})
    transport = make_transport()
    transport.get("things/")
    transport.get("things/")
    assert "Cookie" not in requests_mock.last_request.headers


# --- threads ----------------------------------------------------------------------------------


def test_one_transport_shared_by_threads(loopback: Any) -> None:
    server = loopback()

    def echo(handler: Any) -> None:
        data = handler.path.encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "text/plain")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    for i in range(200):
        server.routes[f"/items/{i}/"] = echo
    transport = Transport(Config.resolve(base_url=server.url, api_token=TOKEN, env={}))
    events: list[RequestEvent] = []
    lock = threading.Lock()

    def hook(event: RequestEvent) -> None:
        with lock:
            events.append(event)

    transport.add_hook(hook)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda i: transport.get(f"items/{i}/"), range(200)))
    assert answers == [f"/items/{i}/" for i in range(200)]
    assert len(events) == 200 and {e.status for e in events} == {200}


# --- bodies ---------------------------------------------------------------------------------


def test_a_large_body_arrives_whole_and_a_body_cut_short_is_a_transport_error(loopback: Any) -> None:
    server = loopback()
    rows = [{"id": i, "data": "x" * 100} for i in range(30_000)]  # about 3.5 MB of JSON
    whole = json.dumps({"results": rows}).encode()

    def large(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(whole)))
        handler.end_headers()
        handler.wfile.write(whole)

    def cut(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(whole)))
        handler.end_headers()
        handler.wfile.write(whole[: len(whole) // 2])
        handler.close_connection = True

    server.routes["/large/"] = large
    server.routes["/cut/"] = cut
    transport = Transport(Config.resolve(base_url=server.url, api_token=TOKEN, env={}))
    assert transport.get("large/") == {"results": rows}
    assert transport.send("GET", "large/").content == whole
    with pytest.raises(TransportError) as info:
        transport.get("cut/", retry=False)
    assert info.value.may_have_reached_server is True
    assert transport.get("large/")["results"][-1] == rows[-1]  # the pool is still usable


# --- logging set-up and light imports ---------------------------------------------------------


def test_synapse_log_adds_one_stderr_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("synapse")
    before = list(logger.handlers)
    monkeypatch.setattr(redaction, "_configured", False)
    monkeypatch.setattr(logger, "handlers", list(before))
    monkeypatch.setattr(logger, "level", logger.level)
    assert redaction.configure_from_env({}) is False
    assert redaction.configure_from_env({"SYNAPSE_LOG": "nonsense"}) is False
    assert redaction.configure_from_env({"SYNAPSE_LOG": "DEBUG"}) is True
    assert redaction.configure_from_env({"SYNAPSE_LOG": "debug"}) is True
    added = [h for h in logger.handlers if h not in before]
    assert len(added) == 1 and logger.level == logging.DEBUG


def test_synapse_log_debug_in_a_fresh_process() -> None:
    code = (
        "import requests_mock, synapse\n"
        "with requests_mock.Mocker() as m:\n"
        "    m.get('https://api.example.com/x/', json={})\n"
        "    synapse.Client('https://api.example.com', 'tok-SECRET-9').transport.get('x/')\n"
    )
    env = {"SYNAPSE_LOG": "debug", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "synapse DEBUG GET /x/ -> 200 in" in result.stderr
    assert "tok-SECRET-9" not in result.stderr


def test_import_synapse_stays_light() -> None:
    code = (
        "import sys, synapse\n"
        "heavy = ('pandas', 'tqdm', 'werkzeug', 'synapse.emulator')\n"
        "first = sorted(m for m in ('requests', *heavy) if m in sys.modules)\n"
        "synapse.Client, synapse.NotFound\n"
        "second = sorted(m for m in heavy if m in sys.modules)\n"
        "print(first, second)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] []"


def test_only_the_transport_imports_requests() -> None:
    package = Path(synapse.__file__).parent
    offenders = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "transport.py"
        and "emulator" not in path.parts
        and any(
            line.startswith(("import requests", "from requests"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []


def test_auth_header_names_match_api_md() -> None:
    assert AUTH_HEADERS == ("Synapse-Access-Token", "SYNAPSE-Agent", "Synapse-Tenant", "Authorization")
