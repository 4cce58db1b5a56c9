"""Answers the emulator never gives, mocked at the session: text, lists, unknown keys, odd ids."""

from __future__ import annotations

import requests_mock as rm

from synapse.clients.backend import BackendClient

BASE = "https://api.example.com/"


def test_a_text_plain_answer_is_returned_as_text(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "jobs/7/console_logs/", text="line one\nline two\n",
                      headers={"Content-Type": "text/plain"})
    requests_mock.get(BASE + "projects/1/", text="maintenance", headers={"Content-Type": "text/plain"})
    requests_mock.post(BASE + "plugins/x/run/", text="queued", headers={"Content-Type": "text/plain"})
    backend = BackendClient(BASE, "token")
    assert backend.list_job_console_logs(7) == "line one\nline two\n"
    assert backend.get_project(1) == "maintenance"
    assert backend.run_plugin("x", {}) == "queued"


def test_answers_keep_every_key_the_server_sends(requests_mock: rm.Mocker) -> None:
    task = {"id": 5, "project": 1, "brand_new_field": {"x": [1]}, "created": "2024-01-01T00:00:00+09:00"}
    requests_mock.get(BASE + "tasks/5/", json=task)
    page = {"count": 1, "next": None, "previous": None, "results": [task]}
    requests_mock.get(BASE + "sdk/tasks/", json=page)
    backend = BackendClient(BASE, "token")
    assert backend.get_task(5) == task  # the server's own spelling of the datetime, unknown keys kept
    rows, count = backend.list_tasks(list_all=True)
    assert count == 1 and list(rows) == [task]


def test_a_job_id_may_be_an_int_or_a_str(requests_mock: rm.Mocker) -> None:
    requests_mock.get(BASE + "jobs/42/", json={"id": 42, "status": "RUNNING"})
    requests_mock.get(BASE + "jobs/job-42/", json={"id": "job-42", "status": "RUNNING"})
    requests_mock.patch(BASE + "jobs/42/", json={"id": 42, "status": "STOPPED"})
    backend = BackendClient(BASE, "token")
    assert backend.get_job(42)["id"] == 42 and backend.get_job("job-42")["id"] == "job-42"
    assert backend.update_job(42, {"status": "STOPPED"})["status"] == "STOPPED"
    assert [r.path for r in requests_mock.request_history] == ["/jobs/42/", "/jobs/job-42/", "/jobs/42/"]
