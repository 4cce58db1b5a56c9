"""Plugins, releases, jobs, logs, storages and agents, as ``IntegrationClientMixin`` offered them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from synapse.clients._base import BaseClient, Params, _pop_either
from synapse.resources.plugins import Plugin

__all__ = ["IntegrationClientMixin"]

_RUN_KEYS = ("action", "agent", "version", "debug")
_RELEASE_KEYS = ("plugin", "version", "config", "requirements", "debug")


class IntegrationClientMixin(BaseClient):
    """Plugins and their releases and runs, jobs and their logs, storages and agents."""

    def _plugin(self, pk: int | str) -> Plugin:
        # A code is looked up (one GET); an id needs no request before the write.
        return self._client.plugins.get(pk, lazy=not isinstance(pk, str))

    def get_plugin(self, pk: int | str) -> dict[str, Any]:
        """Return a plugin by id or code (``GET plugins/{pk}/``)."""
        return self._one(self._client.plugins.fetch(pk))

    def create_plugin(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a plugin (``POST plugins/``) from ``{"name", "code", "category", "description"}``."""
        return self._one(self._client.plugins.create(**data))

    def update_plugin(self, pk: int | str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Change a plugin's fields (``PATCH plugins/{pk}/``, the fields given) and return it."""
        return self._one(self._plugin(pk).update(**data))

    def run_plugin(self, pk: int | str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Start a job (``POST plugins/{pk}/run/``) and return it; ``job_id`` is its id.

        Args:
            pk: the plugin's id or code.
            data: ``{"action", "params" (or "parameters"), "agent", "version", "debug"}``; each
                may be left out (one connected agent, the release's first action, the latest
                release).
        """
        body = dict(data)
        params = _pop_either(body, "params", "parameters")
        options = {key: body.pop(key) for key in _RUN_KEYS if key in body}
        if body:
            raise TypeError(f"run_plugin: unknown keys {', '.join(sorted(body))}")
        return self._one(self._plugin(pk).run(params=params, **options))

    def get_plugin_release(self, pk: int | str, params: Params = None) -> dict[str, Any]:
        """Return a release by id or ``"code@version"`` (``GET plugin_releases/{pk}/``)."""
        return self._one(self._client.plugin_releases.fetch(pk, **dict(params or {})))

    def list_plugin_releases(self, plugin_code: str, params: Params = None) -> dict[str, Any]:
        """List a plugin's releases (``GET plugin_releases/?plugin=<code>``): the first page."""
        return self._page(self._client.plugin_releases.filter(plugin=plugin_code), params)

    def create_plugin_release(
        self, data: Mapping[str, Any], file: str | os.PathLike[str] | IO[bytes] | None = None
    ) -> dict[str, Any]:
        """Publish a release (``POST plugin_releases/``): multipart with the archive, else JSON.

        Args:
            data: ``{"plugin" (code or id), "version", "config", "requirements", "debug"}``, and
                the archive as ``"file"`` when not given as ``file``.
            file: the archive: a path or a binary file open for reading.

        Raises:
            ValidationError: no plugin or version (before any request), or the version exists.
        """
        body = dict(data)
        archive = body.pop("file", None)
        if file is not None and archive is not None:
            raise TypeError("give the archive as file= or as data['file'], not both")
        values = {key: body.pop(key) for key in _RELEASE_KEYS if key in body}
        if body:
            raise TypeError(f"create_plugin_release: unknown keys {', '.join(sorted(body))}")
        if isinstance(values.get("config"), str):
            values["config"] = json.loads(values["config"])  # the form field's JSON text
        version = values.pop("version", None)
        archive = file if file is not None else archive
        release = self._client.plugin_releases.create(version, archive, **values)
        return self._one(release)

    def list_jobs(self, params: Params = None) -> dict[str, Any]:
        """List jobs (``GET jobs/``; filters ``status``, ``plugin``, ``agent``, ``action``): page one."""
        return self._page(self._client.jobs, params)

    def get_job(self, pk: str, params: Params = None) -> dict[str, Any]:
        """Return a job (``GET jobs/{pk}/``); ``pk`` is a job id, e.g. ``run_plugin(...)["job_id"]``."""
        return self._one(self._client.jobs.fetch(pk, **dict(params or {})))

    def update_job(self, pk: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Report on a job (``PATCH jobs/{pk}/``): ``status``, ``progress_record``, ``console_logs`` ..."""
        return self._one(self._client.jobs.update(pk, **data))

    def list_job_console_logs(self, pk: str) -> list[str]:
        """Return a job's console lines so far (``GET jobs/{pk}/console_logs/``)."""
        return self._client.jobs.get(pk, lazy=True).logs()

    def tail_job_console_logs(self, pk: str) -> Iterator[str]:
        r"""Follow a job's console (``GET jobs/{pk}/tail_console_logs/``), one ``data: {...}`` line each.

        Yields the server-sent events as the original did (``"data: <json>\n"``), heartbeats
        left out, until the job's ``complete`` (or ``error``) event.
        """
        for event in self._client.jobs.get(pk, lazy=True).tail():
            yield f"data: {json.dumps(event.data)}\n"

    def create_logs(self, data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Append log entries to their jobs' consoles (``PATCH jobs/{job}/ {"console_logs": [...]}``).

        API.md has no ``logs/`` route: each entry (``{"job", "action", "data", "datetime"}`` as
        the original wrote them, or ``{"job", "message"}``) becomes one console line of its job:
        its ``message``, else the entry without ``job`` as JSON. One PATCH per job.

        Returns:
            The updated jobs.
        """
        entries = [data] if isinstance(data, Mapping) else list(data)
        lines: dict[str, list[str]] = {}
        for entry in entries:
            job = entry.get("job")
            if not job:
                raise ValueError(f"a log entry needs the 'job' it belongs to, got {dict(entry)!r:.80}")
            message = entry.get("message")
            if not isinstance(message, str):
                rest = {key: value for key, value in entry.items() if key != "job"}
                message = json.dumps(rest, sort_keys=True, default=str)
            lines.setdefault(str(job), []).append(message)
        return [self._one(self._client.jobs.update(job, console_logs=batch)) for job, batch in lines.items()]

    def create_storage(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create a storage (``POST storages/``): ``{"name", "provider", "category", "configuration"}``."""
        return self._one(self._client.storages.create(**data))

    def list_storages(self, params: Params = None) -> dict[str, Any]:
        """List storages (``GET storages/``), without their credentials: the first page."""
        return self._page(self._client.storages, params)

    def get_storage(self, pk: int) -> dict[str, Any]:
        """Return a storage with its configuration (``GET storages/{pk}/?with_configuration=true``).

        As in the original; the configuration holds credentials: keep the answer private.
        """
        return self._one(self._client.storages.get(pk, with_configuration=True))

    def list_agents(self, params: Params = None) -> dict[str, Any]:
        """List agents (``GET agents/``; ``status == "connected"`` means online): the first page."""
        return self._page(self._client.agents, params)

    def health_check_agent(self, token: str) -> dict[str, Any]:
        """Report the agent with this token alive (``POST agents/{token}/connect/``).

        Raises:
            NotFound: no agent has this token (the error never shows it).
        """
        return self._one(self._client.agents.health_check(token))
