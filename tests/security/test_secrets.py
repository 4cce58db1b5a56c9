"""Credentials never show: not in reprs, messages, debug logs, pickles or URLs.

The client holds four distinctive credentials (API token, agent token, tenant, user token) and
does ordinary work against the emulator, including failures; everything a user or a log could
see is searched for them (and for either half of each, in case one is cut or wrapped).
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
import requests_mock

import synapse
from synapse.client import Client
from synapse.errors import ClientError, NotFound, SynapseError, TransportError

from .conftest import AGENT_TOKEN, API_TOKEN, SECRETS, TENANT, USER_TOKEN, leaked


def some_errors(client: Client, emu: Any) -> list[SynapseError]:
    """Errors of every kind, raised by real calls."""

    def drop_the_answer() -> None:
        emu.faults.drop("tasks/", method="POST", when="after", times=1)

    calls: list[tuple[Any, Any]] = [
        (None, lambda: client.projects.get(999_999)),  # 404
        (None, lambda: client.tasks.create(project=1, data_unit=10**9)),  # 400 with field errors
        (None, lambda: client.agents.health_check("not-" + AGENT_TOKEN)),  # 404, a token in the path
        (lambda: emu.faults.fail("projects/2/", status=503, times=None),
         lambda: client.projects.get(2)),  # 503 after the retry
        (lambda: emu.faults.fail("projects/3/", status=429, retry_after=999, times=1),
         lambda: client.projects.get(3)),  # RateLimited beyond the cap
        (drop_the_answer, lambda: client.tasks.create(project=1, data_unit=1)),  # TransportError
    ]
    errors: list[SynapseError] = []
    for setup, call in calls:
        if setup is not None:
            setup()
        with pytest.raises(SynapseError) as caught:
            call()
        errors.append(caught.value)
    emu.faults.clear()
    return errors


def test_reprs_and_strs_never_hold_a_credential(client: Client, emu: Any) -> None:
    project = client.projects.get(1)
    task = client.tasks.get(1)
    agent = client.agents.health_check()
    qs = client.tasks.filter(project=1)
    shown = [client, client.config, client.transport, client.cache, project, task, agent, qs,
             client.projects, project.tasks, *some_errors(client, emu)]
    for obj in shown:
        for text in (repr(obj), str(obj)):
            assert leaked(text) == [], f"{type(obj).__name__}: {text}"
    assert "api token" in repr(client)  # it says which credentials are set, not what they are


def test_error_attributes_never_hold_a_credential(client: Client, emu: Any) -> None:
    for error in some_errors(client, emu):
        state = {k: v for k, v in vars(error).items() if k != "job"}
        assert leaked(repr(state)) == [], f"{type(error).__name__}: {state}"
        assert leaked(repr(error.args)) == []
        assert error.__cause__ is None or leaked(repr(error.__cause__)) == []


def test_an_error_body_echoing_the_token_is_scrubbed() -> None:
    with requests_mock.Mocker() as m:
        m.get(
            "https://api.example.com/projects/1/",
            status_code=403,
            json={"detail": f"token {API_TOKEN} may not read this", "token": [API_TOKEN]},
        )
        client = Client(base_url="https://api.example.com", api_token=API_TOKEN, retries=0)
        with pytest.raises(ClientError) as caught:
            client.projects.get(1)
    error = caught.value
    for text in (str(error), repr(error), repr(error.body), repr(error.detail), repr(error.errors)):
        assert leaked(text) == [], text


def test_a_list_row_echoing_the_token_does_not_put_it_in_the_error() -> None:
    with requests_mock.Mocker() as m:
        m.get(
            "https://api.example.com/projects/",
            json={"count": 1, "next": None, "previous": None, "results": [f"Token {API_TOKEN}"]},
        )
        client = Client(base_url="https://api.example.com", api_token=API_TOKEN, retries=0)
        with pytest.raises(SynapseError) as caught:
            list(client.projects.all())
    assert leaked(str(caught.value)) == [] and leaked(repr(caught.value)) == []


def test_debug_logs_never_hold_a_credential(
    client: Client, emu: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: synapse, urllib3, the emulator's
    client.projects.get(1)
    list(client.tasks.filter(project=1)[:150])
    client.tasks.get(3).annotate({"annotations": {}, "annotationsData": {}})
    client.agents.health_check()  # the agent token travels in the URL path (API.md)
    some_errors(client, emu)
    assert len(caplog.records) > 10  # the logs did speak
    for record in caplog.records:
        assert leaked(record.getMessage()) == [], f"{record.name}: {record.getMessage()}"
    assert leaked(caplog.text) == []


def test_resources_querysets_and_errors_pickle_without_credentials(client: Client, emu: Any) -> None:
    task = client.tasks.get(1)
    _ = task.project.title  # a related object resolved through the client
    objects = [
        client.projects.get(1),
        task,
        client.agents.health_check(),
        client.tasks.filter(project=1).order_by("-id")[:20],
        client.projects,
        *some_errors(client, emu),
    ]
    for obj in objects:
        data = pickle.dumps(obj)
        assert leaked(data) == [], type(obj).__name__
        back = pickle.loads(data)
        assert type(back) is type(obj)

    back_task = pickle.loads(pickle.dumps(task))
    assert back_task.id == task.id and back_task.data == task.data  # loaded fields travel
    with pytest.raises(synapse.ConfigurationError):
        back_task.refresh()  # unbound: no credential came with it
    assert client.bind(back_task).refresh().id == task.id


class ChainPickler(pickle.Pickler):
    """Pickles exceptions with their ``__cause__``/``__context__``, as tblib does for Dask."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, BaseException):
            return _rebuild_with_chain, (obj.__reduce_ex__(4), obj.__cause__, obj.__context__)
        return NotImplemented


