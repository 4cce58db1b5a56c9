"""Fault injection, rate limiting and the request log."""

from __future__ import annotations

import re
import time

import pytest
import requests
from emu_http import Api

from synapse.emulator import Emulator


def test_status_fault_for_the_next_n_requests_with_retry_after(api: Api, emu: Emulator) -> None:
    fault = emu.faults.fail("projects/*", status=503, retry_after=2, times=2)
    answers = [api.get("projects/1/") for _ in range(3)]
    assert [r.status_code for r in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "2"
    assert answers[0].json() == {"detail": "Service temporarily unavailable, try again later."}
    assert fault.hits == 2 and len(emu.faults) == 0
    assert [r.fault for r in emu.requests] == ["status", "status", None]


def test_status_fault_with_custom_body_and_method(api: Api, emu: Emulator) -> None:
    emu.faults.add("tasks/*", method="PATCH", status=409, body={"detail": "busy"}, headers={"X-Why": "test"})
    assert api.get("tasks/1/").status_code == 200
    r = api.patch("tasks/1/", json={"meta": {"x": 1}})
    assert r.status_code == 409 and r.json() == {"detail": "busy"} and r.headers["X-Why"] == "test"
    assert api.get("tasks/1/").json()["meta"] == {"frame": 1}  # not applied


def test_regex_patterns_and_removal(api: Api, emu: Emulator) -> None:
    fault = emu.faults.fail(re.compile(r"^tasks/\d+/$"), status=500, times=None)
    assert api.get("tasks/7/").status_code == 500
    assert api.get("tasks/7/annotate_task_data/").status_code == 405
    fault.remove()
    assert api.get("tasks/7/").status_code == 200


def test_delay_fault(api: Api, emu: Emulator) -> None:
    emu.faults.delay("projects/1/", seconds=0.3)
    started = time.monotonic()
    assert api.get("projects/1/").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emu.requests[-1].fault == "delay"


def test_drop_before_the_body_is_read_applies_nothing(api: Api, emu: Emulator) -> None:
    emu.faults.drop("tasks/", method="POST", when="before")
    before = emu.db.count("tasks")
    with pytest.raises(requests.ConnectionError):
        api.post("tasks/", json=[{"project": 1, "data_unit": 1}])
    assert emu.db.count("tasks") == before
    record = emu.requests[-1]
    assert record.fault == "drop_before" and record.status is None and record.applied is False
    assert api.post("tasks/", json=[{"project": 1, "data_unit": 1}]).status_code == 201


def test_drop_after_the_write_was_applied(api: Api, emu: Emulator) -> None:
    emu.faults.drop("tasks/", method="POST", when="after")
    before = emu.db.count("tasks")
    with pytest.raises(requests.ConnectionError):
        api.post("tasks/", json=[{"project": 1, "data_unit": 1}])
    assert emu.db.count("tasks") == before + 1  # committed, but the client never heard
    record = emu.requests[-1]
    assert record.fault == "drop_after" and record.status is None and record.applied is True
    assert record.body == [{"project": 1, "data_unit": 1}]
    assert api.get("projects/1/").status_code == 200


def test_probability_faults_are_seeded_and_reproducible(emu: Emulator) -> None:
    def run() -> list[int]:
        emu.faults.clear()
        emu.faults.seed(42)
        emu.faults.add("*", status=503, probability=0.3)
        api = Api(emu)
        return [api.get("projects/1/").status_code for _ in range(60)]

    first, second = run(), run()
    assert first == second
    assert 5 <= first.count(503) <= 35 and 200 in first


def test_rate_limit_answers_429_with_retry_after_per_token() -> None:
    with Emulator(seed="demo", tokens={"a": "*", "b": "*"}, rate_limit=(1, 3)) as emu:
        a, b = Api(emu, token="a"), Api(emu, token="b")
        codes = [a.get("projects/1/").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        r = a.get("projects/1/")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["detail"].startswith("Request was throttled.")
        assert b.get("projects/1/").status_code == 200  # another token has its own bucket
        emu.faults.rate_limit(None)
        assert a.get("projects/1/").status_code == 200
        emu.faults.rate_limit(0.01, burst=1, retry_after=7)
        assert a.get("projects/1/").status_code == 200
        limited = a.get("projects/1/")
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
        assert emu.requests[-1].fault == "rate_limit"


def test_fault_argument_errors(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="needs"):
        emu.faults.add("*")
    with pytest.raises(ValueError, match="drop"):
        emu.faults.add("*", drop="sideways")  # type: ignore[arg-type]


def test_request_log_records_what_reached_the_server(api: Api, emu: Emulator) -> None:
    emu.requests.clear()
    api.get("sdk/tasks/?project=1&tags=1&tags=2")
    api.patch("tasks/1/", json={"meta": {"a": 1}})
    api.post("tasks/", json={"bad": True})
    api.get("nope/")
    log = list(emu.requests)
    assert [(r.method, r.path, r.status) for r in log] == [
        ("GET", "/sdk/tasks/", 200),
        ("PATCH", "/tasks/1/", 200),
        ("POST", "/tasks/", 400),
        ("GET", "/nope/", 404),
    ]
    assert log[0].query == {"project": "1", "tags": ["1", "2"]} and log[0].body is None
    assert log[1].body == {"meta": {"a": 1}} and log[2].body == {"bad": True}
    assert log[1].headers["Synapse-Access-Token"] == "<redacted>"
    assert "dev-token" not in repr(log)
    assert emu.requests.count("PATCH") == 1 and emu.requests.count(path="/tasks/*") == 2
    assert len(emu.requests.filter(status=404)) == 1 and emu.requests[-1].path == "/nope/"
    emu.requests.clear()
    assert len(emu.requests) == 0


def test_request_log_keeps_the_body_of_refused_requests(api: Api, emu: Emulator) -> None:
    api.post("projects/", json={"title": "x"})
    assert emu.requests[-1].status == 405 and emu.requests[-1].body == {"title": "x"}
