"""QuerySets against the emulator: what each operation sends (demo seed: project 1 has tasks 1-320)."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest

from synapse import Task


def sent(emu: Any) -> list[Any]:
    return list(emu.requests.snapshot())


@pytest.fixture
def qs(client: Any, emu: Any) -> Any:
    project = client.projects.get(1, lazy=True)
    emu.requests.clear()
    return project.tasks.filter(status_label="completed").order_by("-created")


def test_building_a_queryset_sends_nothing(qs: Any, emu: Any) -> None:
    qs.fields("id").expand("data_unit")[:10]
    repr(qs)
    assert sent(emu) == []


def test_count_sends_one_request_with_page_size_1(qs: Any, emu: Any) -> None:
    assert qs.count() == 120
    (record,) = sent(emu)
    assert record.path == "/sdk/tasks/"
    assert record.query["page_size"] == "1"
    assert record.query["project"] == "1" and record.query["status_label"] == "completed"
    assert record.query["ordering"] == "-created"


def test_len_points_at_count_and_bool_is_exists(qs: Any, emu: Any, client: Any) -> None:
    with pytest.raises(TypeError, match=r"qs\.count\(\)"):
        len(qs)
    assert qs.count() == 120
    assert bool(qs) is True
    assert bool(client.tasks.filter(project=1, status_label="no-such-status")) is False
    assert [r.query["page_size"] for r in sent(emu)] == ["1", "1", "1"]


def test_first_and_exists_read_one_row(qs: Any, emu: Any) -> None:
    first = qs.first()
    assert isinstance(first, Task) and first.id == 120  # newest completed task
    assert qs.exists()
    assert len(sent(emu)) == 2
    assert all(r.query["page_size"] == "1" for r in sent(emu))


def test_slices_fetch_only_the_pages_needed(qs: Any, emu: Any, client: Any) -> None:
    rows = list(qs[:50].iterator())
    assert len(rows) == 50 and len(sent(emu)) == 1 and sent(emu)[0].query["page_size"] == "50"
    emu.requests.clear()
    all_tasks = client.tasks.filter(project=1).order_by("id")
    assert [t.id for t in all_tasks[:250].iterator()] == list(range(1, 251))
    assert [(r.query.get("page", "1"), r.query["page_size"]) for r in sent(emu)] == [
        ("1", "100"), ("2", "100"), ("3", "100")
    ]
    emu.requests.clear()
    assert all_tasks[10].id == 11
    assert len(sent(emu)) == 1


def test_negative_indexing_is_refused_before_any_request(qs: Any, emu: Any) -> None:
    with pytest.raises(ValueError, match="negative"):
        qs[-1]
    assert sent(emu) == []


def test_iteration_streams_page_by_page_in_order(client: Any, emu: Any) -> None:
    ids = []
    seen_requests = []
    for task in client.tasks.filter(project=1).order_by("-id"):
        ids.append(task.id)
        seen_requests.append(len(emu.requests))
    assert ids == list(range(320, 0, -1))
    assert seen_requests[0] == 1 and seen_requests[99] == 1 and seen_requests[100] == 2  # lazily
    assert len(emu.requests) == 4


def test_iterating_twice_fetches_twice(qs: Any, emu: Any) -> None:
    assert [t.id for t in qs] == [t.id for t in qs]
    assert len(sent(emu)) == 4  # 120 rows: 2 pages, twice


def test_fields_gives_partial_rows_that_complete_once_with_a_debug_line(
    qs: Any, emu: Any, caplog: Any
) -> None:
    rows = list(qs.fields("id", "data")[:3].iterator())
    assert sent(emu)[0].query["fields"] == "id,data"
    task = rows[0]
    assert "status_label" not in task.__dict__ and task.data is not None
    emu.requests.clear()
    with caplog.at_level(logging.DEBUG, logger="synapse.resources"):
        assert task.status_label == "completed"
        assert task.meta == {"frame": task.id}
    assert [r.path for r in sent(emu)] == [f"/tasks/{task.id}/"]
    assert any("completing partial Task" in m and "status_label" in m for m in caplog.messages)


def test_expand_embeds_the_data_unit(qs: Any, emu: Any) -> None:
    task = next(qs.expand("data_unit").iterator())
    assert sent(emu)[0].query["expand"] == "data_unit"
    emu.requests.clear()
    unit = task.data_unit
    assert unit.id == task.data_unit_id and "image" in unit.files
    assert sent(emu) == []


def test_cursor_iteration_walks_everything(client: Any, emu: Any) -> None:
    ids = [t.id for t in client.tasks.filter(project=1).iterator(cursor=True, page_size=100)]
    assert sorted(ids) == list(range(1, 321)) and ids == sorted(ids, reverse=True)
    first = sent(emu)[0]
    assert first.query["pagination"] == "cursor" and first.query["ordering"] == "-id"
    assert len(sent(emu)) == 4


def test_filters_pass_through_with_lists_joined(client: Any, emu: Any) -> None:
    rows = list(client.tasks.filter(id__in=[3, 5, 7]).with_params(unknown_filter="x"))
    assert sorted(t.id for t in rows) == [3, 5, 7]
    assert sent(emu)[-1].query["id__in"] == "3,5,7"
    assert sent(emu)[-1].query["unknown_filter"] == "x"


def test_set_tags_resolves_ids_page_by_page_then_sends_batches(client: Any, emu: Any) -> None:
    qs = client.tasks.filter(project=1, status_label="completed")
    assert qs.set_tags([3], batch_size=50) == 120
    records = sent(emu)
    reads = [r for r in records if r.method == "GET"]
    writes = [r for r in records if r.method == "POST"]
    assert all(r.query["fields"] == "id" for r in reads)
    assert [len(r.body["ids"]) for r in writes] == [50, 50, 20]
    assert all(r.path == "/tasks/set_tags/" and r.body["tags"] == [3] for r in writes)
    assert all(3 in t.tags for t in qs)
    qs.set_tags([3], action="remove")
    assert not any(3 in t.tags for t in qs)


def test_set_tags_checks_its_arguments_before_any_request(qs: Any, emu: Any) -> None:
    with pytest.raises(ValueError, match="action"):
        qs.set_tags([3], action="toggle")
    with pytest.raises(TypeError):
        qs.set_tags(["three"])
    with pytest.raises(TypeError):
        qs.set_tags(3)
    assert sent(emu) == []


def test_repr_shows_the_query_and_the_html_preview_is_fetched_once(qs: Any, emu: Any) -> None:
    assert repr(qs) == (
        "<QuerySet Task: GET sdk/tasks/?project=1&status_label=completed&ordering=-created>"
    )
    html = qs._repr_html_()
    assert "<table>" in html and "completed" in html
    qs._repr_html_()
    assert len(sent(emu)) == 1


def test_to_dataframe_asks_only_for_the_columns(qs: Any, emu: Any) -> None:
    frame = qs[:5].to_dataframe(columns=["id", "status_label", "created"])
    assert list(frame.columns) == ["id", "status_label", "created"]
    assert len(frame) == 5 and set(frame["status_label"]) == {"completed"}
    assert sent(emu)[0].query["fields"] == "id,status_label,created"


def test_a_pickled_queryset_has_no_token_and_works_once_bound(qs: Any, client: Any, emu: Any) -> None:
    blob = pickle.dumps(qs)
    assert emu.token.encode() not in blob
    again = client.bind(pickle.loads(blob))
    assert again.count() == 120
