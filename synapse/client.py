"""``synapse.Client``: configuration, one Transport, one cache, one manager per collection."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from synapse.cache import ResourceCache
from synapse.config import UNSET, Config, RetryPolicy, Unset
from synapse.transport import RequestEvent, Transport

if TYPE_CHECKING:  # managers are imported lazily: ``import synapse`` stays light
    from synapse.orm.queryset import QuerySet
    from synapse.orm.resource import Resource
    from synapse.resources.agents import AgentManager
    from synapse.resources.assignments import AssignmentManager
    from synapse.resources.data import DataCollectionManager, DataFileManager, DataUnitManager
    from synapse.resources.jobs import JobManager
    from synapse.resources.ml import (
        GroundTruthEventManager,
        GroundTruthManager,
        GroundTruthVersionManager,
        ModelManager,
        ServeApplicationManager,
    )
    from synapse.resources.plugins import PluginManager, PluginReleaseManager
    from synapse.resources.projects import ProjectManager, TaskTagManager
    from synapse.resources.storage import StorageManager
    from synapse.resources.tasks import TaskManager
    from synapse.services.uploads.service import UploadService

_Bindable = TypeVar("_Bindable", bound="Resource | QuerySet[Any]")

__all__ = ["Client"]

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Client:
    """A connection to one Synapse backend.

    Settings come from the arguments, then the environment, then ``~/.synapse/config.json``
    (see ``synapse.config``). The client holds one ``Transport`` (pooled connections, retries)
    and one ``ResourceCache``; it is safe to share between threads. Use it as a context
    manager, or call ``close()``.

    Pickling: a Client pickles as its ``Config``, **credentials included**, on purpose, so
    that a process pool or cluster worker can rebuild a working client (it opens its own
    connections and starts with an empty cache). Do not pickle a client to storage you
    would not trust with the token.

    Args:
        base_url: the backend's base URL (else ``SYNAPSE_BASE_URL``/``SYNAPSE_HOST``, the file).
        api_token: API token (else ``SYNAPSE_API_TOKEN``/``SYNAPSE_ACCESS_TOKEN``, the file).
        agent_token: agent token (else ``SYNAPSE_AGENT_TOKEN``).
        tenant: tenant code (else ``SYNAPSE_TENANT``).
        user_token: personal user token, used with a tenant (else ``SYNAPSE_USER_TOKEN``).
        timeout: seconds, or ``(connect, read)``; default ``(5, 30)``.
        retries: a ``RetryPolicy`` or a number of retries; default ``RetryPolicy()``.
        cache_ttl: seconds a fetched resource stays cached; 0 turns the cache off.
        page_size: items per page when listing.
        profile: a profile of the config file (else ``SYNAPSE_PROFILE``).
        allow_insecure_http: allow plain ``http`` to a non-loopback host.
        verify: TLS verification: ``True`` (default), ``False`` or a CA bundle path.

    Raises:
        ConfigurationError: no base URL, no credential, or an unsafe or invalid setting.
    """

    config: Config
    _transport: Transport
    _cache: ResourceCache

    def __init__(
        self,
        base_url: str | None = None,
        api_token: str | None = None,
        *,
        agent_token: str | None = None,
        tenant: str | None = None,
        user_token: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        retries: int | RetryPolicy | None = None,
        cache_ttl: float | Unset = UNSET,
        page_size: int | Unset = UNSET,
        profile: str | None = None,
        allow_insecure_http: bool = False,
        verify: bool | str | None = None,
    ) -> None:
        config = Config.resolve(
            base_url,
            api_token,
            agent_token=agent_token,
            tenant=tenant,
            user_token=user_token,
            timeout=timeout,
            retries=retries,
            cache_ttl=cache_ttl,
            page_size=page_size,
            profile=profile,
            allow_insecure_http=allow_insecure_http,
            verify=verify,
        )
        self._connect(config)

    @classmethod
    def from_config(
        cls,
        config: Config,
        *,
        session: Any = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> Client:
        """Build a client from a resolved ``Config`` (no environment or file is read).

        Args:
            config: the settings.
            session: a ``requests.Session`` for the transport (tests).
            sleep: the wait between retries (tests).
            clock: the monotonic clock of the retry budget (tests).
            rng: the random source of the backoff jitter (tests).

        Returns:
            A new client.
        """
        client = cls.__new__(cls)
        client._connect(config, session=session, sleep=sleep, clock=clock, rng=rng)
        return client

    def _connect(self, config: Config, **transport_options: Any) -> None:
        self.config = config
        self._transport = Transport(config, **transport_options)
        self._cache = ResourceCache(config.cache_ttl)
        if self._cache.enabled:
            self._transport.add_hook(self._forget_on_write)
        if "IPython" in sys.modules:  # a notebook: failed requests show the user's lines, not ours
            from synapse import ipython

            ipython.install()

    def _forget_on_write(self, event: RequestEvent) -> None:
        # Any write may change other objects (a task's tags, a project's task_count), and one
        # that failed may still have been applied: every write through this client, whichever
        # layer sent it (managers, uploads, ingestion, the facade, raw transport calls),
        # empties the cache once its exchange ends.
        if event.method not in _READ_METHODS:
            self._cache.clear()

    @property
    def transport(self) -> Transport:
        """The client's ``Transport``, for calls to routes the SDK does not wrap."""
        return self._transport

    @property
    def cache(self) -> ResourceCache:
        """The client's resource cache (``cache.clear()`` forgets everything)."""
        return self._cache

    @property
    def base_url(self) -> str:
        """The backend's base URL (ends with ``/``)."""
        return self.config.base_url

    @property
    def last_response(self) -> Any:
        """The last ``requests.Response`` received, for inspection in a REPL (None before any)."""
        return self._transport.last_response

    def close(self) -> None:
        """Close the client's connections (it reconnects if used again)."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        profile = f" profile={self.config.profile}" if self.config.profile else ""
        return f"<Client {self.config.base_url}{profile} ({self.config.describe_credentials()})>"

    def __getstate__(self) -> dict[str, Any]:
        # Credentials travel on purpose: a worker process rebuilds a working client from them.
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._connect(state["config"])

    # --- managers (object model) ---
    # One cached property per collection; each imports its module on first use.

    def bind(self, obj: _Bindable) -> _Bindable:
        """Bind an unpickled resource or QuerySet to this client and return it.

        Pickled resources and QuerySets never carry their client (it holds credentials).
        A resource is bound in place; a QuerySet is immutable, so use the returned copy.
        """
        return obj.bind(self)  # type: ignore[return-value]

    @cached_property
    def projects(self) -> ProjectManager:
        """Projects (``projects/``): ``client.projects.get(12)``, ``.filter(title=...)``."""
        from synapse.resources.projects import ProjectManager

        return ProjectManager(self)

    @cached_property
    def task_tags(self) -> TaskTagManager:
        """Task tags (``task_tags/``), usually through ``project.task_tags``."""
        from synapse.resources.projects import TaskTagManager

        return TaskTagManager(self)

    @cached_property
    def tasks(self) -> TaskManager:
        """Tasks (list ``sdk/tasks/``, detail ``tasks/{id}/``)."""
        from synapse.resources.tasks import TaskManager

        return TaskManager(self)

    @cached_property
    def assignments(self) -> AssignmentManager:
        """Assignments (list ``sdk/assignments/``, detail ``assignments/{id}/``)."""
        from synapse.resources.assignments import AssignmentManager

        return AssignmentManager(self)

    @cached_property
    def data_collections(self) -> DataCollectionManager:
        """Data collections (``data_collections/``)."""
        from synapse.resources.data import DataCollectionManager

        return DataCollectionManager(self)

    @cached_property
    def data_files(self) -> DataFileManager:
        """Data files (``data_files/``): upload files, verify checksums."""
        from synapse.resources.data import DataFileManager

        return DataFileManager(self)

    @cached_property
    def data_units(self) -> DataUnitManager:
        """Data units (``data_units/``)."""
        from synapse.resources.data import DataUnitManager

        return DataUnitManager(self)

    @cached_property
    def plugins(self) -> PluginManager:
        """Plugins (``plugins/``): ``client.plugins.get("yolo-detector")``, ``.create(name=...)``."""
        from synapse.resources.plugins import PluginManager

        return PluginManager(self)

    @cached_property
    def plugin_releases(self) -> PluginReleaseManager:
        """Plugin releases (``plugin_releases/``), usually through ``plugin.releases``."""
        from synapse.resources.plugins import PluginReleaseManager

        return PluginReleaseManager(self)

    @cached_property
    def jobs(self) -> JobManager:
        """Plugin jobs (``jobs/``): ``client.jobs.filter(status="RUNNING")``, ``.get(job_id)``."""
        from synapse.resources.jobs import JobManager

        return JobManager(self)

    @cached_property
    def models(self) -> ModelManager:
        """Models (``models/``): ``client.models.get(1)``, ``.create(name=..., file=path)``."""
        from synapse.resources.ml import ModelManager

        return ModelManager(self)

    @cached_property
    def ground_truth_versions(self) -> GroundTruthVersionManager:
        """Ground-truth dataset versions (``ground_truth_dataset_versions/``); ``.events`` on each."""
        from synapse.resources.ml import GroundTruthVersionManager

        return GroundTruthVersionManager(self)

    @cached_property
    def ground_truth_events(self) -> GroundTruthEventManager:
        """Ground-truth events (list ``sdk/ground_truth_events/``), read-only."""
        from synapse.resources.ml import GroundTruthEventManager

        return GroundTruthEventManager(self)

    @cached_property
    def ground_truths(self) -> GroundTruthManager:
        """Ground truths (``ground_truths/``) of a dataset or version, read-only."""
        from synapse.resources.ml import GroundTruthManager

        return GroundTruthManager(self)

    @cached_property
    def serve_applications(self) -> ServeApplicationManager:
        """Model serving entries (``serve_applications/``): list and record them."""
        from synapse.resources.ml import ServeApplicationManager

        return ServeApplicationManager(self)

    @cached_property
    def storages(self) -> StorageManager:
        """Storages (``storages/``); credentials only with ``get(id, with_configuration=True)``."""
        from synapse.resources.storage import StorageManager

        return StorageManager(self)

    @cached_property
    def agents(self) -> AgentManager:
        """Agents (``agents/``) and ``health_check(token)``."""
        from synapse.resources.agents import AgentManager

        return AgentManager(self)

    @cached_property
    def uploads(self) -> UploadService:
        """The upload service (direct and chunked uploads, resume)."""
        from synapse.services.uploads.service import UploadService

        return UploadService(self)
