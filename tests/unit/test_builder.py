"""The row builders (``synapse.orm.build``): what a row becomes, key by key, seen through public behaviour."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests_mock as rm
from hypothesis import given, strategies as st

from synapse import Client, DataUnit, Job, Task
from synapse.orm import registry
from synapse.orm.build import NOT_LOADED, MalformedAnswer, build
from synapse.orm.resource import Resource, ResourceOptions, field, resource

TASK_KEYS = ("project", "data_unit", "data", "meta", "status_label", "status_review", "is_discarded",
             "tags", "created")
RENAMED = {"project": "project_id", "data_unit": "data_unit_id"}
BASE = "https://api.example.com/api/"


@pytest.fixture(scope="module")
def probe() -> Any:
    """A resource declaring what no built-in one does: renamed containers and timestamps, two id types.

    Declared here, not at import, and unregistered afterwards: the registry is global, and tests
    that walk every resource must not see it.
    """

    @resource
    class BuilderProbe(Resource):
        """Probe."""

        options = ResourceOptions(id_type=(int, str), repr_fields=("label",))

        id: int | str
        config: dict[str, Any] | None = field(wire="cfg")
        seen: dt.datetime | None = field(wire="last_seen")
        label: str = field(wire="name")
        unit: DataUnit | None = NOT_LOADED

    yield BuilderProbe
    registry._MODELS.pop("BuilderProbe")


@pytest.fixture(scope="module")
def client() -> Any:
    with Client(base_url=BASE, api_token="tok-builder-0123456789") as c:
        yield c


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def task_rows(draw: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": draw(st.integers(1, 2**40))}
    values = {
        "project": st.none() | st.integers(1, 10**6),
        "data_unit": st.none() | st.integers(1, 10**6),
        "data": json_values,
        "meta": st.none() | st.dictionaries(st.text(max_size=4), json_values, max_size=3),
        "status_label": st.none() | st.sampled_from(["pending", "completed"]),
        "status_review": st.none() | st.sampled_from(["stand_by", "approved"]),
        "is_discarded": st.booleans(),
        "tags": st.lists(st.integers(1, 99), max_size=3),
        "created": st.none() | st.datetimes(timezones=st.just(dt.timezone.utc)).map(
            lambda d: d.isoformat().replace("+00:00", "Z")),
    }
    for key in draw(st.lists(st.sampled_from(TASK_KEYS), unique=True)):
        row[key] = draw(values[key])
    # Unknown keys that do not name an attribute of the class (those: see the test below).
    for key, value in draw(st.dictionaries(st.text(min_size=1, max_size=6).filter(
            lambda k: k not in TASK_KEYS and k != "id" and not hasattr(Task, k)), json_values,
            max_size=3)).items():
        row[key] = value
    return row


def test_an_unknown_key_named_like_a_method_leaves_the_method_and_is_written_back(client: Any) -> None:
    row = {"id": 1, "save": None, "annotate": 3, "other": 2}
    task = build(Task, row, client, path="sdk/tasks/")
    assert callable(task.save) and callable(task.annotate)  # the server's data never hides a method
    assert task.other == 2 and task.to_dict() == row


@given(row=task_rows())
def test_a_task_row_becomes_the_attributes_it_sent_and_nothing_else(client: Any, row: dict[str, Any]) -> None:
    pristine = repr(row)
    task = build(Task, row, client, path="sdk/tasks/")
    assert task.to_dict() == row  # known and unknown keys written back as sent; to_dict sends nothing
    assert task.is_loaded == all(key in row for key in TASK_KEYS)  # partial: a missing key stays missing
    assert task.id == row["id"]
    assert repr(task).startswith(f"<Task {row['id']}")
    unknown = {k: v for k, v in row.items() if k not in TASK_KEYS and k != "id"}
    for key, value in unknown.items():
        assert key in dir(task)
        if not key.startswith("_"):
            assert getattr(task, key) == value
    for key in TASK_KEYS:
        attr = RENAMED.get(key, key)
        if key not in row:
            continue  # reading it would complete the object with one GET (see test_a_partial_row...)
        value = getattr(task, attr)
        if key == "created" and row[key] is not None:
            assert value == dt.datetime.fromisoformat(row[key].replace("Z", "+00:00"))
        else:
            assert value == row[key]
        if isinstance(value, (dict, list)):
            assert value is not row[key]  # the object's own copy: the snapshot stays pristine
            value.append(0) if isinstance(value, list) else value.update(x=0)
    assert repr(row) == pristine


def test_a_partial_row_is_completed_through_its_client_by_one_get(client: Any) -> None:
    task = build(Task, {"id": 5, "status_label": "pending"}, client, path="sdk/tasks/")
    full = {"id": 5, "project": 2, "data_unit": 3, "meta": {"a": 1}, "status_label": "completed",
            "is_discarded": False}
    with rm.Mocker() as m:
        m.get(f"{BASE}tasks/5/", json=full)
        assert not task.is_loaded and task.status_label == "pending"
        assert m.call_count == 0
        assert task.meta == {"a": 1}  # a missing field: read once from the bound client
        assert task.project_id == 2 and task.status_label == "pending"  # local values are kept
        assert m.call_count == 1


def test_an_expanded_parent_is_kept_and_its_id_stored(client: Any) -> None:
    raw = {"id": 1, "data_unit": {"id": 7, "meta": {"a": 1}}}
    task = build(Task, raw, client)
    with rm.Mocker() as m:  # no route registered: the parent must come from the row itself
        assert task.data_unit_id == 7
        assert isinstance(task.data_unit, DataUnit) and task.data_unit.meta == {"a": 1}
        assert task.to_dict() == raw  # it stays embedded when written back
    assert m.call_count == 0


@pytest.mark.parametrize("value", [True, "seven", 7.0, [7]])
def test_a_parent_id_of_the_wrong_type_names_the_field(client: Any, value: Any) -> None:
    with pytest.raises(MalformedAnswer, match=r"Task\.project_id: expected a Project id") as info:
        build(Task, {"id": 1, "project": value}, client, path="sdk/tasks/")
    assert info.value.path == "sdk/tasks/"


@pytest.mark.parametrize("created", [17, ["2024"], "yesterday"])
def test_a_timestamp_that_is_not_one_names_the_field(client: Any, created: Any) -> None:
    with pytest.raises(MalformedAnswer, match=r"Task\.created"):
        build(Task, {"id": 1, "created": created}, client)


def test_ids_are_read_the_way_the_platform_types_them(client: Any) -> None:
    # tolerant reader (issue 13): a job id may arrive as an int, an int id as its digits
    assert build(Job, {"id": "4f0c"}, client).id == "4f0c"
    assert build(Job, {"id": 4}, client).id == "4"
    assert build(Task, {"id": "12", "project": "7"}, client).id == 12
    assert build(Task, {"id": 1, "project": "7"}, client).project_id == 7
    with pytest.raises(MalformedAnswer, match=r"'id' of type str, got 4\.5"):
        build(Job, {"id": 4.5}, client)


def test_renamed_fields_land_under_their_attribute(client: Any, probe: Any) -> None:
    raw = {"id": "a1", "cfg": {"k": [1]}, "last_seen": "2024-05-01T12:00:00Z", "name": "x", "unit": {"id": 3}}
    obj = build(probe, raw, client)
    assert (obj.id, obj.label) == ("a1", "x")
    assert obj.config == {"k": [1]} and obj.config is not raw["cfg"]
    assert obj.seen == dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
    assert isinstance(obj.unit, DataUnit) and obj.unit.id == 3
    assert obj.to_dict() == raw  # back under the wire keys, the timestamp as the server spelled it
    for wire_only in ("cfg", "last_seen", "name"):  # the wire keys are not attributes too
        assert wire_only not in dir(obj)
        with pytest.raises(AttributeError):
            getattr(obj, wire_only)
    assert repr(obj) == "<BuilderProbe a1 'x'>"
    assert build(probe, {"id": 5, "cfg": None, "unit": None}, client).config is None


@pytest.mark.parametrize("ident", [None, True, 1.5, [1]])
def test_either_id_type_is_accepted_and_nothing_else(client: Any, probe: Any, ident: Any) -> None:
    with pytest.raises(MalformedAnswer, match="'id' of type int or str"):
        build(probe, {"id": ident}, client)


def test_a_nested_resource_that_is_not_an_object_names_the_field(client: Any, probe: Any) -> None:
    with pytest.raises(MalformedAnswer, match=r"BuilderProbe\.unit"):
        build(probe, {"id": 1, "unit": [3]}, client)


def test_save_sends_only_the_fields_that_changed(client: Any) -> None:
    raw = {"id": 1, "project": 2, "status_label": "pending", "created": "2024-05-01T12:00:00Z",
           "meta": {"a": 1}, "extra_key": [1]}
    task = build(Task, raw, client)
    with rm.Mocker() as m:
        m.patch(f"{BASE}tasks/1/", json=lambda request, context: {**raw, **request.json()})
        task.save()
        assert m.call_count == 0  # nothing changed since the row was read: nothing sent
        task.status_label = "completed"
        task.meta["a"] = 2
        task.save()
        assert m.call_count == 1
        assert m.last_request.json() == {"status_label": "completed", "meta": {"a": 2}}
    assert (task.status_label, task.meta, task.extra_key) == ("completed", {"a": 2}, [1])
    assert raw["meta"] == {"a": 1}  # the row the object was built from is untouched
