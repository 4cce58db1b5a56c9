"""A tolerant reader: what a real backend sends for a known field is read, never refused."""

from __future__ import annotations

from typing import Any

import pytest

from synapse import Client, DataCollection, FileSpecification, Job, Task
from synapse.orm.build import MalformedAnswer, build
from synapse.testing import connect


@pytest.fixture
def ids_client(synapse_emulator_factory: Any) -> Any:
    emu = synapse_emulator_factory(list_relations="ids")
    with connect(emu) as client:
        yield client


def test_unexpanded_file_specifications_become_unloaded_objects(ids_client: Client) -> None:
    rows = ids_client.transport.request("GET", "data_collections/")["results"]
    assert all(isinstance(s, int) for s in rows[0]["file_specifications"])  # as the real backend
    collection = build(DataCollection, rows[0], ids_client, path="data_collections/")
    specs = collection.file_specifications
    assert [type(s) for s in specs] == [FileSpecification] * len(rows[0]["file_specifications"])
    assert [s.id for s in specs] == rows[0]["file_specifications"]
    assert not specs[0].is_loaded


def test_the_object_model_lists_collections_with_their_specifications(ids_client: Client) -> None:
    collection = ids_client.data_collections.all()[0]
    assert collection.file_specifications[0].name  # the list asks for the expansion itself


def test_a_job_id_may_arrive_as_an_int_or_a_str(ids_client: Client) -> None:
    assert build(Job, {"id": 17, "status": "PENDING"}, ids_client).id == "17"
    assert build(Job, {"id": "17", "status": "PENDING"}, ids_client).id == "17"


def test_unknown_fields_are_kept_and_a_missing_field_is_read_on_first_use(ids_client: Client) -> None:
    task = build(Task, {"id": 1, "brand_new": {"x": [1]}}, ids_client, path="sdk/tasks/")
    assert task.to_dict()["brand_new"] == {"x": [1]}
    assert task.status_label  # not in the row: completed from the detail route on first read


@pytest.mark.parametrize("raw", [[{"id": 1}], "text", 5, None])
def test_an_answer_that_cannot_be_read_is_malformed_and_names_the_route(raw: Any) -> None:
    with pytest.raises(MalformedAnswer) as info:
        build(Task, raw, None, path="sdk/tasks/")
    assert info.value.path == "sdk/tasks/"
