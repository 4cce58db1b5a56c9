"""``qs.raw_rows()``: the server's rows as dicts, by the same requests as ``iterator()`` (demo seed)."""

from __future__ import annotations

from typing import Any


def _sent(emu: Any) -> list[tuple[str, dict[str, str]]]:
    return [(r.path, dict(r.query)) for r in emu.requests.snapshot()]


def test_raw_rows_send_the_requests_of_iterator_and_give_the_same_rows(client: Any, emu: Any) -> None:
    qs = client.projects.get(1, lazy=True).tasks.filter(status_label="completed").expand("data_unit")[5:130]
    emu.requests.clear()
    objects = list(qs.iterator(page_size=40))
    by_objects = _sent(emu)
    emu.requests.clear()
    rows = list(qs.raw_rows(page_size=40))
    assert _sent(emu) == by_objects and len(by_objects) > 1
    assert all(type(row) is dict for row in rows)
    assert [row["id"] for row in rows] == [task.id for task in objects] and len(rows) == 115  # 120 completed
    first = rows[0]
    assert first["data_unit"]["id"] == objects[0].data_unit_id
    assert first["data_unit"]["files"] == objects[0].data_unit.files
    assert first["data"] == objects[0].data


def test_raw_rows_of_an_empty_slice_send_nothing(client: Any, emu: Any) -> None:
    emu.requests.clear()
    assert list(client.tasks.filter(project=1)[7:7].raw_rows()) == []
    assert _sent(emu) == []
