"""Storages and agents against the emulator (demo seed: storage 1 file_system/internal, storage 2
amazon_s3/external with credentials; agent 1 connected with token ``demo-agent-token``, agent 2
disconnected with ``demo-agent-token-2``)."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import pickle
from typing import Any

import pytest

import synapse
from synapse import (
    Agent,
    ConfigurationError,
    Credentials,
    NotFound,
    Storage,
    TransportError,
    ValidationError,
)

SECRET = "emulator-secret-key"


def calls(emu: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests.snapshot()]


# ---- storages ----


def test_all_lists_storages_without_their_configuration(client: Any, emu: Any) -> None:
    storages = list(client.storages.all().iterator())
    assert [(s.id, s.provider, s.category) for s in storages] == [
        (1, "file_system", "internal"), (2, "amazon_s3", "external"),
    ]
    assert storages[1].configuration is None  # hidden by the server, and no GET to look for it
    assert calls(emu) == [("GET", "/storages/")]
    assert repr(storages[1]) == "<Storage 2 'Archive bucket' provider='amazon_s3'>"
    assert [s.id for s in client.storages.filter(category="internal").iterator()] == [1]
    assert emu.requests.snapshot()[-1].query["category"] == "internal"


def test_with_configuration_fetches_the_credentials_but_never_shows_them(client: Any, emu: Any) -> None:
    storage = client.storages.get(2, with_configuration=True)
    record = emu.requests.snapshot()[-1]
    assert (record.path, record.query) == ("/storages/2/", {"with_configuration": "true"})
    config = storage.configuration
    assert isinstance(config, Credentials) and isinstance(config, dict)
    assert config["secret_key"] == SECRET and dict(config)["access_key"] == "AKIAEMULATOR000000"
    shown = [repr(storage), str(storage), storage._repr_html_(), repr(config), str(config), f"{config}"]
    shown.append(client.storages.filter(with_configuration=True)._repr_html_())
    assert not any(SECRET in text for text in shown)
    assert "secret_key" in repr(config) and "values hidden" in repr(config)
    assert storage.to_dict()["configuration"]["secret_key"] == SECRET  # data for code, not display


def test_the_configuration_answer_is_never_cached(client: Any, emu: Any) -> None:
    client.storages.get(2, with_configuration=True)
    plain = client.storages.get(2)
    assert plain.configuration is None
    again = client.storages.get(2, with_configuration=True)
    assert again.configuration["bucket_name"] == "synapse-archive"
    revealed = {"with_configuration": "true"}
    assert [r.query for r in emu.requests.snapshot()] == [revealed, {}, revealed]


def test_refresh_asks_for_the_configuration_again(client: Any, emu: Any) -> None:
    storage = client.storages.get(2, with_configuration=True)
    storage.configuration["region_name"] = "edited locally"
    storage.refresh()
    assert storage.configuration["region_name"] == "us-east-1"
    assert emu.requests.snapshot()[-1].query == {"with_configuration": "true"}
    plain = client.storages.get(1).refresh()
    assert plain.configuration is None and emu.requests.snapshot()[-1].query == {}


def test_pickling_drops_the_configuration(client: Any) -> None:
    storage = client.storages.get(2, with_configuration=True)
    data = pickle.dumps(storage)
    assert SECRET.encode() not in data
    restored = pickle.loads(data)
    assert restored == storage and restored.name == "Archive bucket" and restored.configuration is None
    twin = copy.deepcopy(storage)
    assert twin.configuration == storage.configuration and twin.configuration is not storage.configuration


def test_create_sends_the_body_and_the_answer_hides_the_configuration(client: Any, emu: Any) -> None:
    config = {"bucket_name": "b", "access_key": "AK", "secret_key": "s3cr3t"}
    storage = client.storages.create(
        name="Raw", provider="amazon_s3", category="external", configuration=config
    )
    post = emu.requests.snapshot()[-1]
    assert (post.method, post.path, post.status) == ("POST", "/storages/", 201)
    assert post.body == {
        "name": "Raw", "provider": "amazon_s3", "category": "external", "configuration": config,
    }
    assert isinstance(storage, Storage) and storage.provider == "amazon_s3" and storage.configuration is None
    assert len(calls(emu)) == 1
    fetched = client.storages.get(storage.id, with_configuration=True)
    assert dict(fetched.configuration) == config


def test_create_validates_provider_and_category_before_any_request(client: Any, emu: Any) -> None:
    with pytest.raises(ValidationError, match="provider must be one of") as info:
        client.storages.create(name="x", provider="dropbox")
    assert info.value.errors == {"provider": ['"dropbox" is not a valid choice.']}
    with pytest.raises(ValidationError, match="category"):
        client.storages.create(name="x", provider="minio", category="cold")
    with pytest.raises(ValidationError) as info:
        client.storages.create(provider="minio")
    assert info.value.errors == {"name": ["This field is required."]}
    with pytest.raises(ValidationError, match="provider"):
        client.storages.create(name="x")
    with pytest.raises(TypeError, match="configuration"):
        client.storages.create(name="x", provider="minio", configuration="k=v")
    with pytest.raises(ValueError, match="lazy"):
        client.storages.get(1, lazy=True, with_configuration=True)
    assert calls(emu) == []


def test_storages_cannot_be_updated_or_deleted(client: Any, emu: Any) -> None:
    storage = client.storages.get(1)
    storage.name = "renamed"
    with pytest.raises(AttributeError, match="cannot be updated"):
        storage.save()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="cannot be deleted"):
        storage.delete()  # type: ignore[attr-defined]
    assert calls(emu) == [("GET", "/storages/1/")]


# ---- agents ----


def test_all_lists_agents(client: Any, emu: Any) -> None:
    agents = list(client.agents.all().iterator())
    assert [(a.id, a.name, a.is_connected) for a in agents] == [
        (1, "local-agent", True), (2, "gpu-agent", False),
    ]
    assert agents[0].url == "http://127.0.0.1:9000"
    assert repr(agents[1]) == "<Agent 2 'gpu-agent' status='disconnected'>"
    assert calls(emu) == [("GET", "/agents/")]


def test_get_reads_the_list_since_there_is_no_detail_route(client: Any, emu: Any) -> None:
    agent = client.agents.get(2)
    assert agent.name == "gpu-agent" and client.agents.get(2) == agent  # second read: the cache
    assert calls(emu) == [("GET", "/agents/")] and emu.requests.snapshot()[0].query["id"] == "2"
    with pytest.raises(NotFound):
        client.agents.get(99)


def test_health_check_posts_to_the_token_path(client: Any, emu: Any) -> None:
    agent = client.agents.health_check("demo-agent-token-2")
    post = emu.requests.snapshot()[-1]
    assert (post.method, post.path, post.body, post.status) == (
        "POST", "/agents/demo-agent-token-2/connect/", {}, 200,
    )
    assert isinstance(agent, Agent) and agent.id == 2 and agent.status == "connected"
    assert isinstance(agent.checked_at, dt.datetime)
    assert agent.url == "http://127.0.0.1:9001"  # completed from the list
    assert client.agents.get(2).is_connected


def test_health_check_defaults_to_the_clients_agent_token(emu: Any, client: Any) -> None:
    with pytest.raises(ConfigurationError, match="agent token"):
        client.agents.health_check()
    with emu.client(synapse.Client, agent_token=emu.agent_token) as agent_client:
        assert agent_client.agents.health_check().id == 1
    assert emu.requests.snapshot()[-1].path == f"/agents/{emu.agent_token}/connect/"
    with pytest.raises(TypeError):
        client.agents.health_check(123)


def test_an_unknown_token_never_appears_in_the_error_or_the_debug_log(
    client: Any, emu: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = "agent-tok-DO-NOT-LEAK-9f8e7d"
    with caplog.at_level(logging.DEBUG), pytest.raises(NotFound) as info:
        client.agents.health_check(token)
    err = info.value
    assert emu.requests.snapshot()[-1].path == f"/agents/{token}/connect/"  # it did travel, in the path
    texts = [str(err), repr(err), err.path, *map(str, err.args), str(err.detail), str(err.body)]
    assert not any(token in t for t in texts)
    assert err.path == "/agents/***/connect/" and err.status_code == 404
    assert err.__context__ is None and err.__cause__ is None
    logged = [r.getMessage() for r in caplog.records]
    assert any("/agents/***/connect/" in m for m in logged)  # the transport's DEBUG line, redacted
    assert not any(token in m for m in logged)


def test_request_hooks_see_the_health_check_path_redacted(client: Any, emu: Any) -> None:
    token = "agent-tok-NOT-IN-HOOKS-5b4a"
    events: list[Any] = []
    client.transport.add_hook(events.append)
    with pytest.raises(NotFound):
        client.agents.health_check(token)
    client.agents.health_check(emu.agent_token)
    assert [e.path for e in events] == ["/agents/***/connect/"] * 2
    assert emu.requests.snapshot()[-2].path == f"/agents/{token}/connect/"  # it did travel


def test_a_token_with_a_slash_stays_in_one_path_segment(client: Any, emu: Any) -> None:
    with pytest.raises(NotFound) as info:
        client.agents.health_check("a/../../projects/1")
    assert "projects" not in info.value.path
    assert emu.requests.count("POST", "/projects/*") == 0


def test_a_connection_failure_does_not_leak_the_token_either(client: Any, emu: Any) -> None:
    token = "agent-tok-NOT-IN-TRANSPORT-ERRORS"
    emu.faults.drop("agents/*", when="before", method="POST")
    with pytest.raises(TransportError) as info:
        client.agents.health_check(token)
    assert token not in str(info.value) and token not in info.value.path
