"""Jobs: one run of a plugin action on an agent (``jobs/{id}/``; ids are UUID strings)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.config import timeout_pair
from synapse.orm.build import MalformedAnswer, build
from synapse.orm.filters import Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.queryset import QuerySet
from synapse.orm.relations import Parent
from synapse.orm.resource import NOT_LOADED, resource
from synapse.orm.verbs import Gettable, Saveable
from synapse.services.jobs import TERMINAL_STATUSES, JobEvent, JobWaiter, iter_events, normalise_status

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.resources.agents import Agent
    from synapse.resources.plugins import PluginRelease

__all__ = ["Job", "JobManager"]

# API.md "Jobs": the fields ``PATCH jobs/{id}/`` takes.
_UPDATABLE = frozenset({"status", "progress_record", "metrics_record", "console_logs", "result", "meta"})


@resource
class Job(Saveable):
    """A plugin run: its status, progress, metrics, result and console logs.

    ``job.wait()`` polls until it ends; ``job.logs()`` reads the console, ``job.tail()``
    follows it live; ``job.stop()`` stops it. ``job.agent`` and ``job.plugin_release`` are
    lazy related objects; ``job.plugin`` is the plugin's code.
    """

    options = ResourceOptions(
        path="jobs/",
        repr_fields=("status", "action"),
        filters=Filters("status", "plugin", "agent", "action", ordering=("id", "created", "status")),
        read_only={
            "id", "job_id", "plugin", "plugin_release", "agent", "action", "params", "created", "started",
            "finished",
        },
        id_type=str,
    )

    id: str
    job_id: str = NOT_LOADED
    status: str = NOT_LOADED
    plugin: str | None = NOT_LOADED
    action: str | None = NOT_LOADED
    params: dict[str, Any] | None = NOT_LOADED
    progress_record: dict[str, Any] | None = NOT_LOADED
    metrics_record: dict[str, Any] | None = NOT_LOADED
    result: Any = NOT_LOADED
    meta: dict[str, Any] | None = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED
    started: dt.datetime | None = NOT_LOADED
    finished: dt.datetime | None = NOT_LOADED

    plugin_release: ClassVar[Parent[PluginRelease | None]] = Parent("PluginRelease")
    agent: ClassVar[Parent[Agent | None]] = Parent("Agent")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        plugin_release_id: int | None = NOT_LOADED
        agent_id: int | None = NOT_LOADED

    @property
    def is_finished(self) -> bool:
        """Whether the job is in a terminal state (``STOPPED``, ``SUCCEEDED`` or ``FAILED``).

        Reads the status the object holds; ``refresh()`` (or ``wait()``) re-reads it.
        """
        return self.status in TERMINAL_STATUSES

    @property
    def progress(self) -> float | None:
        """Overall percent done (0-100) from ``progress_record``, or None when absent."""
        record = self.progress_record
        current = record.get("current_progress") if isinstance(record, dict) else None
        overall = current.get("overall") if isinstance(current, dict) else None
        if isinstance(overall, bool) or not isinstance(overall, (int, float)):
            return None
        return overall

    def wait(self, timeout: float | None = 600, poll_interval: float = 1.0, *, progress: Any = None) -> Self:
        """Poll the job until it ends (capped exponential backoff, bypassing the cache).

        Args:
            timeout: seconds to wait at most (None: no limit).
            poll_interval: the first wait between polls; later waits grow up to 10 s.
            progress: ``True`` for a tqdm bar, a ``fn(percent, job)`` callable, or a
                ``ProgressReporter``.

        Returns:
            The job itself, refreshed, in state ``SUCCEEDED``.

        Raises:
            JobFailed: it ended ``FAILED`` (``err.job.result`` holds the error).
            JobStopped: it ended ``STOPPED``.
            JobTimeout: it was still running when ``timeout`` ran out (``err.job`` as last seen).
        """
        return JobWaiter().wait(self, timeout=timeout, poll_interval=poll_interval, progress=progress)

    def logs(self) -> list[str]:
        """Return the console log lines so far (``GET jobs/{id}/console_logs/``).

        Raises:
            MalformedAnswer: the server did not answer a list of strings.
        """
        path = f"{self._manager()._detail_path(self.id)}console_logs/"
        answer = self._require_client().transport.get(path)
        if not isinstance(answer, list):
            got = type(answer).__name__
            raise MalformedAnswer(f"GET {path}: expected a list of lines, got {got}", path=path)
        return [line if isinstance(line, str) else str(line) for line in answer]

    def tail(self, *, read_timeout: float | None = None) -> Iterator[JobEvent]:
        """Follow the console live (``GET jobs/{id}/tail_console_logs/``, server-sent events).

        Yields ``JobEvent`` objects (``connected``, ``log``, ...) as they
        arrive, and stops after ``complete`` or ``error``. Heartbeats are skipped. Close the
        generator (or break out of the loop) to hang up early.

        Args:
            read_timeout: seconds to wait for the next piece of the stream (default: the
                client's read timeout).
        """
        client = self._require_client()
        path = f"{self._manager()._detail_path(self.id)}tail_console_logs/"
        kwargs: dict[str, Any] = {"headers": {"Accept": "text/event-stream"}}
        if read_timeout is not None:
            kwargs["timeout"] = (timeout_pair(None, client.config.timeout)[0], read_timeout)
        response = client.transport.send("GET", path, stream=True, **kwargs)
        try:
            # chunk_size=None: hand over each piece as it arrives, not after a fixed count
            for event in iter_events(response.iter_content(chunk_size=None)):
                yield event
                if event.is_last:
                    return
        finally:
            response.close()

    def log(
        self,
        event: str,
        data: Mapping[str, Any] | None = None,
        *,
        level: str | None = None,
        step: str | int | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Record one log entry of this job (``POST logs/``) and return it as the server stored it.

        Args:
            event: what happened, e.g. ``"epoch"``.
            data: its details (a JSON object).
            level: ``debug info success warning danger error critical`` (the server checks it).
            step: the step of the run it belongs to.
            at: when it happened (default: now, in UTC).
        """
        entry: dict[str, Any] = {
            "job": self.id, "event": event, "data": dict(data or {}),
            "datetime": (at or dt.datetime.now(dt.timezone.utc)).isoformat(),
        }
        if level is not None:
            entry["level"] = level
        if step is not None:
            entry["step"] = step
        answer: dict[str, Any] = self._manager()._write("POST", "logs/", json=entry)
        return answer

    def stop(self) -> Self:
        """Stop the job (``PATCH jobs/{id}/ {"status": "STOPPED"}``) and reload it.

        Returns:
            The job itself, with the server's answer.
        """
        manager = self._manager()
        raw = manager._write("PATCH", manager._detail_path(self.id), json={"status": "STOPPED"})
        if isinstance(raw, dict):
            self._merge(raw, replace=True)
        return self


class JobQuerySet(QuerySet[Job]):
    """A query over jobs: ``filter(status="running")`` is sent as ``status=RUNNING``.

    API.md accepts lower case; an unknown status is a ``ValueError`` before any request.
    """

    def filter(self, **params: Any) -> Self:
        """Return a QuerySet narrowed by ``status``, ``plugin``, ``agent``, ``action``, ...

        Raises:
            ValueError: an unknown ``status`` (before any request).
        """
        status = params.get("status")
        if status is not None:
            if isinstance(status, (list, tuple, set, frozenset)):
                params["status"] = [normalise_status(s) for s in status]
            else:
                params["status"] = normalise_status(status)
        return super().filter(**params)


class JobManager(Gettable[Job, JobQuerySet], JobQuerySet):
    """``client.jobs``: list, read and update jobs (a job is created by ``plugin.run()``).

    ``filter(status="running")`` is sent as ``status=RUNNING`` (API.md accepts lower case);
    an unknown status is a ``ValueError`` before any request.
    """

    if TYPE_CHECKING:  # on the manager, filter() returns a JobQuerySet

        def filter(self, **params: Any) -> JobQuerySet:  # type: ignore[override]
            """A JobQuerySet narrowed by ``params`` (see its ``filter``; no request)."""

    _model = Job

    def update(self, id: Any, **fields: Any) -> Job:
        """Send ``fields`` with one PATCH (``jobs/{id}/``) and return the job the server answers.

        What an agent reports while it runs: any of ``status``, ``progress_record``,
        ``metrics_record``, ``console_logs`` (lines appended to the console), ``result``, ``meta``.

        Raises:
            TypeError: a field API.md does not list for this route (before any request).
            ValueError: an unknown ``status`` (before any request).
        """
        unknown = sorted(set(fields) - _UPDATABLE)
        if unknown:
            raise TypeError(f"a job update takes {', '.join(sorted(_UPDATABLE))}; not {', '.join(unknown)}")
        if fields.get("status") is not None:
            fields["status"] = normalise_status(fields["status"])
        ident = self._check_id(id)
        raw = self._write("PATCH", self._detail_path(ident), json=fields)
        if not isinstance(raw, dict):
            raise MalformedAnswer(f"PATCH jobs/{ident}/: expected a Job object", path=f"jobs/{ident}/")
        return build(Job, raw, self._require_client(), path="jobs/")

    def create_logs(self, entries: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Any:
        """Record job log entries (``POST logs/``): one entry (a dict) or several (a list).

        An entry is ``{"job", "event", "data", "datetime", "step", "level", "file"}`` (``file``
        a data URI); ``job.log(event, data)`` fills one in.

        Returns:
            The created entry (for a dict) or the list of created entries, as the server answers.

        Raises:
            TypeError: ``entries`` is neither a dict nor a list of dicts (before any request).
            ValidationError: the server refused an entry (the message names its index and field).
        """
        if isinstance(entries, Mapping):
            return self._write("POST", "logs/", json=dict(entries))
        items = [] if isinstance(entries, (str, bytes)) else list(entries)
        if not items or not all(isinstance(entry, Mapping) for entry in items):
            raise TypeError("create_logs takes a log entry (a dict) or a non-empty list of them")
        return self._write("POST", "logs/", json=[dict(entry) for entry in items])

    def _check_id(self, ident: Any) -> Any:
        # API.md: job ids are UUID strings; some deployments use integers (issue: accept both).
        if isinstance(ident, uuid.UUID) or (isinstance(ident, int) and not isinstance(ident, bool)):
            ident = str(ident)
        ident = super()._check_id(ident)
        if isinstance(ident, str) and not ident.isdigit():
            try:
                uuid.UUID(ident)
            except ValueError:
                raise ValueError(f"a Job id is a UUID string or a whole number, got {ident!r:.60}") from None
        return ident
