"""Job services: ``JobWaiter`` (poll a job until it ends) and the console-log event stream.

``JobWaiter`` is what ``Job.wait()`` uses; it takes its ``sleep`` and ``clock`` as arguments so
that tests run it on a fake clock, instantly and deterministically. It polls with capped
exponential backoff: the first poll at once, then after ``poll_interval``, ``poll_interval *
factor``, ... up to ``max_interval`` (never sleeping past the deadline). It stops as soon as a
poll shows a terminal state (API.md "Jobs": ``STOPPED SUCCEEDED FAILED``).

``iter_events`` parses the ``text/event-stream`` body of ``GET jobs/{id}/tail_console_logs/``
(``data: {...}`` lines, ``: heartbeat`` comments) into ``JobEvent`` objects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeVar

import attrs

from synapse.errors import JobFailed, JobStopped, JobTimeout
from synapse.services.progress import ProgressReporter, TqdmProgress

__all__ = [
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "JobEvent",
    "JobWaiter",
    "WaitableJob",
    "iter_events",
    "normalise_status",
]

# API.md "Jobs": the statuses, and the ones a job never leaves.
JOB_STATUSES = ("PENDING", "RUNNING", "STOPPED", "SUCCEEDED", "FAILED")
TERMINAL_STATUSES = frozenset({"STOPPED", "SUCCEEDED", "FAILED"})


def normalise_status(value: Any) -> str:
    """Return a job status in upper case (API.md accepts lower case on input).

    Raises:
        TypeError: ``value`` is not a string.
        ValueError: it is not one of ``PENDING RUNNING STOPPED SUCCEEDED FAILED``.
    """
    if not isinstance(value, str):
        raise TypeError(f"a job status is a string, got {type(value).__name__} {value!r:.40}")
    status = value.upper()
    if status not in JOB_STATUSES:
        raise ValueError(f"unknown job status {value!r}; use one of {', '.join(JOB_STATUSES)}")
    return status


class WaitableJob(Protocol):
    """What ``JobWaiter`` needs from a job: its state, and a way to re-read it."""

    @property
    def id(self) -> str:
        """The job's id."""

    @property
    def status(self) -> str:
        """The job's status (``PENDING`` ... ``FAILED``)."""

    @property
    def progress(self) -> float | None:
        """Overall percent done, or None."""

    @property
    def result(self) -> Any:
        """What the job produced (or its error)."""

    def refresh(self) -> Any:
        """Re-read the job from the server (bypassing any cache)."""


J = TypeVar("J", bound=WaitableJob)
JobProgressCallback = Callable[[float, Any], Any]


class JobWaiter:
    """Polls a job until it reaches a terminal state, with capped exponential backoff.

    Args:
        sleep: how to wait (default ``time.sleep``; tests pass a fake).
        clock: a monotonic clock in seconds (default ``time.monotonic``).
        factor: how much the interval grows after each poll (at least 1).
        max_interval: the longest wait between two polls, in seconds (a larger
            ``poll_interval`` wins).
    """

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        factor: float = 1.5,
        max_interval: float = 10.0,
    ) -> None:
        if factor < 1:
            raise ValueError(f"factor must be >= 1, got {factor}")
        if max_interval <= 0:
            raise ValueError(f"max_interval must be > 0, got {max_interval}")
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self.factor = factor
        self.max_interval = max_interval

    def intervals(self, poll_interval: float) -> Iterator[float]:
        """Yield the successive waits between polls (endless): the backoff schedule."""
        cap = max(self.max_interval, poll_interval)
        interval = poll_interval
        while True:
            yield interval
            interval = min(interval * self.factor, cap)

    def wait(
        self,
        job: J,
        *,
        timeout: float | None = 600,
        poll_interval: float = 1.0,
        progress: Any = None,
    ) -> J:
        """Poll ``job`` (``job.refresh()``) until it ends, and return it.

        A job already in a terminal state is not polled again (terminal states are final).

        Args:
            job: the job; it is refreshed in place.
            timeout: seconds to wait at most (None: no limit).
            poll_interval: the first wait between polls, in seconds (> 0).
            progress: ``None``/``False``; ``True`` for a tqdm bar (percent); a callable
                ``fn(percent, job)`` called each time the overall percent changes; or a
                ``ProgressReporter`` (``update(percent, 100)``).

        Returns:
            The job, in state ``SUCCEEDED``.

        Raises:
            JobFailed: the job ended ``FAILED`` (the job, with its ``result``, is ``.job``).
            JobStopped: the job ended ``STOPPED``.
            JobTimeout: the timeout ran out first (``.job`` is the job as last seen).
            ValueError: a ``timeout`` or ``poll_interval`` that is not positive.
        """
        if isinstance(poll_interval, bool) or not poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0 seconds, got {poll_interval!r}")
        if timeout is not None and (isinstance(timeout, bool) or timeout < 0):
            raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout!r}")
        report = _JobProgress(progress, job)
        start = self._clock()
        deadline = None if timeout is None else start + timeout
        waits = self.intervals(poll_interval)
        try:
            if _held_status(job) not in TERMINAL_STATUSES:
                while True:
                    job.refresh()
                    report.update(job)
                    if job.status in TERMINAL_STATUSES:
                        break
                    now = self._clock()
                    if deadline is not None and now >= deadline:
                        waited = f"{now - start:.1f} s (timeout {timeout:g} s)"
                        raise JobTimeout(f"job {job.id} still {job.status} after {waited}", job)
                    pause = next(waits)
                    if deadline is not None:
                        pause = min(pause, deadline - now)
                    self._sleep(pause)
            report.update(job)
        finally:
            report.finish()
        return _outcome(job)


