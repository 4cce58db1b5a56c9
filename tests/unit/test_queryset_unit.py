"""The object model against requests-mock: malformed answers, page arithmetic, diffs, pickling."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import sys
from typing import Any

import pytest
import requests_mock
from hypothesis import given, strategies as st

from synapse import Client, Project, SynapseError, Task, ValidationError
from synapse.errors import ConfigurationError
from synapse.orm.build import MalformedAnswer, converter
from synapse.orm.queryset import _window, query_value

BASE = "https://api.example.com/api/"
TOKEN = "tok-SECRET-1234567890"


def task_row(i: int, **extra: Any) -> dict[str, Any]:
    row = {
        "id": i, "project": 1, "data_unit": 100 + i, "data": None, "meta": {"k": [1]},
        "status_label": "completed", "status_review": None, "is_discarded": False, "tags": [3],
        "created": "2024-05-01T12:00:00Z",
    }
    row.update(extra)
    return row


@pytest.fixture
def client() -> Any:
    with Client(base_url=BASE, api_token=TOKEN, retries=0) as c:
        yield c


@pytest.fixture
def mock() -> Any:
    with requests_mock.Mocker() as m:
        yield m


def paged(total: int, path: str = "sdk/tasks/") -> Any:
    def answer(request: Any, context: Any) -> dict[str, Any]:
        page = int(request.qs.get("page", ["1"])[0])
        size = int(request.qs["page_size"][0])
        rows = [task_row(i) for i in range((page - 1) * size + 1, min(page * size, total) + 1)]
        more = page * size < total
        return {"count": total, "next": f"{BASE}{path}?page={page + 1}&page_size={size}" if more else None,
                "previous": None, "results": rows}
    return answer


# ---- malformed server answers ----
@pytest.mark.parametrize("body", ["oops", {"items": []}, {"results": "x"}, 42])
def test_a_list_answer_that_is_not_a_page_raises_a_synapse_error(client: Any, mock: Any, body: Any) -> None:
    mock.get(BASE + "sdk/tasks/", json=body)
    with pytest.raises(SynapseError):
        list(client.tasks.all())


@pytest.mark.parametrize(
    ("row", "message"),
    [("not an object", "expected a Task object"), ({"status_label": "x"}, "'id'"),
     ({"id": "seven"}, "'id'"), ({"id": True}, "'id'"), (task_row(1, created="yesterday"), "created")],
)
def test_a_malformed_row_raises_malformed_answer_naming_the_problem(
    client: Any, mock: Any, row: Any, message: str
) -> None:
    mock.get(BASE + "sdk/tasks/", json={"count": 1, "next": None, "previous": None, "results": [row]})
    with pytest.raises(MalformedAnswer, match=message) as info:
        list(client.tasks.all())
    assert info.value.path == "sdk/tasks/"
    assert isinstance(info.value, SynapseError)


def test_a_detail_answer_that_is_not_an_object_raises(client: Any, mock: Any) -> None:
    mock.get(BASE + "projects/3/", json=[1, 2])
    with pytest.raises(MalformedAnswer, match="expected a Project object"):
        client.projects.get(3)


def test_count_without_a_count_raises(client: Any, mock: Any) -> None:
    mock.get(BASE + "projects/", json={"next": None, "results": []})
    with pytest.raises(SynapseError, match="count"):
        client.projects.count()


def test_verify_checksums_with_a_malformed_answer_raises(client: Any, mock: Any) -> None:
    mock.post(BASE + "data_files/verify_checksums/", json={"checksums": "abc"})
    with pytest.raises(MalformedAnswer, match="existing_checksums"):
        client.data_files.verify_checksums(["abc"])


def test_a_null_field_is_kept_as_none_and_a_missing_one_is_absent(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json={"id": 1, "data": None})
    task = client.tasks.get(1)
    assert task.data is None
    assert "status_label" not in task.__dict__


# ---- page arithmetic ----
@given(low=st.integers(0, 5000), span=st.integers(1, 3000), size=st.integers(1, 1000))
def test_window_reads_exactly_the_pages_that_cover_the_slice(low: int, span: int, size: int) -> None:
    high = low + span
    page_size, first_page, skip = _window(low, high, size)
    start = (first_page - 1) * page_size
    assert start + skip == low
    assert 0 <= skip < page_size <= max(size, 1000)
    pages = -(-(high - start) // page_size)
    assert pages == max(1, -(-(high - low + skip) // page_size))
    if span <= size and pages > 1:  # a slice that fits in one page of some size is read in one
        assert all(low // s != (high - 1) // s for s in range(span, size + 1))


def test_slices_map_onto_page_and_page_size(client: Any, mock: Any) -> None:
    mock.get(BASE + "sdk/tasks/", json=paged(1000))
    rows = list(client.tasks.all()[:250].iterator())
    assert [r.id for r in rows] == list(range(1, 251))
    assert mock.call_count == 3
    assert [r.qs.get("page", ["1"]) for r in mock.request_history] == [["1"], ["2"], ["3"]]
    mock.reset_mock()
    assert client.tasks.all()[10].id == 11
    assert mock.call_count == 1
    assert mock.last_request.qs["page"] == ["11"] and mock.last_request.qs["page_size"] == ["1"]
    mock.reset_mock()
    assert [t.id for t in client.tasks.all()[20:30]] == list(range(21, 31))
    assert mock.call_count == 1
    assert mock.last_request.qs["page_size"] == ["10"] and mock.last_request.qs["page"] == ["3"]


def test_slicing_a_slice_stays_inside_it(client: Any, mock: Any) -> None:
    mock.get(BASE + "sdk/tasks/", json=paged(1000))
    assert [t.id for t in client.tasks.all()[100:200][5:8]] == [106, 107, 108]
    with pytest.raises(IndexError):
        client.tasks.all()[100:105][5]


def test_an_index_past_the_end_raises_index_error(client: Any, mock: Any) -> None:
    mock.get(BASE + "sdk/tasks/", json=paged(3))
    with pytest.raises(IndexError):
        client.tasks.all()[3]


@pytest.mark.parametrize("index", [-1, slice(-5, None), slice(None, -1)])
def test_negative_indexing_is_refused_before_any_request(client: Any, mock: Any, index: Any) -> None:
    with pytest.raises(ValueError, match="negative indexing"):
        client.tasks.all()[index]
    assert mock.call_count == 0


@pytest.mark.parametrize("index", ["1", 1.5, slice("a", None), True])
def test_other_index_types_are_type_errors(client: Any, index: Any) -> None:
    with pytest.raises(TypeError):
        client.tasks.all()[index]


def test_a_slice_with_a_step_is_refused(client: Any) -> None:
    with pytest.raises(ValueError, match="step"):
        client.tasks.all()[::2]


def test_filter_after_slice_is_refused(client: Any) -> None:
    with pytest.raises(TypeError, match="sliced"):
        client.tasks.all()[:5].filter(project=1)


# ---- filters ----
def test_filter_values_are_rendered_for_the_query_string() -> None:
    assert query_value("id__in", [1, 2, 3]) == "1,2,3"
    assert query_value("tags", (5,)) == "5"
    assert query_value("is_discarded", False) == "false"
    assert query_value("created__gte", dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)) == (
        "2024-01-02T00:00:00+00:00"
    )
    with pytest.raises(TypeError, match="got dict"):
        query_value("meta", {"a": 1})
    with pytest.raises(TypeError):
        query_value("project", None)


def test_reserved_parameters_point_to_their_method(client: Any) -> None:
    with pytest.raises(ValueError, match=r"fields\(\)"):
        client.tasks.filter(fields="id")
    with pytest.raises(ValueError, match="slicing"):
        client.tasks.filter(page=2)


def test_fields_checks_names_and_adds_the_id(client: Any) -> None:
    assert client.tasks.fields("data")._query()["fields"] == "id,data"
    with pytest.raises(ValueError, match="no field 'dta'"):
        client.tasks.fields("dta")


# ---- objects ----
def test_datetimes_are_parsed_and_round_trip_in_the_servers_spelling(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1, unknown_field={"nested": [1, {"x": 2}]}))
    task = client.tasks.get(1)
    assert task.created == dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
    assert task.to_dict() == task_row(1, unknown_field={"nested": [1, {"x": 2}]})
    assert task.unknown_field == {"nested": [1, {"x": 2}]}
    assert "unknown_field" in dir(task)


def test_save_patches_only_changed_fields_and_in_place_edits_count(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    mock.patch(BASE + "tasks/1/", json=task_row(1, meta={"k": [1, 2]}, status_label="skipped"))
    task = client.tasks.get(1)
    task.save()
    assert mock.call_count == 1  # nothing changed: no request
    task.meta["k"].append(2)
    task.status_label = "skipped"
    task.save()
    assert mock.last_request.method == "PATCH"
    assert mock.last_request.json() == {"meta": {"k": [1, 2]}, "status_label": "skipped"}
    sent = mock.call_count
    task.save()  # what was saved is no longer a change
    assert mock.call_count == sent


def test_edits_never_leak_into_the_cache(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    first = client.tasks.get(1)
    first.meta["k"].append(99)
    second = client.tasks.get(1)
    assert mock.call_count == 1
    assert second.meta == {"k": [1]}


def test_changing_a_read_only_field_is_refused_before_any_request(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    task = client.tasks.get(1)
    task.created = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(ValidationError, match="read-only"):
        task.save()
    assert mock.call_count == 1


def test_unknown_attributes_are_clear_errors(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    task = client.tasks.get(1)
    with pytest.raises(AttributeError, match="no attribute 'stauts'"):
        _ = task.stauts  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="no field 'stauts'"):
        task.stauts = "x"  # type: ignore[attr-defined]


def test_a_type_the_api_cannot_update_has_no_save_and_says_why(client: Any, mock: Any) -> None:
    mock.get(BASE + "task_tags/4/", json={"id": 4, "name": "old"})
    tag = client.task_tags.get(4)
    tag.name = "new"
    assert "save" not in dir(tag) and "delete" not in dir(tag)
    with pytest.raises(AttributeError, match=r"cannot be updated .*PATCH task_tags/\{id\}/"):
        tag.save()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="cannot be deleted"):
        tag.delete()  # type: ignore[attr-defined]
    assert mock.call_count == 1


def test_a_manager_without_a_create_route_has_no_create(client: Any, mock: Any) -> None:
    assert not hasattr(client.projects, "create") and "create" not in dir(client.projects)
    with pytest.raises(AttributeError, match=r"Project objects cannot be created .*POST projects/"):
        client.projects.create(title="x")  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match=r"no attribute 'get'.*read one by one"):
        client.ground_truths.get(5)
    assert client.ground_truths.all().get  # a QuerySet still looks inside its list
    assert mock.call_count == 0


def test_a_parent_id_is_read_from_and_written_back_under_the_wire_key(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    task = client.tasks.get(1)
    assert task.project_id == task_row(1)["project"] and task.to_dict()["project"] == task.project_id
    assert "project_id" not in task.to_dict()
    mock.patch(BASE + "tasks/1/", json={**task_row(1), "project": 9})
    task.project_id = 9
    task.save()
    assert mock.last_request.json() == {"project": 9} and task.project_id == 9


def test_equality_is_by_type_and_id(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    full = client.tasks.get(1)
    lazy = client.tasks.get(1, lazy=True)
    assert full == lazy and hash(full) == hash(lazy)
    assert full != client.projects.get(1, lazy=True)
    assert len({full, lazy}) == 1


def test_repr_never_sends_a_request(client: Any, mock: Any) -> None:
    lazy = client.projects.get(12, lazy=True)
    assert repr(lazy) == "<Project 12 (not loaded)>"
    assert "not loaded" in lazy._repr_html_()
    qs = client.projects.filter(title="Cars").order_by("-created")
    assert repr(qs) == "<QuerySet Project: GET projects/?title=Cars&ordering=-created>"
    assert mock.call_count == 0


def test_the_html_preview_escapes_values_and_is_fetched_once(client: Any, mock: Any) -> None:
    mock.get(BASE + "projects/", json={"count": 1, "next": None, "previous": None,
                                       "results": [{"id": 1, "title": "<script>x</script>"}]})
    qs = client.projects.all()
    first = qs._repr_html_()
    assert "<script>" not in first and "&lt;script&gt;" in first
    qs._repr_html_()
    assert mock.call_count == 1
    qs.refresh()._repr_html_()
    assert mock.call_count == 2


def test_pickles_carry_no_client_and_no_token(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    task = client.tasks.get(1)
    qs = client.tasks.filter(project=1)
    for obj in (task, qs, client.tasks.get(2, lazy=True)):
        blob = pickle.dumps(obj)
        assert TOKEN.encode() not in blob
        assert b"Client" not in blob
    restored = pickle.loads(pickle.dumps(task))
    assert restored == task and restored.to_dict() == task.to_dict()
    with pytest.raises(ConfigurationError, match="bind"):
        restored.refresh()
    with pytest.raises(AttributeError, match="bind"):
        _ = pickle.loads(pickle.dumps(client.tasks.get(2, lazy=True))).status_label
    with pytest.raises(ConfigurationError, match="bind"):
        list(pickle.loads(pickle.dumps(qs)))
    with pytest.raises(AttributeError, match=r"Task\.project needs a client.*bind"):
        _ = restored.project
    assert client.bind(restored) is restored
    assert restored.refresh() is restored  # bound again: it reads through the client
    assert repr(client.bind(pickle.loads(pickle.dumps(qs)))) == repr(qs)


def test_copies_keep_the_client_and_deep_copies_are_independent(client: Any, mock: Any) -> None:
    mock.get(BASE + "tasks/1/", json=task_row(1))
    task = client.tasks.get(1)
    assert copy.copy(task).refresh().id == 1  # a copy is bound to the same client
    other = copy.deepcopy(task)
    other.meta["k"].append(5)
    assert task.meta == {"k": [1]} and other.refresh().meta == {"k": [1]}


def test_the_converter_structures_resources_unbound() -> None:
    project = converter.structure({"id": 3, "title": "Cars", "created": "2024-01-01T00:00:00Z"}, Project)
    assert isinstance(project, Project) and project.title == "Cars"
    with pytest.raises(ConfigurationError, match="bind"):  # structured unbound: no client to read through
        project.refresh()
    assert converter.unstructure(project) == {"id": 3, "title": "Cars", "created": "2024-01-01T00:00:00Z"}


def test_a_resource_built_by_hand_is_partial_and_unbound() -> None:
    task = Task(id=5, status_label="new")
    assert task.to_dict() == {"id": 5, "status_label": "new"}
    assert repr(task) == "<Task 5 'new'>"


def test_to_dataframe_without_pandas_names_the_extra(
    client: Any, mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes ``import pandas`` fail
    with pytest.raises(ImportError, match=r"synapse-orm\[pandas\]"):
        client.tasks.to_dataframe()
    assert mock.call_count == 0


def test_ground_truth_events_that_come_without_their_pgh_id_are_read(client: Any, mock: Any) -> None:
    rows = [{"data": {"annotations": {}}, "category": "train"}, {"data": None, "category": "test"}]
    route = BASE + "sdk/ground_truth_events/"
    mock.get(route, json={"count": 2, "next": None, "previous": None, "results": rows})
    first, second = list(client.ground_truth_events.filter(ground_truth_dataset_versions=3))
    assert (first.category, second.category) == ("train", "test")
    assert first.pgh_id is None and first.pgh_label is None  # not sent, nothing can complete it
    assert first != second and first == first and len({first, second}) == 2
    assert mock.call_count == 1  # reading what a row lacks sent nothing
    with pytest.raises(MalformedAnswer, match="pgh_id"):  # an id that is there but unreadable still fails
        mock.get(route, json={"count": 1, "next": None, "results": [{"pgh_id": [1]}]})
        list(client.ground_truth_events.filter(ground_truth_dataset_versions=3))
