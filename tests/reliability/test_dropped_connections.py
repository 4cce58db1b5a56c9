"""A connection dropped after the request was handled, for each write method.

``emu.faults.drop(..., when="after")`` lets the handler run and commit, then closes the
connection without an answer: the client cannot know whether its write happened. POST and
PATCH must not be resent (a second POST would create a second task); PUT and DELETE are
idempotent and are resent, and their effect happens once. ``when="before"`` closes the
connection before the request is handled: nothing is applied.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from synapse.client import Client
from synapse.errors import TransportError


def task_row(emu: Any, task_id: int) -> dict[str, Any] | None:
    rows = emu.db.query("SELECT data, meta, tags FROM tasks WHERE id = ?", [task_id])
    return rows[0] if rows else None


def writes(emu: Any, method: str) -> list[Any]:
    return [r for r in emu.requests if r.method == method]


# --------------------------------------------------------------------------- POST and PATCH


def create_task(client: Client) -> Any:
    return client.tasks.create(project=1, data_unit=7, meta={"marker": "dropped"})


def tag_task(client: Client) -> Any:
    return client.tasks.get(5, lazy=True).set_tags([3], "add")


def patch_task(client: Client) -> Any:
    task = client.tasks.get(5, lazy=True)
    task.meta = {"marker": "dropped"}
    return task.save()


def created_with_marker(emu: Any) -> int:
    return len(emu.db.query("SELECT id FROM tasks WHERE json_extract(meta, '$.marker') = 'dropped'"))


def tagged(emu: Any) -> bool:
    return 3 in json.loads(task_row(emu, 5)["tags"])


def patched(emu: Any) -> bool:
    return json.loads(task_row(emu, 5)["meta"]) == {"marker": "dropped"}


NOT_RESENT = [
    pytest.param("POST", "tasks/", create_task, lambda emu: created_with_marker(emu) == 1, id="POST-create"),
    pytest.param("POST", "tasks/set_tags/", tag_task, tagged, id="POST-set_tags"),
    pytest.param("PATCH", "tasks/5/", patch_task, patched, id="PATCH"),
]


@pytest.mark.parametrize(("method", "path", "call", "applied"), NOT_RESENT)
def test_post_and_patch_are_not_resent_after_the_body_was_sent(
    synapse_emulator: Any, make_client: Callable[..., Client], method: str, path: str,
    call: Callable[[Client], Any], applied: Callable[[Any], bool],
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    emu.requests.clear()
    emu.faults.drop(path, when="after", method=method)

    with pytest.raises(TransportError) as caught:
        call(client)

    error = caught.value
    assert error.may_have_reached_server is True
    assert "may have reached the server" in str(error)
    assert (error.method, error.path) == (method, "/" + path)
    sent = writes(emu, method)
    assert len(sent) == 1, "a POST/PATCH whose answer was lost was sent again"
    assert sent[0].applied and sent[0].fault == "drop_after"
    assert applied(emu), "the write was applied once, as the log says"


@pytest.mark.parametrize(("method", "path", "call", "applied"), NOT_RESENT)
def test_post_and_patch_dropped_before_handling_are_not_applied(
    synapse_emulator: Any, make_client: Callable[..., Client], method: str, path: str,
    call: Callable[[Client], Any], applied: Callable[[Any], bool],
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    emu.requests.clear()
    emu.faults.drop(path, when="before", method=method)

    with pytest.raises(TransportError) as caught:
        call(client)

    # The client cannot tell "before" from "after": it says the write may have happened.
    assert caught.value.may_have_reached_server is True
    assert len(writes(emu, method)) == 1
    assert not applied(emu)


def test_a_lazy_object_patches_only_the_field_that_changed(
    synapse_emulator: Any, make_client: Callable[..., Client]
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    task = client.tasks.get(5, lazy=True)  # no request: only the id is known
    task.meta = {"marker": "lazy"}
    task.save()
    (patch,) = writes(emu, "PATCH")
    assert patch.body == {"meta": {"marker": "lazy"}}
    assert [r.method for r in emu.requests] == ["PATCH"]


# --------------------------------------------------------------------------- PUT and DELETE


@pytest.mark.parametrize("when", ["after", "before"])
def test_put_is_resent_and_its_effect_happens_once(
    synapse_emulator: Any, make_client: Callable[..., Client], when: str
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    annotation = {
        "annotations": {"image": [{"id": "a1", "tool": "bounding_box", "classification": {"class": "car"}}]},
        "annotationsData": {"image": [{"id": "a1", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    }
    emu.requests.clear()
    emu.faults.drop("tasks/9/annotate_task_data/", when=when, method="PUT")

    task = client.tasks.get(9, lazy=True).annotate(annotation)

    assert task.data == annotation
    sent = writes(emu, "PUT")
    assert len(sent) == 2 and sent[0].fault == f"drop_{when}" and sent[1].status == 200
    assert sent[0].applied is (when == "after")
    assert all(r.body == annotation for r in sent if r.applied)
    assert json.loads(task_row(emu, 9)["data"]) == annotation


@pytest.mark.parametrize("when", ["after", "before"])
def test_delete_is_resent_and_succeeds_once(
    synapse_emulator: Any, make_client: Callable[..., Client], when: str
) -> None:
    emu = synapse_emulator
    client = make_client(emu)
    task = client.tasks.get(11)
    emu.requests.clear()
    emu.faults.drop("tasks/11/", when=when, method="DELETE")

    task.delete()  # the caller is told it worked: the task is gone, whichever attempt did it

    sent = writes(emu, "DELETE")
    assert len(sent) == 2
    assert [r.applied for r in sent] == ([True, False] if when == "after" else [False, True])
    assert task_row(emu, 11) is None


def test_delete_of_a_missing_object_still_raises_not_found(
    synapse_emulator: Any, make_client: Callable[..., Client]
) -> None:
    from synapse.errors import NotFound

    emu = synapse_emulator
    client = make_client(emu)
    emu.faults.fail("tasks/999999/", status=503, method="DELETE")  # refused, so never applied
    with pytest.raises(NotFound):
        client.transport.delete("tasks/999999/")
    assert [r.status for r in writes(emu, "DELETE")] == [503, 404]
