"""``qs.raw_rows()`` and ``qs.raw_pages()``: the server's rows as dicts, by the requests of ``iterator()``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest


def _sent(emu: Any) -> list[tuple[str, dict[str, str]]]:
    return [(r.path, dict(r.query)) for r in emu.requests.snapshot()]


Sent = list[tuple[str, dict[str, str]]]


def _walked(emu: Any, walk: Callable[[], Iterator[Any]]) -> tuple[list[Any], Sent]:
    """What ``walk()`` yields, and the requests it sent."""
    emu.requests.clear()
    got = list(walk())
    return got, _sent(emu)


def _window(client: Any) -> Any:
    return client.projects.get(1, lazy=True).tasks.filter(status_label="completed").expand("data_unit")[5:130]


def test_raw_rows_send_the_requests_of_iterator_and_give_the_same_rows(client: Any, emu: Any) -> None:
    qs = _window(client)
    objects, by_objects = _walked(emu, lambda: qs.iterator(page_size=40))
    rows, by_rows = _walked(emu, lambda: qs.raw_rows(page_size=40))
    assert by_rows == by_objects and len(by_objects) > 1
    assert all(type(row) is dict for row in rows)
    assert [row["id"] for row in rows] == [task.id for task in objects] and len(rows) == 115  # 120 completed
    first = rows[0]
    assert first["data_unit"]["id"] == objects[0].data_unit_id
    assert first["data_unit"]["files"] == objects[0].data_unit.files
    assert first["data"] == objects[0].data


def test_raw_pages_give_the_rows_of_raw_rows_page_by_page_with_bodies(client: Any, emu: Any) -> None:
    qs = _window(client)
    rows, by_rows = _walked(emu, lambda: qs.raw_rows(page_size=40))
    pages, by_pages = _walked(emu, lambda: qs.raw_pages(page_size=40))
    assert by_pages == by_rows and len(pages) == len(by_rows)
    assert [row for page in pages for row in page.results] == rows
    first, last = json.loads(pages[0].content), json.loads(pages[-1].content)
    # The body is the whole page as the server sent it: a slice cuts only ``results``.
    assert first["results"][5:] == pages[0].results and len(first["results"]) == 40
    assert last["results"][: len(pages[-1].results)] == pages[-1].results
    assert pages[0].next == first["next"] and pages[0].count == first["count"] == 120
    assert "content" not in repr(pages[0])


@pytest.mark.parametrize("method", ["raw_rows", "raw_pages"])
def test_an_empty_slice_sends_nothing(client: Any, emu: Any, method: str) -> None:
    got, sent = _walked(emu, getattr(client.tasks.filter(project=1)[7:7], method))
    assert got == [] and sent == []


@pytest.mark.parametrize("method", ["iterator", "raw_rows", "raw_pages"])
def test_a_page_size_below_one_is_refused_before_any_request(client: Any, emu: Any, method: str) -> None:
    walk = getattr(client.tasks.filter(project=1), method)(page_size=0)
    emu.requests.clear()
    with pytest.raises(ValueError, match="page_size starts at 1, got 0"):
        next(walk)
    assert _sent(emu) == []
