"""Plugins, releases, jobs, logs, serving, storages and agents, as ``IntegrationClientMixin`` offered them."""

from __future__ import annotations

import base64
import json
import mimetypes
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal, overload

from synapse.clients._base import Answer, BaseClient, ListAnswer, Params, Stream, _ident, _items, _pop_either

__all__ = ["IntegrationClientMixin"]


class IntegrationClientMixin(BaseClient):
    """Plugins and their releases and runs, jobs and their logs, serving entries, storages, agents."""

    def get_plugin(self, pk: int | str) -> Answer:
        """Return a plugin by id or code (``GET plugins/{pk}/``)."""
        return self._get(self._client.plugins, pk)

    def create_plugin(self, data: Mapping[str, Any]) -> Answer:
        """Create a plugin (``POST plugins/``) from ``{"name", "code", "category", "description"}``."""
        return self._send("POST", "plugins/", dict(data))

    def update_plugin(self, pk: int | str, data: Mapping[str, Any]) -> Answer:
        """Change a plugin's fields: ``PUT plugins/{pk}/`` with the fields given, as the original sent it.

        API.md: ``PUT`` takes a partial body (the same effect as ``PATCH``). ``pk`` is the id or
        the code; nothing is read first.
        """
        return self._send("PUT", self._client.plugins._detail_path(_ident(pk)), dict(data))

    def run_plugin(self, pk: int | str, data: Mapping[str, Any]) -> Answer:
        """Start a job: one ``POST plugins/{pk}/run/`` (nothing read first); return the new job.

        The answer's ``job_id`` is the job's id (``get_job(job["job_id"])``).

        Args:
            pk: the plugin's id or code.
            data: ``{"action", "params", "agent", "version", "debug"}``, each of which may be
                left out (one connected agent, the release's first action, the latest release);
                ``"parameters"`` is sent as ``params`` (the wire's name); other keys go as given.
        """
        body = dict(data)
        if "parameters" in body:
            body["params"] = _pop_either(body, "params", "parameters")
        return self._send("POST", f"{self._client.plugins._detail_path(_ident(pk))}run/", body)

    def get_plugin_release(self, pk: int | str, params: Params = None) -> Answer:
        """Return a release by id or ``"code@version"`` (``GET plugin_releases/{pk}/``)."""
        return self._get(self._client.plugin_releases, pk, params)

    def list_plugin_releases(self, plugin_code: str, params: Params = None) -> dict[str, Any]:
        """List a plugin's releases (``GET plugin_releases/?plugin=<code>``): the first page."""
        return self._page(self._client.plugin_releases.filter(plugin=plugin_code), params)

    def create_plugin_release(
        self, data: Mapping[str, Any], file: str | os.PathLike[str] | IO[bytes] | None = None
    ) -> Answer:
        """Publish a release (``POST plugin_releases/``): multipart with the archive, else JSON.

        Form fields are sent as the wire takes them: a dict as JSON text, a list repeated, a
        bool as ``true``/``false``; keys other than the known ones go as given.

        Args:
            data: ``{"plugin" (code or id), "version", "config", "requirements", "debug"}``, and
                the archive as ``"file"`` when not given as ``file``.
            file: the archive: a path or a binary file open for reading.

        Raises:
            FileNotFoundError: ``file`` names no file (before any request).
            ValidationError: the server refused (no plugin or version, or the version exists).
        """
        from synapse.services.uploads.direct import post_multipart
        from synapse.services.uploads.files import check_file

        body = dict(data)
        archive = body.pop("file", None)
        if file is not None and archive is not None:
            raise TypeError("give the archive as file= or as data['file'], not both")
        archive = file if file is not None else archive
        route = "plugin_releases/"
        if archive is None:
            if isinstance(body.get("config"), str):
                body["config"] = json.loads(body["config"])  # the form field's JSON text
            return self._send("POST", route, body)
        fields = _form_fields(body)
        transport = self._client.transport
        if isinstance(archive, (str, os.PathLike)):
            path, _ = check_file(archive)
            answer, _ = post_multipart(transport, route, path, fields=fields)
            return answer
        name = Path(str(getattr(archive, "name", "") or "release.zip")).name
        return transport.request("POST", route, data=fields, files={"file": (name, archive)})

    def list_jobs(self, params: Params = None) -> dict[str, Any]:
        """List jobs (``GET jobs/``; filters ``status``, ``plugin``, ``agent``, ``action``): page one."""
        return self._page(self._client.jobs, params)

    def get_job(self, pk: int | str, params: Params = None) -> Answer:
        """Return a job (``GET jobs/{pk}/``); ``pk`` is its id as the server gave it (a UUID or an int)."""
        return self._get(self._client.jobs, pk, params)

    def update_job(self, pk: int | str, data: Mapping[str, Any]) -> Answer:
        """Report on a job (``PATCH jobs/{pk}/``): ``status``, ``progress_record``, ``console_logs`` ...

        The body is sent as given (the server normalises a lower-case status).
        """
        return self._send("PATCH", self._client.jobs._detail_path(_ident(pk)), dict(data))

    def list_job_console_logs(self, pk: int | str) -> Answer:
        """Return a job's console lines so far (``GET jobs/{pk}/console_logs/``)."""
        return self._client.transport.get(f"{self._client.jobs._detail_path(_ident(pk))}console_logs/")

    def tail_job_console_logs(self, pk: int | str) -> Iterator[str]:
        r"""Follow a job's console (``GET jobs/{pk}/tail_console_logs/``), one ``data: {...}`` line each.

        Yields the server-sent events as the original did (``"data: <json>\n"``), heartbeats
        left out, until the job's ``complete`` (or ``error``) event.
        """
        ident = _ident(pk)
        job = self._client.jobs.get(ident if isinstance(ident, str) else str(ident), lazy=True)
        for event in job.tail():
            yield f"data: {json.dumps(event.data)}\n"

    def create_logs(self, data: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> Answer:
        """Record job log entries (``POST logs/``): one entry as an object, several as a list.

        An entry is ``{"job", "event", "data", "datetime", "step", "level", "file"}``; a ``file``
        given as a path is sent as a data URI (base64), as the original did. Other keys go as
        given. The object model's form: ``client.jobs.create_logs(...)`` or ``job.log(...)``.

        Returns:
            The created entry, or the list of created entries.

        Raises:
            ValidationError: the server refused an entry (the message names its index and field).
        """
        if isinstance(data, Mapping):
            return self._send("POST", "logs/", _log_entry(data))
        return self._send("POST", "logs/", [_log_entry(entry) for entry in _items(data)])

    @overload
    def list_serve_applications(
        self, params: Params = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_serve_applications(self, params: Params = None, *, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_serve_applications(self, params: Params, list_all: Literal[True]) -> Stream: ...
    @overload
    def list_serve_applications(self, params: Params = None, list_all: bool = False) -> ListAnswer: ...
    def list_serve_applications(self, params: Params = None, list_all: bool = False) -> ListAnswer:
        """List model serving entries (``GET serve_applications/``).

        Filters ``plugin_code``, ``job__agent``, ``status``. The first page, or ``(generator,
        count)`` with ``list_all``.
        """
        return self._listing(self._client.serve_applications, params, None, list_all)

    def create_serve_application(self, data: Mapping[str, Any]) -> Answer:
        """Record a model serving entry (``POST serve_applications/``): ``{"job", "status", "data"}``."""
        return self._send("POST", "serve_applications/", dict(data))

    def create_storage(self, data: Mapping[str, Any]) -> Answer:
        """Create a storage (``POST storages/``): ``{"name", "provider", "category", "configuration"}``."""
        return self._send("POST", "storages/", dict(data))

    def list_storages(self, params: Params = None) -> dict[str, Any]:
        """List storages (``GET storages/``), without their credentials: the first page."""
        return self._page(self._client.storages, params)

    def get_storage(self, pk: int) -> Answer:
        """Return a storage with its configuration (``GET storages/{pk}/?with_configuration=true``).

        As in the original; the configuration holds credentials: keep the answer private.
        """
        return self._get(self._client.storages, pk, {"with_configuration": True})

    def list_agents(self, params: Params = None) -> dict[str, Any]:
        """List agents (``GET agents/``; ``status == "connected"`` means online): the first page."""
        return self._page(self._client.agents, params)

    def health_check_agent(self, token: str) -> dict[str, Any]:
        """Report the agent with this token alive (``POST agents/{token}/connect/``).

        Raises:
            NotFound: no agent has this token (the error never shows it).
        """
        return self._one(self._client.agents.health_check(token))


def _form_fields(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Multipart text fields (API.md "Bodies"): dicts as JSON text, lists repeated, bools lower-case."""
    fields: list[tuple[str, str]] = []
    for name, value in body.items():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if item is None:
                continue
            if isinstance(item, bool):
                text = "true" if item else "false"
            elif isinstance(item, (dict, list)):
                text = json.dumps(item)
            else:
                text = str(item)
            fields.append((str(name), text))
    return fields


def _log_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A log entry as sent: a ``file`` given as a path becomes a data URI (API.md "Jobs")."""
    if not isinstance(entry, Mapping):
        raise TypeError(f"a log entry is a dict like {{'job': ..., 'event': ...}}, got {entry!r:.60}")
    out = dict(entry)
    value = out.get("file")
    is_path = isinstance(value, os.PathLike) or (
        isinstance(value, str) and not value.startswith("data:") and os.path.isfile(value)
    )
    if is_path:
        path = Path(os.fspath(value))  # type: ignore[arg-type]
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        out["file"] = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"
    return out
