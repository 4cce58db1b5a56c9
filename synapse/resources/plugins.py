"""Plugins, their releases, and runs (``plugins/``, ``plugin_releases/``, ``plugins/{id}/run/``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from synapse.errors import ValidationError
from synapse.orm.build import build
from synapse.orm.filters import Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.relations import Children
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Creatable, Deletable, Gettable, Saveable

if TYPE_CHECKING:
    from typing_extensions import Self

    from synapse.resources.jobs import Job

__all__ = ["PLUGIN_CATEGORIES", "Plugin", "PluginManager", "PluginRelease", "PluginReleaseManager"]

StrPath = str | os.PathLike[str]

# API.md "Plugins, releases and runs": the plugin categories.
PLUGIN_CATEGORIES = (
    "neural_net", "export", "upload", "smart_tool", "pre_annotation", "post_annotation", "data_validation",
    "converter",
)


def _check_choice(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise ValidationError(
            400,
            f"{field} must be one of {', '.join(choices)}, got {value!r:.40}; no request was sent",
            errors={field: [f'"{value}" is not a valid choice.']},
        )


def _check_str(name: str, value: Any, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string, got {type(value).__name__} {value!r:.40}")


def _key(value: Any) -> str:
    """Quote an id, code or ``code@version`` for a path segment (``/`` cannot escape it)."""
    return quote(str(value), safe="@")


@resource
class Plugin(Saveable, Deletable):
    """A plugin: code that agents run (train, export, ...), published as releases.

    ``plugin.releases`` lists and creates its releases (releases name their plugin by code, so
    on a lazy plugin it first loads the plugin: one GET); ``plugin.run(...)`` starts a job.
    ``client.plugins.get(3)`` or ``client.plugins.get("yolo-detector")`` (by code).
    """

    options = ResourceOptions(
        path="plugins/",
        repr_fields=("name", "code"),
        create_fields=("name",),
        filters=Filters(
            "code", "category", "is_active", "search", ordering=("id", "name", "code", "created")
        ),
    )

    id: int
    code: str = NOT_LOADED
    name: str = NOT_LOADED
    category: str | None = NOT_LOADED
    description: str | None = NOT_LOADED
    is_active: bool = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    releases: ClassVar[Children[PluginReleaseManager]] = Children("PluginRelease", fk="plugin", key="code")

    def update(self, **fields: Any) -> Self:
        """Set ``fields`` and send them with one PATCH (``plugins/{id}/``).

        Raises:
            AttributeError: an unknown field (before any request).
            ValidationError: a bad ``category`` (before any request), or the server refused.
        """
        _check_choice("category", fields.get("category"), PLUGIN_CATEGORIES)
        for name, value in fields.items():
            setattr(self, name, value)
        return self.save()

    def run(
        self,
        action: str | None = None,
        params: Mapping[str, Any] | None = None,
        agent: Any = None,
        version: str | None = None,
        debug: bool = False,
    ) -> Job:
        """Start a job (``POST plugins/{id}/run/``) and return it (PENDING; ``job.wait()``).

        Args:
            action: the release's action to run (default: its first declared action).
            params: the action's parameters.
            agent: the agent (id or ``Agent``) to run on; may be left out when exactly one
                agent is connected.
            version: the release version (default: the latest release).
            debug: run in debug mode.

        Raises:
            TypeError: an argument of the wrong type (before any request).
            ValidationError: the server refused (no release, unknown action or agent).
        """
        return _run(self, self.id, action=action, params=params, agent=agent, version=version, debug=debug)


def _run(
    obj: Resource, plugin: Any, *, action: Any, params: Any, agent: Any, version: Any, debug: Any
) -> Job:
    from synapse.resources.jobs import Job

    _check_str("action", action)
    _check_str("version", version)
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"params must be a mapping, got {type(params).__name__}")
    if isinstance(agent, Resource):
        agent = agent._ident
    if agent is not None and (isinstance(agent, bool) or not isinstance(agent, int)):
        raise TypeError(f"agent must be an agent id (int) or an Agent, got {agent!r:.40}")
    if not isinstance(debug, bool):
        raise TypeError(f"debug must be a bool, got {type(debug).__name__}")
    # API.md: agent, action and version may each be left out (the server picks them).
    body: dict[str, Any] = {"debug": debug}
    if params is not None:
        body["params"] = dict(params)
    for key, value in (("agent", agent), ("action", action), ("version", version)):
        if value is not None:
            body[key] = value
    manager = obj._manager()
    raw = manager._write("POST", f"plugins/{_key(plugin)}/run/", json=body)
    return build(Job, raw, obj._require_client(), path="jobs/")


class PluginManager(Gettable[Plugin], Creatable[Plugin]):
    """``client.plugins``: list, read (by id or code), create, update and delete plugins."""

    _model = Plugin

    def get(self, id: Any, *, lazy: bool = False) -> Plugin:  # type: ignore[override]
        """Return the plugin with this id, or this code (``get("yolo-detector")``).

        Args:
            id: the plugin's int id or its code.
            lazy: send no request now (ids only: a code must be looked up).

        Raises:
            TypeError: ``id`` is neither an int nor a string (before any request).
            ValueError: ``lazy=True`` with a code.
            NotFound: no such plugin.
        """
        if isinstance(id, str):
            _check_str("code", id)
            if lazy:
                raise ValueError("get(code, lazy=True) is not possible: a code is looked up; pass the int id")
            raw, _ = self._fetch_raw(id, use_cache=True)
            return build(Plugin, raw, self._require_client(), path="plugins/")
        return super().get(id, lazy=lazy)

    def _detail_path(self, ident: Any) -> str:
        return f"plugins/{_key(ident)}/"

    def create(
        self,
        *args: Any,
        name: str | None = None,
        category: str | None = None,
        description: str | None = None,
        code: str | None = None,
        **fields: Any,
    ) -> Plugin:
        """Create a plugin (``POST plugins/``); the server derives ``code`` from the name if left out.

        Raises:
            ValidationError: no name, or an unknown category (before any request).
        """
        _check_choice("category", category, PLUGIN_CATEGORIES)
        given = {"name": name, "category": category, "description": description, "code": code}
        return super().create(*args, **{k: v for k, v in given.items() if v is not None}, **fields)


@resource
class PluginRelease(Resource):
    """A published version of a plugin: its config (actions), requirements and archive.

    ``plugin`` is the plugin's code. ``release.run(...)`` runs this version.
    """

    options = ResourceOptions(
        path="plugin_releases/",
        repr_fields=("plugin", "version"),
        create_fields=("plugin", "version"),
        filters=Filters("plugin", ordering=("id", "created", "version")),
        read_only={"id", "created", "available_actions"},
    )

    id: int
    plugin: str = NOT_LOADED
    version: str = NOT_LOADED
    config: dict[str, Any] | None = NOT_LOADED
    requirements: list[str] | None = NOT_LOADED
    available_actions: list[str] | None = NOT_LOADED
    debug: bool = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    def run(
        self,
        action: str | None = None,
        params: Mapping[str, Any] | None = None,
        agent: Any = None,
        debug: bool = False,
    ) -> Job:
        """Run this release (``POST plugins/{code}/run/`` with its version); see ``Plugin.run``."""
        return _run(
            self, self.plugin, action=action, params=params, agent=agent, version=self.version, debug=debug
        )


class PluginReleaseManager(Gettable[PluginRelease], Creatable[PluginRelease]):
    """``client.plugin_releases`` and ``plugin.releases``: list, read and publish releases.

    ``plugin.releases.get("1.0.0")`` reads ``plugin_releases/<code>@1.0.0/``;
    ``client.plugin_releases.get("yolo-detector@1.0.0")`` or ``get(1)`` work anywhere.
    """

    _model = PluginRelease

    def _plugin_code(self) -> str | None:
        value = self._create_defaults.get("plugin") or self._fixed.get("plugin")
        return None if value is None else str(value)

    def get(self, id: Any, *, lazy: bool = False) -> PluginRelease:  # type: ignore[override]
        """Return a release by id, by ``"code@version"``, or by version on ``plugin.releases``.

        Args:
            id: an int id, ``"code@version"``, or a version string (``plugin.releases`` only).
            lazy: send no request now (int ids only).

        Raises:
            ValueError: a bare version outside ``plugin.releases``, or ``lazy`` with a string.
            NotFound: no such release.
        """
        if isinstance(id, str):
            _check_str("version", id)
            key = id
            if "@" not in key:
                code = self._plugin_code()
                if code is None:
                    raise ValueError(
                        f"get({id!r}): a version needs its plugin: use plugin.releases.get({id!r}) "
                        f"or client.plugin_releases.get('<code>@{id}')"
                    )
                key = f"{code}@{id}"
            if lazy:
                raise ValueError("get(version, lazy=True) is impossible: a version is looked up; pass an id")
            raw, _ = self._fetch_raw(key, use_cache=True)
            obj = build(PluginRelease, raw, self._require_client(), path="plugin_releases/")
            if self._fixed:
                self._check_related(obj)
            return obj
        return super().get(id, lazy=lazy)

    def _detail_path(self, ident: Any) -> str:
        return f"plugin_releases/{_key(ident)}/"

    def create(
        self,
        version: str,
        file: StrPath | IO[bytes] | None = None,
        config: Mapping[str, Any] | None = None,
        requirements: Iterable[str] | None = None,
        debug: bool = False,
        *,
        plugin: Any = None,
        progress: Any = None,
    ) -> PluginRelease:
        """Publish a release (``POST plugin_releases/``): multipart with the archive, else JSON.

        Args:
            version: the new version, e.g. ``"1.0.0"`` (400 if it exists for the plugin).
            file: the archive: a path or a binary file object; None sends JSON only.
            config: the release's config (e.g. ``{"actions": {...}}``), sent JSON-encoded.
            requirements: pip requirement strings (repeated form fields).
            debug: a debug release.
            plugin: the plugin (code, id or ``Plugin``) when not called on ``plugin.releases``.
            progress: for a path: ``True`` for a tqdm bar or a ``(done, total)`` callable.

        Raises:
            ValidationError: no plugin (before any request), or the server refused.
            TypeError: an argument of the wrong type (before any request).
            FileNotFoundError: ``file`` names no file (before any request).
        """
        from synapse.services.uploads.direct import post_multipart
        from synapse.services.uploads.files import check_file

        if isinstance(plugin, Plugin):
            plugin = plugin.code
        plugin = plugin if plugin is not None else self._plugin_code()
        if plugin is None:
            raise ValidationError(
                400, "PluginRelease: missing required field plugin; no request was sent",
                errors={"plugin": ["This field is required."]},
            )
        _check_str("version", version, required=True)
        if config is not None and not isinstance(config, Mapping):
            raise TypeError(f"config must be a mapping, got {type(config).__name__}")
        if isinstance(requirements, (str, bytes)):
            raise TypeError("requirements must be a list of strings, e.g. ['torch>=2.0']")
        reqs = list(requirements or ())
        for req in reqs:
            _check_str("a requirement", req, required=True)
        if not isinstance(debug, bool):
            raise TypeError(f"debug must be a bool, got {type(debug).__name__}")
        client = self._require_client()
        route = "plugin_releases/"
        if file is None:
            body: dict[str, Any] = {"plugin": plugin, "version": version}
            body.update(requirements=reqs, debug=debug)
            if config is not None:
                body["config"] = dict(config)
            raw = client.transport.request("POST", route, json=body)
        else:
            # API.md "Bodies": dict fields JSON-encoded, list fields repeated.
            fields = [("plugin", str(plugin)), ("version", version)]
            if config is not None:
                fields.append(("config", json.dumps(dict(config))))
            fields.extend(("requirements", req) for req in reqs)
            fields.append(("debug", "true" if debug else "false"))
            if isinstance(file, (str, os.PathLike)):
                path, _ = check_file(file)
                raw, _ = post_multipart(client.transport, route, path, fields=fields, progress=progress)
            else:
                name = Path(str(getattr(file, "name", "") or "release.zip")).name
                raw = client.transport.request(
                    "POST", route, data=_pairs(fields), files={"file": (name, file)}
                )
        return build(PluginRelease, raw, client, path=route)


def _pairs(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """Form fields as ``requests`` takes them: a repeated name becomes a list."""
    out: dict[str, Any] = {}
    for name, value in fields:
        if name in out:
            out[name] = [*out[name], value] if isinstance(out[name], list) else [out[name], value]
        else:
            out[name] = [value] if name == "requirements" else value
    return out
