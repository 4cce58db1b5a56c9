"""synapse.Client: configuration, repr, lifecycle, pickling; and its ResourceCache."""

from __future__ import annotations

import json
import pickle
import threading
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm

import synapse
from synapse.cache import ResourceCache
from synapse.config import Config, RetryPolicy
from synapse.errors import ConfigurationError

from .conftest import BASE, TOKEN


def test_client_from_arguments() -> None:
    client = synapse.Client(BASE, TOKEN, timeout=(2, 3), retries=1, cache_ttl=5, page_size=50)
    assert client.base_url == BASE
    assert client.config.timeout == (2.0, 3.0)
    assert client.config.retries == RetryPolicy(max_retries=1)
    assert client.config.page_size == 50
    assert client.cache.ttl == 5.0
    assert client.transport.base_url == BASE


def test_client_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_BASE_URL", "https://env.example.com")
    monkeypatch.setenv("SYNAPSE_API_TOKEN", TOKEN)
    client = synapse.Client()
    assert repr(client) == "<Client https://env.example.com/ (api token from env:SYNAPSE_API_TOKEN)>"


def test_client_with_a_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps({"profiles": {"staging": {"host": "https://s.example.com", "access_token": TOKEN}}})
    )
    monkeypatch.setenv("SYNAPSE_CONFIG", str(path))
    client = synapse.Client(profile="staging")
    assert repr(client) == "<Client https://s.example.com/ profile=staging (api token from profile:staging)>"
    assert TOKEN not in repr(client)


def test_client_without_settings_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="SYNAPSE_BASE_URL"):
        synapse.Client()


def test_insecure_http_is_refused_for_a_remote_host() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        synapse.Client("http://api.example.com", TOKEN)
    assert synapse.Client("http://api.example.com", TOKEN, allow_insecure_http=True).base_url.startswith(
        "http:"
    )
    assert synapse.Client("http://127.0.0.1:8000", TOKEN).base_url == "http://127.0.0.1:8000/"


def test_last_response(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "projects/1/", json={"id": 1})
    client = synapse.Client(BASE, TOKEN)
    assert client.last_response is None
    client.transport.get("projects/1/")
    assert client.last_response.status_code == 200


def test_context_manager_closes_the_session(monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[bool] = []
    with synapse.Client(BASE, TOKEN) as client:
        monkeypatch.setattr(client.transport._session, "close", lambda: closed.append(True))
    assert closed == [True]


def test_pickling_carries_the_config_and_rebuilds_the_connection(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "projects/1/", json={"id": 1})
    client = synapse.Client(BASE, TOKEN, cache_ttl=10, retries=2)
    client.cache.set("projects", 1, {"id": 1})
    clone = pickle.loads(pickle.dumps(client))
    assert clone.config == client.config and clone.config.api_token == TOKEN
    assert clone.transport is not client.transport
    clone.close()  # its own connection pool: closing it leaves the original working
    assert client.transport.get("projects/1/") == {"id": 1}
    assert len(clone.cache) == 0 and clone.cache.ttl == 10.0
    assert clone.transport.get("projects/1/") == {"id": 1}
    assert requests_mock.last_request.headers["Synapse-Access-Token"] == f"Token {TOKEN}"


def test_from_config_uses_injected_collaborators(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "x/", [{"status_code": 503}, {"json": {}}])
    waits: list[float] = []
    config = Config.resolve(base_url=BASE, api_token=TOKEN, env={})
    client = synapse.Client.from_config(config, sleep=waits.append)
    client.transport.get("x/")
    assert len(waits) == 1


def test_cache_ttl_zero_turns_the_cache_off() -> None:
    client = synapse.Client(BASE, TOKEN, cache_ttl=0)
    client.cache.set("projects", 1, "x")
    assert not client.cache.enabled and client.cache.get("projects", 1) is None


# --- ResourceCache ----------------------------------------------------------------------------


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_cache_get_set_and_expiry() -> None:
    timer = Timer()
    cache = ResourceCache(ttl=30, timer=timer)
    cache.set("projects", 1, {"id": 1})
    assert cache.get("projects", 1) == {"id": 1} and ("projects", 1) in cache
    timer.now = 29.9
    assert cache.get("projects", 1) == {"id": 1}
    timer.now = 30.1
    assert cache.get("projects", 1) is None and cache.get("projects", 1, "missing") == "missing"
    assert len(cache) == 0


def test_cache_invalidation() -> None:
    cache = ResourceCache(ttl=30)
    for kind, ident in [("projects", 1), ("projects", 2), ("tasks", 1)]:
        cache.set(kind, ident, f"{kind}{ident}")
    cache.invalidate("projects", 1)
    assert cache.get("projects", 1) is None and cache.get("projects", 2) == "projects2"
    assert cache.get("tasks", 1) == "tasks1"
    cache.invalidate("nothing", 9)
    cache.clear()
    assert len(cache) == 0


def test_cache_is_bounded() -> None:
    cache = ResourceCache(ttl=30, maxsize=10)
    for i in range(100):
        cache.set("tasks", i, i)
    assert len(cache) == 10


def test_cache_under_threads() -> None:
    cache = ResourceCache(ttl=30, maxsize=500)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(2000):
                cache.set("tasks", (n, i % 300), i)
                cache.get("tasks", (n, (i * 7) % 300))
                if i % 50 == 0:
                    cache.invalidate("tasks", (n, i % 300))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) <= 500


def test_cache_repr() -> None:
    assert repr(ResourceCache(ttl=0)) == "<ResourceCache disabled>"
    cache: Any = ResourceCache(ttl=5)
    cache.set("a", 1, 1)
    assert repr(cache) == "<ResourceCache ttl=5s, 1 entries>"
