"""1,000 mixed operations while the emulator answers 30% of requests with 503 (and drops some).

The proof is kept per operation: the request log is sliced around each call, so for every
write we know how many times the server *applied* it (``record.applied``), whatever the client
saw. The rules checked:

- a write the caller was told succeeded was applied exactly once (POST, PATCH) or, for the
  idempotent PUT, at least once and always with the same body;
- a write the caller was told failed was applied zero times, unless the error said it may have
  reached the server (``TransportError.may_have_reached_server``); then at most once;
- every read returns what the model of the database says, and at the end the database equals
  the model (every applied write accounted for, none lost, none doubled).

A 503 injected by the emulator is answered *before* the handler runs, so it is never applied:
the client may resend every method after it (DESIGN.md "Retries").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from synapse.client import Client
from synapse.config import RetryPolicy
from synapse.errors import ServerError, SynapseError, TransportError
from tests.conftest import FakeClock

WORKING_SET = list(range(1, 41))  # demo tasks of project 1
TAGS = [1, 2, 3]
# Three retries: a call fails when 4 attempts in a row hit the 30% (0.8% of calls), so a run
# of 1,000 exercises both outcomes.
POLICY = RetryPolicy(max_retries=3, backoff_factor=0.001, backoff_max=0.01)
WEIGHTS = {"read": 25, "list": 10, "create": 15, "annotate": 15, "tag": 10, "untag": 10, "patch": 15}


def db_task(emu: Any, task_id: int) -> dict[str, Any] | None:
    import json

    rows = emu.db.query("SELECT data, meta, tags FROM tasks WHERE id = ?", [task_id])
    if not rows:
        return None
    row = rows[0]
    return {
        "data": None if row["data"] is None else json.loads(row["data"]),
        "meta": json.loads(row["meta"]) if row["meta"] else {},
        "tags": sorted(json.loads(row["tags"] or "[]")),
    }


class Outcome:
    """What one operation did, as the caller saw it and as the server recorded it."""

    def __init__(self, index: int, kind: str, records: list[Any], error: BaseException | None) -> None:
        self.index = index
        self.kind = kind
        self.error = error
        self.writes = [r for r in records if r.is_write]
        self.applied = [r for r in self.writes if r.applied]

    @property
    def maybe(self) -> bool:
        return isinstance(self.error, TransportError) and self.error.may_have_reached_server


def run_mixed(emu: Any, client: Client, n: int, seed: int) -> tuple[list[Outcome], dict[int, Any]]:
    """Run ``n`` operations; return the outcomes and the model of the working set."""
    rng = random.Random(seed)
    model = {task_id: db_task(emu, task_id) for task_id in WORKING_SET}
    outcomes: list[Outcome] = []
    kinds = list(WEIGHTS)
    weights = list(WEIGHTS.values())

    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        task_id = rng.choice(WORKING_SET)
        tag = rng.choice(TAGS)
        start = len(emu.requests)
        error: BaseException | None = None
        change: dict[str, Any] | None = None  # what the model takes once we know it happened
        try:
            if kind == "read":
                task = client.tasks.get(task_id)
                expected = model[task_id]
                assert (task.id, task.data, task.meta, sorted(task.tags)) == (
                    task_id, expected["data"], expected["meta"], expected["tags"]
                ), f"op {i}: read of task {task_id}"
            elif kind == "list":
                ids = sorted(rng.sample(WORKING_SET, 5))
                rows = list(client.tasks.filter(id__in=ids).order_by("id").iterator())
                assert [t.id for t in rows] == ids, f"op {i}: list"
                for row in rows:
                    assert (row.data, row.meta, sorted(row.tags)) == (
                        model[row.id]["data"], model[row.id]["meta"], model[row.id]["tags"]
                    ), f"op {i}: list row {row.id}"
            elif kind == "create":
                task = client.tasks.create(project=1, data_unit=task_id, meta={"create": i})
                assert task.meta == {"create": i} and task.project_id == 1, f"op {i}: create answer"
            elif kind == "annotate":
                value = {"op": i, "shapes": [[i, i + 1]]}
                change = {"data": value}
                task = client.tasks.get(task_id, lazy=True).annotate(value, schema="any")  # free-form data
                assert task.data == value, f"op {i}: annotate answer"
            elif kind in ("tag", "untag"):
                action = "add" if kind == "tag" else "remove"
                tags = model[task_id]["tags"]
                new = sorted(set(tags) | {tag}) if action == "add" else sorted(set(tags) - {tag})
                change = {"tags": new}
                client.tasks.get(task_id, lazy=True).set_tags([tag], action)
            elif kind == "patch":
                value = {"patch": i}
                change = {"meta": value}
                task = client.tasks.get(task_id, lazy=True)
                task.meta = value
                task.save()
                assert task.meta == value, f"op {i}: patch answer"
        except SynapseError as exc:
            error = exc
        outcome = Outcome(i, kind, emu.requests[start:], error)
        outcomes.append(outcome)
        if change is not None and (error is None or (outcome.maybe and outcome.applied)):
            # succeeded, or the server's log proves the "maybe" write was applied
            model[task_id].update(change)
    return outcomes, model


def check_outcomes(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        where = f"op {o.index} ({o.kind}): {o.error!r}"
        if o.kind in ("read", "list"):
            assert not o.applied, where
            continue
        bodies = {repr(r.body) for r in o.applied}
        if o.error is None:
            if o.kind == "annotate":  # PUT: idempotent, may be resent after a lost answer
                assert len(o.applied) >= 1 and len(bodies) == 1, where
            else:  # POST and PATCH: never applied twice
                assert len(o.applied) == 1, where
        elif o.maybe:
            assert len(o.applied) <= (len(o.writes) if o.kind == "annotate" else 1), where
        else:
            # Told it failed without "maybe": the server never applied it.
            assert not o.applied, where
        # Writes the server did not apply were refused by an injected fault, nothing else.
        for record in o.writes:
            assert record.applied or record.fault in ("status", "drop_before"), (where, record)
        if o.kind != "annotate" and o.writes:
            # POST and PATCH are resent only after an answer saying "not processed" (503).
            assert all(r.status == 503 for r in o.writes[:-1]), where


def check_database(emu: Any, model: dict[int, Any], outcomes: list[Outcome]) -> None:
    for task_id, expected in model.items():
        assert db_task(emu, task_id) == expected, f"task {task_id}"
    import json

    rows = emu.db.query("SELECT id, meta FROM tasks WHERE id > 332")
    markers = [json.loads(r["meta"]).get("create") for r in rows]
    assert len(markers) == len(set(markers)), "a create was applied twice"
    applied_creates = {o.index for o in outcomes if o.kind == "create" and o.applied}
    told_ok = {o.index for o in outcomes if o.kind == "create" and o.error is None}
    assert set(markers) == applied_creates
    assert told_ok <= set(markers), "a create the caller was told succeeded is missing"
    failed = {o.index for o in outcomes if o.kind == "create" and o.error is not None and not o.maybe}
    assert not failed & set(markers), "a create reported as failed was applied"


def test_thirty_percent_503_for_1000_mixed_operations(
    synapse_emulator: Any, make_client: Callable[..., Client], clock: FakeClock
) -> None:
    emu = synapse_emulator
    client = make_client(emu, retries=POLICY)
    emu.faults.seed(8)
    fault = emu.faults.fail("*", status=503, probability=0.3)

    outcomes, model = run_mixed(emu, client, 1000, seed=1)

    assert 0.25 < fault.hits / len(emu.requests) < 0.35
    failed = [o for o in outcomes if o.error is not None]
    assert failed, "no call ran out of retries: the failure path was not exercised"
    for o in failed:  # with 503s only, a failure is the last 503 after every retry
        assert isinstance(o.error, ServerError) and o.error.status_code == 503, o.error
        assert len(o.writes) in (0, POLICY.max_retries + 1)
    assert sum(o.error is None and o.kind not in ("read", "list") for o in outcomes) > 500
    check_outcomes(outcomes)
    check_database(emu, model, outcomes)
    assert all(s <= POLICY.backoff_max for s in clock.sleeps)


@pytest.mark.parametrize("when", ["after", "before"])
def test_503s_and_dropped_connections_for_500_mixed_operations(
    synapse_emulator: Any, make_client: Callable[..., Client], when: str
) -> None:
    emu = synapse_emulator
    client = make_client(emu, retries=POLICY)
    emu.faults.seed(21)
    emu.faults.add("*", drop=when, probability=0.05)
    emu.faults.fail("*", status=503, probability=0.25)

    outcomes, model = run_mixed(emu, client, 500, seed=2)

    maybes = [o for o in outcomes if o.maybe and o.kind in ("create", "tag", "untag", "patch")]
    assert maybes, "no write was left in doubt: the drop path was not exercised"
    for o in maybes:  # the dropped attempt was the last one: POST/PATCH are not resent after it
        assert o.writes[-1].fault == f"drop_{when}", o.writes
    if when == "after":
        assert any(o.applied for o in maybes), "a dropped answer hid an applied write"
    else:
        assert not any(o.applied for o in maybes)
    check_outcomes(outcomes)
    check_database(emu, model, outcomes)
