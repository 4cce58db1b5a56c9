"""Property-based tests: what we send survives the wire, and nothing a server answers breaks us.

Serialisation round trips go through the real emulator (one per module): filters as the server
parses them, JSON bodies as the server stores and returns them. Hostile answers come from
requests-mock: any JSON, any bytes, huge numbers, deep nesting, and ``next`` links anywhere;
the client either returns a well-formed object or raises a ``SynapseError`` (never a bare
``KeyError``/``TypeError``/``RecursionError``), never puts our token in an error, and never sends
a request outside its configured origin.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests_mock
from hypothesis import HealthCheck, given, settings, strategies as st

from synapse.client import Client
from synapse.emulator import Emulator
from synapse.errors import SynapseError, UnsafeURLError
from synapse.orm.queryset import query_value

from .conftest import API_TOKEN, leaked

BASE = "https://api.example.com/api/"
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Emulator, Client]]:
    with Emulator(seed="demo", tokens={API_TOKEN: "*"}, request_log_size=1000) as emu:
        client = Client(base_url=emu.url, api_token=API_TOKEN, cache_ttl=0, retries=0)
        yield emu, client
        client.close()


def offline_client() -> Client:
    return Client(base_url=BASE, api_token=API_TOKEN, retries=0, cache_ttl=0)


# ------------------------------------------------------------------ serialisation round trips

# Names the list route does not know are ignored by the server (API.md), so any value is fine.
KEYS = st.from_regex(r"zz_[a-z0-9_]{1,12}", fullmatch=True)
TEXT = st.text(max_size=30)
SCALARS = st.one_of(
    TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False, allow_infinity=False)
)
FILTER_VALUES = st.one_of(SCALARS, st.lists(st.one_of(TEXT, st.integers()), min_size=1, max_size=5))


@FAST
@given(params=st.dictionaries(KEYS, FILTER_VALUES, max_size=5))
def test_filters_reach_the_server_exactly_as_rendered(live: tuple[Emulator, Client], params: Any) -> None:
    emu, client = live
    emu.requests.clear()
    list(client.tasks.filter(project=2).with_params(**params)[:1])  # undeclared names: with_params
    (record,) = emu.requests.filter("GET", "/sdk/tasks/")
    assert record.status == 200
    for key, value in params.items():
        assert record.query[key] == query_value(key, value)
    assert record.query["project"] == "2"


@FAST
@given(params=st.dictionaries(KEYS, st.lists(TEXT, min_size=2, max_size=4), max_size=3))
def test_raw_list_parameters_are_repeated(live: tuple[Emulator, Client], params: Any) -> None:
    emu, client = live
    emu.requests.clear()
    client.transport.get("projects/", params=params)
    (record,) = emu.requests.filter("GET", "/projects/")
    for key, values in params.items():
        assert record.query[key] == values


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=25,
)


@FAST
@given(value=JSON.filter(lambda v: v is not None))  # None sends no body: a 400 (ANNOTATIONS.md §1)
def test_json_bodies_round_trip_through_the_server(live: tuple[Emulator, Client], value: Any) -> None:
    emu, client = live
    emu.requests.clear()
    task = client.tasks.get(321, lazy=True).annotate(value, schema="any")
    (put,) = emu.requests.filter("PUT")
    assert put.status == 200
    assert put.body == value  # what the server decoded is what we meant
    assert task.data == value
    assert client.transport.get("tasks/321/")["data"] == value


@FAST
@given(meta=st.dictionaries(TEXT, JSON, max_size=4))
def test_a_patch_sends_exactly_the_change(live: tuple[Emulator, Client], meta: Any) -> None:
    emu, client = live
    emu.requests.clear()
    task = client.tasks.get(322, lazy=True)
    task.meta = meta
    task.save()
    (patch,) = emu.requests.filter("PATCH")
    assert patch.body == {"meta": meta}
    assert task.meta == meta


# ------------------------------------------------------------------ hostile answers


HOSTILE_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | TEXT
    | st.sampled_from([API_TOKEN, f"Token {API_TOKEN}"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=20,
)
FIELDS = ["id", "title", "description", "category", "data_collection", "configuration", "settings",
          "is_archived", "task_count", "created"]
HOSTILE_PROJECT = st.dictionaries(st.sampled_from(FIELDS) | TEXT, HOSTILE_JSON, max_size=8).map(
    lambda d: {"id": 1, **d}
)


def touch(obj: Any) -> None:
    """Use an object the way a user would: repr, every field, to_dict."""
    repr(obj)
    obj._repr_html_()
    for name in dir(obj):
        if not name.startswith("_") and not callable(getattr(type(obj), name, None)):
            with contextlib.suppress(SynapseError):
                getattr(obj, name)
    json.dumps(obj.to_dict(), default=str)


def assert_safe(error: SynapseError) -> None:
    assert leaked(str(error)) == [] and leaked(repr(error)) == [], repr(error)


@FAST
@given(body=st.one_of(HOSTILE_JSON, HOSTILE_PROJECT))
def test_any_json_answer_to_a_get_is_an_object_or_a_synapse_error(body: Any) -> None:
    with requests_mock.Mocker() as m:
        # Any URL: a partial object completes itself with a GET of its own id.
        m.get(requests_mock.ANY, text=json.dumps(body), headers={"Content-Type": "application/json"})
        try:
            project = offline_client().projects.get(1)
        except SynapseError as exc:
            assert_safe(exc)
            return
        assert type(project.id) is int  # the id the server sent, of the declared type
        touch(project)


@FAST
@given(body=st.binary(max_size=200), content_type=st.sampled_from(["application/json", "text/html", ""]))
def test_any_bytes_answer_is_an_object_or_a_synapse_error(body: bytes, content_type: str) -> None:
    with requests_mock.Mocker() as m:
        m.get(requests_mock.ANY, content=body, headers={"Content-Type": content_type})
        try:
            touch(offline_client().projects.get(1))
        except SynapseError as exc:
            assert_safe(exc)


@FAST
@given(
    results=st.one_of(st.lists(st.one_of(HOSTILE_PROJECT, HOSTILE_JSON), max_size=5), HOSTILE_JSON),
    count=HOSTILE_JSON,
    next_link=st.one_of(st.none(), HOSTILE_JSON),
)
def test_any_page_is_rows_or_a_synapse_error(results: Any, count: Any, next_link: Any) -> None:
    page = {"count": count, "next": next_link, "previous": None, "results": results}
    with requests_mock.Mocker() as m:
        m.get(requests_mock.ANY, json={"count": 0, "next": None, "previous": None, "results": []})
        m.get(BASE + "projects/", json=page)  # requests-mock tries the latest registration first
        client = offline_client()
        try:
            for project in client.projects.all():
                touch(project)
            client.projects.count()
        except SynapseError as exc:
            assert_safe(exc)
        for request in m.request_history:
            assert (request.scheme, request.netloc) == ("https", "api.example.com")


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than any parser's stack
        b'{"id": 1, "configuration": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"id": 1, "settings": ' + b'{"a":' * 900 + b"1" + b"}" * 900 + b"}",  # deep but parseable
        b'{"id": 1, "title": "\xff\xfe\xfa invalid utf-8"}',
        b'{"id": 1, "task_count": ' + b"9" * 5000 + b"}",  # more digits than int() accepts
        b'{"id": 1, "task_count": 1e999}',
        b'{"id": 1e999}',
        b'{"id": 1, "created": "not a date", "is_archived": "yes", "title": 12}',
        b"\x00" * 100,
    ],
    ids=["deep-list", "deep-field", "deep-dict", "invalid-utf8", "huge-int", "inf", "inf-id", "wrong-types",
         "nul"],
)
def test_hostile_detail_answers(body: bytes) -> None:
    with requests_mock.Mocker() as m:
        m.get(BASE + "projects/1/", content=body, headers={"Content-Type": "application/json"})
        try:
            touch(offline_client().projects.get(1))
        except SynapseError as exc:
            assert_safe(exc)


OTHER_ORIGINS = [
    "https://evil.example.com/api/projects/?page=2",
    "//evil.example.com/api/projects/?page=2",
    "http://api.example.com.evil.com/api/projects/?page=2",
    "https://api.example.com:8443/api/projects/?page=2",
    "https://api.example.com@evil.example.com/api/projects/?page=2",
    "http://127.0.0.1/api/projects/?page=2",
    "file:///etc/passwd",
    "ftp://api.example.com/api/projects/",
]


@pytest.mark.parametrize("next_link", OTHER_ORIGINS)
def test_a_next_link_to_another_origin_is_refused_not_followed(next_link: str) -> None:
    page = {"count": 2, "next": next_link, "previous": None, "results": [{"id": 1, "title": "first"}]}
    with requests_mock.Mocker() as m:
        trap = m.get(requests_mock.ANY, json={"count": 0, "next": None, "previous": None, "results": []})
        m.get(BASE + "projects/", json=page)  # requests-mock tries the latest registration first
        client = offline_client()
        seen: list[int] = []
        with pytest.raises(UnsafeURLError) as caught:
            for project in client.projects.all():
                seen.append(project.id)
        assert seen == [1]
        assert trap.call_count == 0  # the link was never requested, with or without our token
        assert caught.value.expected_origin == "https://api.example.com:443"
        assert_safe(caught.value)


URL_PARTS = st.builds(
    "{}://{}{}/{}".format,
    st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript", ""]),
    st.sampled_from(["api.example.com", "API.EXAMPLE.COM", "evil.example.com", "api.example.com.evil",
                     "127.0.0.1", "user:pw@api.example.com", "api.example.com@evil.com", "[::1]", "[::1",
                     ""]),
    st.sampled_from(["", ":443", ":80", ":8443", ":0", ":99999", ":x"]),
    TEXT,
)


@FAST
@given(next_link=st.one_of(URL_PARTS, TEXT))
def test_whatever_the_next_link_no_request_leaves_the_origin(next_link: str) -> None:
    page = {"count": 2, "next": next_link, "previous": None, "results": [{"id": 1}]}
    with requests_mock.Mocker() as m:
        m.get(requests_mock.ANY, json={"count": 0, "next": None, "previous": None, "results": []})
        m.get(BASE + "projects/", json=page)  # requests-mock tries the latest registration first
        try:
            list(offline_client().projects.all())
        except SynapseError as exc:
            assert_safe(exc)
        for request in m.request_history:
            parts = urlsplit(request.url)
            origin = (parts.scheme, parts.hostname, parts.port or 443)
            assert origin == ("https", "api.example.com", 443), request.url
