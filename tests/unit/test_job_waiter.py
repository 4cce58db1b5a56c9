"""JobWaiter on a fake clock (backoff, timeout, outcomes, progress) and the SSE event parser."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests_mock

from synapse import Client, Job, JobFailed, JobStopped, JobTimeout
from synapse.orm.build import MalformedAnswer
from synapse.services.jobs import JobEvent, JobWaiter, iter_events, normalise_status
from tests.conftest import FakeClock

JOB_ID = "00000000-0000-4000-8000-00000000abcd"


class FakeJob:
    """A job whose status and percent follow a script, one step per ``refresh()``."""

    def __init__(self, script: list[tuple[str, float | None]], result: Any = None) -> None:
        self.id = JOB_ID
        self._script = list(script)
        self.status, self.progress = "PENDING", None
        self.result = result
        self.refreshes = 0

    def refresh(self) -> FakeJob:
        self.refreshes += 1
        if self._script:
            self.status, self.progress = self._script.pop(0)
        return self


def waiter(clock: FakeClock, **kwargs: Any) -> JobWaiter:
    return JobWaiter(sleep=clock.sleep, clock=clock, **kwargs)


def test_backoff_grows_from_poll_interval_and_is_capped(clock: FakeClock) -> None:
    job = FakeJob([("RUNNING", 10.0)] * 7 + [("SUCCEEDED", 100.0)])
    assert waiter(clock, factor=2.0, max_interval=5.0).wait(job, poll_interval=0.5) is job
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert job.refreshes == 8


def test_a_poll_interval_above_the_cap_is_kept(clock: FakeClock) -> None:
    w = waiter(clock, max_interval=10.0)
    assert list(itertools.islice(w.intervals(30.0), 3)) == [30.0, 30.0, 30.0]


def test_returns_as_soon_as_a_terminal_state_is_seen(clock: FakeClock) -> None:
    job = FakeJob([("SUCCEEDED", 100.0)])
    waiter(clock).wait(job, poll_interval=1.0)
    assert job.refreshes == 1 and clock.sleeps == []


def test_a_job_already_terminal_is_not_polled(clock: FakeClock) -> None:
    job = FakeJob([])
    job.status = "SUCCEEDED"
    waiter(clock).wait(job)
    assert job.refreshes == 0


def test_failed_raises_job_failed_carrying_the_job_and_its_error(clock: FakeClock) -> None:
    job = FakeJob([("RUNNING", 0.0), ("FAILED", 50.0)], result={"error": "CUDA out of memory"})
    with pytest.raises(JobFailed, match="CUDA out of memory") as info:
        waiter(clock).wait(job, poll_interval=1.0)
    assert info.value.job is job and info.value.job.result == {"error": "CUDA out of memory"}


def test_stopped_raises_job_stopped_not_job_failed(clock: FakeClock) -> None:
    job = FakeJob([("STOPPED", None)])
    with pytest.raises(JobStopped) as info:
        waiter(clock).wait(job)
    assert not isinstance(info.value, JobFailed) and info.value.job is job


def test_timeout_is_honoured_without_sleeping_past_the_deadline(clock: FakeClock) -> None:
    job = FakeJob([("RUNNING", 40.0)] * 100)
    start = clock.now
    with pytest.raises(JobTimeout, match="still RUNNING") as info:
        waiter(clock, factor=2.0, max_interval=8.0).wait(job, timeout=10.0, poll_interval=1.0)
    assert clock.now - start == pytest.approx(10.0)  # 1 + 2 + 4 + 3 (clipped to the deadline)
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]
    assert info.value.job is job and job.refreshes == 5  # one last look at the deadline


def test_timeout_zero_polls_once(clock: FakeClock) -> None:
    job = FakeJob([("PENDING", None)] * 3)
    with pytest.raises(JobTimeout):
        waiter(clock).wait(job, timeout=0)
    assert job.refreshes == 1 and clock.sleeps == []


def test_no_timeout_waits_as_long_as_it_takes(clock: FakeClock) -> None:
    job = FakeJob([("RUNNING", None)] * 200 + [("SUCCEEDED", 100.0)])
    waiter(clock, max_interval=60.0).wait(job, timeout=None, poll_interval=1.0)
    assert clock.now - 1000.0 > 600


def test_the_callback_gets_each_new_percent_once(clock: FakeClock) -> None:
    script = [("PENDING", None), ("RUNNING", 0.0), ("RUNNING", 25.0), ("RUNNING", 25.0), ("SUCCEEDED", 100.0)]
    job = FakeJob(script)
    seen: list[tuple[float, Any]] = []
    waiter(clock).wait(job, poll_interval=1.0, progress=lambda percent, j: seen.append((percent, j)))
    assert [p for p, _ in seen] == [0.0, 25.0, 100.0] and all(j is job for _, j in seen)


def test_a_progress_reporter_gets_start_updates_and_finish(clock: FakeClock) -> None:
    calls: list[tuple[Any, ...]] = []

    class Reporter:
        def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
            calls.append(("start", total, unit))

        def update(self, done: int, total: int | None) -> None:
            calls.append(("update", done, total))

        def finish(self) -> None:
            calls.append(("finish",))

    job = FakeJob([("RUNNING", 49.6), ("FAILED", 50.0)], result={"error": "boom"})
    with pytest.raises(JobFailed):
        waiter(clock).wait(job, progress=Reporter())
    assert calls == [("start", 100, "%"), ("update", 50, 100), ("update", 50, 100), ("finish",)]


def test_progress_true_uses_the_tqdm_reporter(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    import synapse.services.jobs

    made: list[Any] = []

    class FakeTqdm:
        def __init__(self) -> None:
            made.append(self)
            self.events: list[Any] = []

        def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
            self.events.append(("start", total))

        def update(self, done: int, total: int | None) -> None:
            self.events.append(done)

        def finish(self) -> None:
            self.events.append("finish")

    monkeypatch.setattr(synapse.services.jobs, "TqdmProgress", FakeTqdm)
    waiter(clock).wait(FakeJob([("RUNNING", 30.0), ("SUCCEEDED", 100.0)]), progress=True)
    assert made[0].events == [("start", 100), 30, 100, "finish"]


@pytest.mark.parametrize("bad", [0, -1.0, True])
def test_a_poll_interval_that_is_not_positive_is_refused(clock: FakeClock, bad: Any) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        waiter(clock).wait(FakeJob([]), poll_interval=bad)


def test_a_bad_progress_argument_is_refused(clock: FakeClock) -> None:
    with pytest.raises(TypeError, match="progress"):
        waiter(clock).wait(FakeJob([]), progress=42)


def test_status_normalisation() -> None:
    assert normalise_status("running") == "RUNNING"
    with pytest.raises(ValueError, match="unknown job status"):
        normalise_status("done")
    with pytest.raises(TypeError):
        normalise_status(3)


# ---- a real Job over requests-mock: each poll is a GET, even with the cache on ----

BASE = "http://127.0.0.1:9/"


def job_json(status: str, overall: int | None = None, result: Any = None) -> dict[str, Any]:
    record = None if overall is None else {"current_progress": {"overall": overall, "step": "train"}}
    return {"id": JOB_ID, "job_id": JOB_ID, "status": status, "progress_record": record, "result": result}


def test_a_real_job_is_polled_through_get_bypassing_the_cache(clock: FakeClock) -> None:
    client = Client(base_url=BASE, api_token="dev-token", retries=0, cache_ttl=300)
    with requests_mock.Mocker() as m:
        m.get(
            f"{BASE}jobs/{JOB_ID}/",
            [{"json": job_json("PENDING")}, {"json": job_json("RUNNING", 50)},
             {"json": job_json("SUCCEEDED", 100)}],
        )
        job = client.jobs.get(JOB_ID)
        assert job.status == "PENDING" and job.progress is None and not job.is_finished
        assert waiter(clock).wait(job, poll_interval=0.5) is job
        assert m.call_count == 3
    assert job.status == "SUCCEEDED" and job.progress == 100 and job.is_finished


def test_progress_is_none_for_a_malformed_progress_record() -> None:
    client = Client(base_url=BASE, api_token="dev-token", retries=0)
    with requests_mock.Mocker() as m:
        m.get(f"{BASE}jobs/{JOB_ID}/", json={"id": JOB_ID, "status": "RUNNING", "progress_record": {"x": 1}})
        assert client.jobs.get(JOB_ID).progress is None
        m.get(f"{BASE}jobs/{JOB_ID}/console_logs/", json={"lines": []})
        job = Job(id=JOB_ID).bind(client)
        with pytest.raises(MalformedAnswer, match="list of lines"):
            job.logs()


# ---- the SSE parser ----


def test_events_are_parsed_across_arbitrary_chunk_boundaries() -> None:
    stream = (
        b'data: {"type": "connected", "job_id": "x"}\n\n'
        b": heartbeat\n\n"
        b'data: {"type": "log", "index": 0, "message": "hello"}\r\n\r\n'
        b"event: ignored\n"
        b'data: {"type": "log",\ndata:  "message": "two lines"}\n\n'
        b'data: {"type": "complete", "status": "SUCCEEDED"}\n\n'
    )
    for size in (1, 3, 7, len(stream)):
        chunks = [stream[i : i + size] for i in range(0, len(stream), size)]
        events = list(iter_events(chunks))
        assert [e.type for e in events] == ["connected", "log", "log", "complete"]
        assert events[1].message == "hello" and events[2].message == "two lines"
        assert events[3].data == {"type": "complete", "status": "SUCCEEDED"} and events[3].is_last


def test_a_non_json_data_block_is_a_log_line_and_a_final_block_without_blank_line_counts() -> None:
    events = list(iter_events(["data: plain text\n\n", "data: {\"type\": \"error\", \"message\": \"x\"}"]))
    assert events == [
        JobEvent("log", "plain text", {"type": "log", "message": "plain text"}),
        JobEvent("error", "x", {"type": "error", "message": "x"}),
    ]
    assert events[1].is_last and not events[0].is_last


@pytest.mark.parametrize(
    "event",
    [
        '{"type": "log", "message": "epoch 1"}',  # flat
        '{"type": "log", "index": 0, "data": "data: {\\"type\\": \\"log\\", \\"message\\": \\"epoch 1\\"}"}',
        '{"type": "log", "data": {"type": "log", "message": "epoch 1"}}',  # nested as an object
        '{"type": "log", "data": "epoch 1"}',  # the plain line
    ],
)
def test_a_log_event_gives_its_line_however_the_platform_nests_it(event: str) -> None:
    (parsed,) = list(iter_events([f"data: {event}\n\n".encode()]))
    assert parsed.type == "log" and parsed.message == "epoch 1"
