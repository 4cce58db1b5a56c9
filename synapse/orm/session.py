"""``Session``: what a resource, a manager or a QuerySet needs of the client it is bound to.

The engine names this protocol instead of ``synapse.Client`` so that it never imports the layer
above it; ``synapse.Client`` is the one implementation users meet.
"""

from __future__ import annotations

from typing import Protocol

from synapse.cache import ResourceCache
from synapse.config import Config
from synapse.services.uploads.service import UploadService
from synapse.transport import Transport

__all__ = ["Session"]


class Session(Protocol):
    """The client side of a bound object: configuration, transport, cache and upload service."""

    @property
    def config(self) -> Config:
        """The resolved settings (page size, timeouts, ...)."""

    @property
    def transport(self) -> Transport:
        """The one transport every request goes through."""

    @property
    def cache(self) -> ResourceCache:
        """The resource cache, keyed by (resource type, id)."""

    @property
    def uploads(self) -> UploadService:
        """The upload service bound to the same transport."""
