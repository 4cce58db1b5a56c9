"""Pagination follows ``next`` verbatim, lazily, and never off the configured origin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests_mock as rm

from synapse.errors import SynapseError, UnsafeURLError
from synapse.transport import Page, Transport

from .conftest import BASE

LIST = BASE + "sdk/tasks/"


def envelope(
    results: list[Any], next: str | None, count: int | None = 7, previous: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"next": next, "previous": previous, "results": results}
    if count is not None:
        body["count"] = count
    return body


def three_pages(m: rm.Mocker, second: str, third: str) -> None:
    m.get(LIST + "?project=1&page_size=3", json=envelope([1, 2, 3], second), complete_qs=True)
    m.get(LIST + "?project=1&page=2&page_size=3", json=envelope([4, 5, 6], third), complete_qs=True)
    m.get(LIST + "?project=1&page=3&page_size=3", json=envelope([7], None), complete_qs=True)


def test_items_across_three_pages_with_absolute_next(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    three_pages(
        requests_mock,
        LIST + "?project=1&page=2&page_size=3",
        LIST + "?project=1&page=3&page_size=3",
    )
    items = list(make_transport().iter_items("sdk/tasks/", {"project": 1}, page_size=3))
    assert items == [1, 2, 3, 4, 5, 6, 7]
    assert requests_mock.call_count == 3


def test_relative_next_links(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    three_pages(
        requests_mock,
        "/api/sdk/tasks/?project=1&page=2&page_size=3",  # absolute path
        "?project=1&page=3&page_size=3",  # query only: resolved against the current page
    )
    assert list(make_transport().iter_items("sdk/tasks/", {"project": 1}, page_size=3)) == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]


def test_pages_are_fetched_only_as_the_iterator_advances(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    three_pages(requests_mock, LIST + "?project=1&page=2&page_size=3", LIST + "?project=1&page=3&page_size=3")
    items = make_transport().iter_items("sdk/tasks/", {"project": 1}, page_size=3)
    assert requests_mock.call_count == 0
    assert [next(items) for _ in range(3)] == [1, 2, 3]
    assert requests_mock.call_count == 1
    assert next(items) == 4
    assert requests_mock.call_count == 2


def test_pages_carry_count_and_links(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    second = LIST + "?project=1&page=2&page_size=3"
    three_pages(requests_mock, second, LIST + "?project=1&page=3&page_size=3")
    first = next(make_transport().iter_pages("sdk/tasks/", {"project": 1}, page_size=3))
    assert first == Page(results=[1, 2, 3], count=7, next=second, previous=None)


def test_cursor_envelope(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    nxt = BASE + "sdk/ground_truth_events/?cursor=cD0xMjM%3D&ordering=-pgh_id&pagination=cursor&page_size=2"
    requests_mock.get(
        BASE + "sdk/ground_truth_events/?ordering=-pgh_id&pagination=cursor&page_size=2",
        json=envelope([{"pgh_id": 9}, {"pgh_id": 8}], nxt, count=None),
        complete_qs=True,
    )
    requests_mock.get(nxt, json=envelope([{"pgh_id": 7}], None, count=None), complete_qs=True)
    pages = list(
        make_transport().iter_pages(
            "sdk/ground_truth_events/", {"ordering": "-pgh_id"}, page_size=2, cursor=True
        )
    )
    assert [p.count for p in pages] == [None, None]
    assert [i["pgh_id"] for p in pages for i in p.results] == [9, 8, 7]
    assert requests_mock.request_history[1].url == nxt  # followed verbatim


def test_empty_results(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(LIST, json=envelope([], None, count=0))
    assert list(make_transport().iter_items("sdk/tasks/")) == []
    assert requests_mock.call_count == 1


def test_default_page_size_comes_from_the_config(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=envelope([], None))
    list(make_transport(page_size=250).iter_items("sdk/tasks/", {"page_size": 5}))
    list(make_transport(page_size=250).iter_items("sdk/tasks/"))
    assert [r.qs["page_size"] for r in requests_mock.request_history] == [["5"], ["250"]]


def test_a_bare_list_is_one_page(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "jobs/1/console_logs/", json=["a", "b"])
    assert list(make_transport().iter_items("jobs/1/console_logs/")) == ["a", "b"]


@pytest.mark.parametrize(
    "evil",
    [
        "https://evil.example.com/api/sdk/tasks/?page=2",
        "//evil.example.com/api/sdk/tasks/?page=2",
        "https://api.example.com:8443/api/sdk/tasks/?page=2",
        "http://api.example.com:8080/api/sdk/tasks/?page=2",
    ],
)
def test_a_next_link_to_another_origin_is_refused_not_followed(
    evil: str, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=envelope([1], evil))
    items = make_transport().iter_items("sdk/tasks/")
    assert next(items) == 1
    with pytest.raises(UnsafeURLError) as info:
        next(items)
    assert info.value.expected_origin == "https://api.example.com:443"
    assert requests_mock.call_count == 1  # nothing was sent to the other origin


def test_an_http_next_to_our_https_host_is_upgraded(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(
        LIST + "?page_size=100", json=envelope([1], "http://api.example.com/api/sdk/tasks/?page=2")
    )
    requests_mock.get(LIST + "?page=2", json=envelope([2], None))
    assert list(make_transport().iter_items("sdk/tasks/")) == [1, 2]
    assert requests_mock.request_history[1].url == "https://api.example.com/api/sdk/tasks/?page=2"


def test_a_next_link_to_the_same_page_stops(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=envelope([1], LIST + "?page=2"))
    items = make_transport().iter_items(LIST + "?page=2")
    assert next(items) == 1
    with pytest.raises(SynapseError, match="same page"):
        next(items)


@pytest.mark.parametrize("body", [{"results": "nope"}, "text", {"next": None}, {"results": [], "next": 5}])
def test_a_malformed_page_is_a_clear_error(
    body: Any, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=body)
    with pytest.raises(SynapseError, match="/api/sdk/tasks/"):
        list(make_transport().iter_items("sdk/tasks/"))


def test_count_sends_one_request_with_page_size_1(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=envelope([1], LIST + "?page=2", count=1234))
    assert make_transport().count("sdk/tasks/", {"project": 1, "is_discarded": False}) == 1234
    assert requests_mock.call_count == 1
    assert requests_mock.last_request.qs == {"project": ["1"], "is_discarded": ["false"], "page_size": ["1"]}


def test_count_without_a_count_is_an_error(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(LIST, json=envelope([1], None, count=None))
    with pytest.raises(SynapseError, match="no count"):
        make_transport().count("sdk/tasks/")