def _rebuild_with_chain(reduced: Any, cause: Any, context: Any) -> Any:
    raise AssertionError("only dumped, never loaded")


def test_errors_pickled_with_their_chain_hold_no_credential(client: Client, emu: Any) -> None:
    import io

    for error in some_errors(client, emu):
        buffer = io.BytesIO()
        ChainPickler(buffer, protocol=4).dump(error)
        assert leaked(buffer.getvalue()) == [], type(error).__name__
        # Nothing of requests' (whose exceptions hold the request and its headers) is chained.
        chained = [e for e in (error.__cause__, error.__context__) if e is not None]
        assert not [e for e in chained if type(e).__module__.startswith(("requests", "urllib3"))], chained


def test_a_pickled_client_carries_its_credentials_on_purpose(client: Client) -> None:
    data = pickle.dumps(client)
    assert API_TOKEN.encode() in data  # for process pools and cluster workers
    worker = pickle.loads(data)
    assert worker.projects.get(1).id == 1
    worker.close()


def test_credentials_never_travel_in_urls(client: Client, emu: Any) -> None:
    client.agents.health_check()
    some_errors(client, emu)
    client.tasks.create(project=1, data_unit=2)
    list(client.tasks.filter(project=1, status_label="completed")[:120])
    client.projects.get(1)
    records = list(emu.requests)
    assert len(records) > 8
    for record in records:
        where = f"{record.method} {record.path}?{record.query}"
        if record.path.startswith("/agents/") and record.path.endswith("/connect/"):
            # API.md puts the agent token in this one path; no other credential goes there.
            assert [s for s in leaked(where) if s != AGENT_TOKEN] == [], where
            continue
        assert leaked(where) == [], where
        headers = record.headers
        assert headers.get("Synapse-Access-Token") == "<redacted>"  # sent as a header
    last = client.last_response
    assert last is not None and leaked(last.url) == []


@pytest.mark.parametrize("name", ["api_token", "agent_token", "tenant", "user_token"])
def test_configuration_errors_never_echo_a_credential(name: str) -> None:
    value = dict(zip(("api_token", "agent_token", "tenant", "user_token"), SECRETS, strict=True))[name]
    with pytest.raises(synapse.ConfigurationError) as caught:
        Client(base_url="http://example.com", **{name: value})  # refused: plain http
    assert leaked(str(caught.value)) == []
    with pytest.raises((synapse.ConfigurationError, TypeError, ValueError)) as caught2:
        Client(base_url="https://api.example.com", **{name: value[:8] + "\r\nX-Evil: 1"})  # header injection
    assert leaked(str(caught2.value)) == []


def test_a_transport_error_chain_holds_no_credential(emu: Any) -> None:
    client = Client(base_url=emu.url, api_token=API_TOKEN, tenant=TENANT, user_token=USER_TOKEN, retries=0)
    emu.close()
    with pytest.raises(TransportError) as caught:
        client.projects.get(1)
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    assert leaked(str(error)) == [] and leaked(repr(error)) == []


def test_not_found_for_an_unknown_agent_token_hides_it(client: Client) -> None:
    other = "sk-OTHER-agent-token-5f5f5f5f5f"
    with pytest.raises(NotFound) as caught:
        client.agents.health_check(other)
    assert other not in str(caught.value) and other not in repr(vars(caught.value))
