"""synapse: a resource-oriented SDK for the Synapse data-annotation and ML platform.

Public names are imported lazily (PEP 562) so that ``import synapse`` stays fast.
"""

import importlib
from typing import TYPE_CHECKING, Any

from synapse._version import __version__

# No ``from __future__ import annotations`` in this module: it would bind the name "annotations"
# here and hide the synapse.annotations subpackage from ``from synapse import annotations``.

if TYPE_CHECKING:  # "A as A": explicit re-exports (mypy --strict reads no implicit ones)
    from synapse.client import Client as Client
    from synapse.config import Config as Config, RetryPolicy as RetryPolicy
    from synapse.errors import (
        AuthenticationError as AuthenticationError,
        ClientConnectionError as ClientConnectionError,
        ClientError as ClientError,
        ClientResponseIncompleteError as ClientResponseIncompleteError,
        ClientTimeoutError as ClientTimeoutError,
        ConfigurationError as ConfigurationError,
        Conflict as Conflict,
        DownloadConflict as DownloadConflict,
        FormatError as FormatError,
        Gone as Gone,
        JobError as JobError,
        JobFailed as JobFailed,
        JobStopped as JobStopped,
        JobTimeout as JobTimeout,
        MalformedAnswer as MalformedAnswer,
        MethodNotAllowed as MethodNotAllowed,
        NotDownloaded as NotDownloaded,
        NotFound as NotFound,
        PaginationError as PaginationError,
        PermissionDenied as PermissionDenied,
        RateLimited as RateLimited,
        ServerError as ServerError,
        SynapseError as SynapseError,
        TransportError as TransportError,
        UnsafeDownloadPath as UnsafeDownloadPath,
        UnsafeURLError as UnsafeURLError,
        UploadError as UploadError,
        ValidationError as ValidationError,
    )
    from synapse.orm.queryset import QuerySet as QuerySet
    from synapse.resources.agents import Agent as Agent
    from synapse.resources.assignments import Assignment as Assignment
    from synapse.resources.data import (
        DataCollection as DataCollection,
        DataFile as DataFile,
        DataUnit as DataUnit,
        FileSpecification as FileSpecification,
    )
    from synapse.resources.jobs import Job as Job
    from synapse.resources.ml import (
        GroundTruth as GroundTruth,
        GroundTruthEvent as GroundTruthEvent,
        GroundTruthVersion as GroundTruthVersion,
        Model as Model,
        ServeApplication as ServeApplication,
    )
    from synapse.resources.plugins import Plugin as Plugin, PluginRelease as PluginRelease
    from synapse.resources.projects import Project as Project, TaskTag as TaskTag
    from synapse.resources.storage import Credentials as Credentials, Storage as Storage
    from synapse.resources.tasks import Task as Task

# name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Client": "synapse.client",
    "Config": "synapse.config",
    "RetryPolicy": "synapse.config",
    "AuthenticationError": "synapse.errors",
    "ClientError": "synapse.errors",
    "ConfigurationError": "synapse.errors",
    "Conflict": "synapse.errors",
    "DownloadConflict": "synapse.errors",
    "JobFailed": "synapse.errors",
    "JobStopped": "synapse.errors",
    "JobTimeout": "synapse.errors",
    "NotFound": "synapse.errors",
    "PermissionDenied": "synapse.errors",
    "RateLimited": "synapse.errors",
    "ServerError": "synapse.errors",
    "SynapseError": "synapse.errors",
    "TransportError": "synapse.errors",
    "UploadError": "synapse.errors",
    "ValidationError": "synapse.errors",
    "Gone": "synapse.errors",
    "JobError": "synapse.errors",
    "MethodNotAllowed": "synapse.errors",
    "UnsafeURLError": "synapse.errors",
    "FormatError": "synapse.errors",
    "MalformedAnswer": "synapse.errors",
    "NotDownloaded": "synapse.errors",
    "PaginationError": "synapse.errors",
    "UnsafeDownloadPath": "synapse.errors",
    "ClientConnectionError": "synapse.errors",
    "ClientResponseIncompleteError": "synapse.errors",
    "ClientTimeoutError": "synapse.errors",
    # object model
    "QuerySet": "synapse.orm.queryset",
    "Project": "synapse.resources.projects",
    "TaskTag": "synapse.resources.projects",
    "Task": "synapse.resources.tasks",
    "Assignment": "synapse.resources.assignments",
    "DataCollection": "synapse.resources.data",
    "FileSpecification": "synapse.resources.data",
    "DataFile": "synapse.resources.data",
    "DataUnit": "synapse.resources.data",
    "Plugin": "synapse.resources.plugins",
    "PluginRelease": "synapse.resources.plugins",
    "Job": "synapse.resources.jobs",
    "Model": "synapse.resources.ml",
    "GroundTruthVersion": "synapse.resources.ml",
    "GroundTruthEvent": "synapse.resources.ml",
    "GroundTruth": "synapse.resources.ml",
    "ServeApplication": "synapse.resources.ml",
    "Storage": "synapse.resources.storage",
    "Credentials": "synapse.resources.storage",
    "Agent": "synapse.resources.agents",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'synapse' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