def _held_status(job: WaitableJob) -> Any:
    """The status the object already holds, without a request (None when not loaded)."""
    peek = getattr(job, "_peek", None)
    if peek is None:
        return job.status
    status = peek("status")
    return status if isinstance(status, str) else None


def _outcome(job: J) -> J:
    status = job.status
    if status == "FAILED":
        result = job.result
        error = result.get("error") if isinstance(result, dict) else result
        detail = f": {error}" if error else ""
        raise JobFailed(f"job {job.id} failed{detail}", job)
    if status == "STOPPED":
        raise JobStopped(f"job {job.id} was stopped", job)
    return job


class _JobProgress:
    """Adapts the ``progress=`` argument of ``wait`` (percent of a job)."""

    def __init__(self, progress: Any, job: WaitableJob) -> None:
        self._callback: JobProgressCallback | None = None
        self._reporter: ProgressReporter | None = None
        self._last: float | None = None
        if progress is None or progress is False:
            return
        if progress is True:
            self._reporter = TqdmProgress()
        elif isinstance(progress, ProgressReporter):
            self._reporter = progress
        elif callable(progress):
            self._callback = progress
            return
        else:
            raise TypeError(
                "progress must be None, a bool, a (percent, job) callable or a ProgressReporter, "
                f"not {type(progress).__name__}"
            )
        self._reporter.start(100, desc=f"job {str(job.id)[:8]}", unit="%")

    def update(self, job: WaitableJob) -> None:
        percent = job.progress
        if percent is None or percent == self._last:
            return
        self._last = percent
        if self._callback is not None:
            self._callback(percent, job)
        elif self._reporter is not None:
            self._reporter.update(round(percent), 100)

    def finish(self) -> None:
        if self._reporter is not None:
            self._reporter.finish()


@attrs.frozen
class JobEvent:
    """One event of a job's console-log stream (``job.tail()``).

    Attributes:
        type: ``"connected"``, ``"log"``, ``"complete"`` or ``"error"``.
        message: the log line (``log``) or the error (``error``); None otherwise.
        data: the whole event as the server sent it (e.g. ``status`` of ``complete``).
    """

    type: str
    message: str | None = None
    data: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def is_last(self) -> bool:
        """Whether the stream ends with this event (``complete`` or ``error``)."""
        return self.type in ("complete", "error")


def iter_events(chunks: Iterable[bytes | str]) -> Iterator[JobEvent]:
    """Parse a server-sent event stream into ``JobEvent`` objects.

    Follows the SSE format: an event is a block of lines ended by a blank line; ``data:``
    lines are joined with newlines; lines starting with ``:`` are comments (heartbeats) and
    are skipped; other fields (``event:``, ``id:``) are ignored. A data block that is not a
    JSON object becomes a ``log`` event carrying the text.

    Args:
        chunks: the body as it arrives, in pieces of any size (bytes or text).
    """
    buffer = ""
    data: list[str] = []
    for chunk in chunks:
        buffer += chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk
        *lines, buffer = buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for line in lines:
            if line == "":
                if data:
                    yield _event("\n".join(data))
                    data = []
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            if name == "data":
                data.append(value[1:] if value.startswith(" ") else value)
    if buffer.startswith("data:"):
        value = buffer[5:]
        data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield _event("\n".join(data))


def _event(text: str) -> JobEvent:
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return JobEvent("log", text, {"type": "log", "message": text})
    kind = str(payload.get("type") or "log")
    message = payload.get("message")
    if message is None and kind == "log":
        message = _nested_line(payload.get("data"))
    return JobEvent(kind, message if isinstance(message, str) or message is None else str(message), payload)


def _nested_line(value: Any) -> str | None:
    """The log line a ``log`` event carries under ``data`` (API.md: the platform nests it).

    Read tolerantly: the agent's own SSE line as a string (``data: {"type": "log", "message": ...}``),
    the same as an object, or the plain line.
    """
    if isinstance(value, dict):
        inner = value.get("message")
        return None if inner is None else str(inner)
    if not isinstance(value, str):
        return None if value is None else str(value)
    text = value.strip()
    if text.startswith("data:"):
        text = text[5:].strip()
    try:
        decoded = json.loads(text)
    except ValueError:
        return value
    return _nested_line(decoded) if isinstance(decoded, dict) else value
