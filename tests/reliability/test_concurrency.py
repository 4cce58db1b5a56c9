"""16 threads sharing one Client: no errors, no cross-talk, a cache that never serves old data.

Each thread owns a few tasks (nobody else writes them) and remembers what it last wrote; it
reads them back through the shared cache, reads other threads' tasks (to race with their
writes), reads tasks nobody writes (whose content is known), creates tasks carrying its own
marker and checks each answer is its own. At the end the database, the threads' models and
every entry left in the cache agree.

10,000 operations take about 25 s on the 2-core machine, so that size runs under ``-m slow``;
the default run does the same with 2,000.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from synapse.client import Client

from .conftest import client_for

THREADS = 16
OWNED = 4  # tasks per thread
READ_ONLY = list(range(321, 333))  # project 2: nobody writes them


def run_threads(emu: Any, client: Client, total: int) -> None:
    owned = {k: [1 + k * OWNED + j for j in range(OWNED)] for k in range(THREADS)}
    # Seed a known annotation on every owned task, so each thread's model starts exact.
    for k, ids in owned.items():
        for task_id in ids:
            path = f"tasks/{task_id}/annotate_task_data/?schema=any"  # free-form data
            client.transport.put(path, json={"owner": k, "n": -1})
    known = {t: client.transport.get(f"tasks/{t}/") for t in READ_ONLY}
    errors: list[str] = []
    created: dict[int, list[int]] = {k: [] for k in range(THREADS)}
    models: dict[int, dict[int, Any]] = {}
    barrier = threading.Barrier(THREADS)

    def work(k: int) -> None:
        rng = random.Random(k)
        model = {t: {"data": {"owner": k, "n": -1}, "meta": None} for t in owned[k]}
        models[k] = model
        barrier.wait()
        try:
            for n in range(total // THREADS):
                task_id = rng.choice(owned[k])
                op = rng.random()
                if op < 0.25:  # read my own task through the shared cache: my last write
                    task = client.tasks.get(task_id)
                    assert task.id == task_id, f"thread {k}: asked {task_id}, got {task.id}"
                    assert task.data == model[task_id]["data"], f"thread {k} task {task_id}: {task.data}"
                    if model[task_id]["meta"] is not None:
                        assert task.meta == model[task_id]["meta"]
                elif op < 0.40:  # another thread's task: racing its writes
                    other = rng.choice([t for j in range(THREADS) if j != k for t in owned[j]])
                    task = client.tasks.get(other)
                    assert task.id == other and task.data["owner"] == (other - 1) // OWNED
                elif op < 0.55:  # a task nobody writes: exact content
                    ro = rng.choice(READ_ONLY)
                    task = client.tasks.get(ro)
                    assert task.to_dict() == known[ro], f"thread {k}: task {ro} differs"
                elif op < 0.70:  # PUT my annotation
                    value = {"owner": k, "n": n}
                    task = client.tasks.get(task_id, lazy=True).annotate(value, schema="any")
                    assert task.id == task_id and task.data == value
                    model[task_id]["data"] = value
                elif op < 0.80:  # PATCH my meta
                    value = {"owner": k, "patch": n}
                    task = client.tasks.get(task_id, lazy=True)
                    task.meta = value
                    task.save()
                    assert task.id == task_id and task.meta == value
                    model[task_id]["meta"] = value
                elif op < 0.90:  # POST: the answer is mine
                    task = client.tasks.create(project=1, data_unit=1 + k, meta={"owner": k, "n": n})
                    assert task.meta == {"owner": k, "n": n} and task.data_unit_id == 1 + k
                    created[k].append(task.id)
                else:  # a list page of my own tasks
                    rows = list(client.tasks.filter(id__in=owned[k]).order_by("id").iterator())
                    assert [t.id for t in rows] == owned[k]
                    for row in rows:
                        assert row.data == model[row.id]["data"], f"thread {k}: list row {row.id}"
        except BaseException as exc:  # reported by the main thread
            errors.append(f"thread {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    for model in models.values():
        for task_id, expected in model.items():
            row = emu.db.query("SELECT data, meta FROM tasks WHERE id = ?", [task_id])[0]
            assert json.loads(row["data"]) == expected["data"]
            if expected["meta"] is not None:
                assert json.loads(row["meta"]) == expected["meta"]
    for k, ids in created.items():
        rows = emu.db.query(
            "SELECT id FROM tasks WHERE json_extract(meta, '$.owner') = ? AND id > 332", [k]
        )
        assert sorted(r["id"] for r in rows) == sorted(ids), f"thread {k}: creates"
    # Whatever the cache still holds is what the server holds.
    for task_id in [t for ids in owned.values() for t in ids] + READ_ONLY:
        cached = client.cache.get("Task", task_id)
        if cached is not None:
            assert cached == client.transport.get(f"tasks/{task_id}/"), f"stale cache entry {task_id}"


@pytest.mark.parametrize("total", [2_000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_sixteen_threads_share_one_client(synapse_emulator: Any, total: int) -> None:
    client = client_for(synapse_emulator)
    try:
        run_threads(synapse_emulator, client, total)
    finally:
        client.close()


def test_a_read_that_overlaps_a_write_does_not_leave_old_data_in_the_cache(
    synapse_emulator: Any, make_client: Callable[..., Client]
) -> None:
    """Thread B's GET is answered before thread A's PATCH but stored after it: it must not stick."""
    emu = synapse_emulator
    client = make_client(emu)
    answered = threading.Event()
    written = threading.Event()

    def hold_the_read(event: Any) -> None:
        if threading.current_thread().name == "reader" and event.method == "GET":
            answered.set()
            written.wait(5)  # the answer (old data) is in hand; A writes meanwhile

    client.transport.add_hook(hold_the_read)
    reader = threading.Thread(target=lambda: client.tasks.get(12), name="reader")
    reader.start()
    assert answered.wait(5)
    task = client.tasks.get(12, lazy=True)
    task.meta = {"written": "after the read was answered"}
    task.save()
    written.set()
    reader.join(5)

    assert client.tasks.get(12).meta == {"written": "after the read was answered"}
