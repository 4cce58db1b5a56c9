"""Safe by default (issue 14, items 1-3): checked filters, QuerySets that are not managers, iteration cost."""

from __future__ import annotations

from typing import Any

import pytest

from synapse import Project, Task
from synapse.errors import NotFound, ValidationError
from synapse.orm.filters import Filters


def sent(emu: Any) -> list[Any]:
    return list(emu.requests.snapshot())


# ---- 1. filters and orderings are checked before any request ----
def test_a_misspelt_filter_sends_no_write(client: Any, emu: Any) -> None:
    emu.requests.clear()
    with pytest.raises(ValidationError) as info:
        client.tasks.filter(stauts_label="rejected").set_tags([4])
    message = str(info.value)
    assert "stauts_label: no such filter on Task; did you mean status_label?" in message
    assert sent(emu) == []
    assert not [r for r in sent(emu) if r.method == "POST"]
    assert client.tasks.filter(project=1, tags=4).count() == 0  # nothing was tagged


def test_an_unknown_ordering_names_the_valid_ones(client: Any, emu: Any) -> None:
    emu.requests.clear()
    with pytest.raises(ValidationError, match=r"colour: no such ordering on Task"):
        client.tasks.order_by("colour")
    with pytest.raises(ValidationError, match=r"did you mean created\?"):
        client.tasks.order_by("-craeted")
    with pytest.raises(ValidationError, match=r"did you mean title\?"):
        client.projects.filter(ordering="titel")
    assert sent(emu) == []


def test_lookups_are_the_declared_ones(client: Any, emu: Any) -> None:
    rows = client.tasks.filter(project=1, id__lte=3, created__gte="2000-01-01T00:00:00Z").order_by("id")
    assert [t.id for t in rows] == [1, 2, 3]
    with pytest.raises(ValidationError, match=r"status_label__in: no such filter on Task"):
        client.tasks.filter(status_label__in=["completed"])
    with pytest.raises(ValidationError, match="did you mean id__in"):
        client.assignments.filter(id__inn=[1])


def test_related_managers_and_their_querysets_check_too(client: Any, emu: Any) -> None:
    project = client.projects.get(1, lazy=True)
    with pytest.raises(ValidationError, match="did you mean status_label"):
        project.tasks.filter(status_labels="completed")


def test_with_params_is_the_visible_door_and_sends_unchecked(client: Any, emu: Any) -> None:
    emu.requests.clear()
    rows = list(client.tasks.filter(project=2).with_params(priority="high", ordering="colour")[:3])
    assert len(rows) == 3
    query = sent(emu)[-1].query
    assert query["priority"] == "high" and query["ordering"] == "colour" and query["project"] == "2"


def test_filters_declaration_reads_as_api_md() -> None:
    declared = Filters("project", id=("exact", "in", "gt"), ordering=("id", "-created"))
    assert declared.names == {"project", "id", "id__in", "id__gt"}
    assert declared.ordering == {"id", "created"}
    declared.check(["id__gt", "project"], "Widget")
    with pytest.raises(ValidationError, match="id__lt: no such filter on Widget; did you mean id__gt"):
        declared.check(["id__lt"], "Widget")
    with pytest.raises(ValidationError, match="Widget lists take no filter"):
        Filters().check(["x"], "Widget")
    assert isinstance(Task.options.filters, Filters) and "status_label" in Task.options.filters.names


# ---- 2. managers and QuerySets are different things ----
def test_query_methods_return_a_queryset_without_create(client: Any) -> None:
    for qs in (client.projects.filter(title="x"), client.projects.order_by("id"), client.projects.all(),
               client.projects.fields("title"), client.tasks.expand("data_unit"), client.tasks[:5],
               client.tasks.with_params(x=1)):
        assert not hasattr(qs, "create") and not hasattr(qs, "bulk_create")
    assert hasattr(client.tasks.filter(project=1), "set_tags")  # the type's query methods stay
    assert hasattr(client.tasks.filter(project=1), "class_counts")
    assert hasattr(client.projects.get(1, lazy=True).tasks, "create")  # a related manager is a manager


def test_get_on_a_queryset_stays_inside_its_filters(client: Any, emu: Any) -> None:
    emu.requests.clear()
    with pytest.raises(NotFound, match="Project 1 not found"):
        client.projects.filter(title="no such title").get(1)
    (record,) = sent(emu)
    assert record.path == "/projects/"
    assert record.query["id"] == "1" and record.query["title"] == "no such title"
    title = client.projects.get(1).title
    emu.requests.clear()
    found = client.projects.filter(title=title).get(id=1)
    assert isinstance(found, Project) and found.id == 1 and len(sent(emu)) == 1
    completed = client.tasks.filter(project=1, status_label="completed")
    some = completed.first()
    assert completed.get(some.id) == some
    not_completed = client.tasks.filter(project=1, status_label="stand_by").first()
    if not_completed is not None:
        with pytest.raises(NotFound):
            completed.get(not_completed.id)
    assert completed.get(id=some.id, status_label="completed") == some


def test_get_without_an_id_needs_exactly_one(client: Any) -> None:
    title = client.projects.get(1).title
    assert client.projects.all().get(title=title).id == 1
    with pytest.raises(ValueError, match="more than one Task"):
        client.tasks.filter(project=1).get(status_label="completed")
    with pytest.raises(TypeError):
        client.tasks.filter(project=1).get("5")


def test_manager_get_keeps_its_detail_read(client: Any, emu: Any) -> None:
    emu.requests.clear()
    assert client.projects.get(1).id == 1
    assert [r.path for r in sent(emu)] == ["/projects/1/"]


# ---- 3. iteration costs only the pages ----
def test_list_sends_only_the_page_requests(client: Any, emu: Any) -> None:
    qs = client.tasks.filter(project=1).order_by("id")
    emu.requests.clear()
    rows = list(qs[:250])
    assert len(rows) == 250
    assert [(r.query.get("page", "1"), r.query["page_size"]) for r in sent(emu)] == [
        ("1", "100"), ("2", "100"), ("3", "100")
    ]
    emu.requests.clear()
    assert len([t for t in client.tasks.filter(project=2)]) > 0
    assert all(r.query["page_size"] != "1" for r in sent(emu))  # no count request


def test_len_points_at_count(client: Any) -> None:
    with pytest.raises(TypeError, match=r"qs\.count\(\)"):
        len(client.tasks.filter(project=1))


def test_bool_is_exists_one_row(client: Any, emu: Any) -> None:
    emu.requests.clear()
    assert client.tasks.filter(project=1)
    assert not client.tasks.filter(project=1, status_label="skipped", id__gt=10**6)
    assert [r.query["page_size"] for r in sent(emu)] == ["1", "1"]


def test_an_index_past_the_end_is_an_index_error(client: Any, emu: Any) -> None:
    qs = client.tasks.filter(project=1)
    with pytest.raises(IndexError):
        qs[1000]
    with pytest.raises(IndexError):
        qs[:5][7]
    assert list(qs[1000:1010]) == []
    assert qs[0].id > 0
