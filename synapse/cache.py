"""The client's resource cache: time-bounded, thread-safe, keyed by (resource type, id)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from cachetools import TTLCache

__all__ = ["ResourceCache"]



class ResourceCache:
    """A TTL cache of fetched resources, shared by the threads that use one client.

    Keys are ``(kind, id)``: ``kind`` names the resource type (a string such as
    ``"projects"`` or the class), ``id`` its identifier. Every write through the client
    invalidates what it touched; ``ttl=0`` turns the cache off (every ``get`` misses).

    A read that overlaps a write must not store what it read before the write: take
    ``generation`` before sending the read and pass it to ``set(..., since=...)``; the value is
    then dropped if anything was invalidated meanwhile.

    Args:
        ttl: seconds an entry stays valid; 0 disables the cache.
        maxsize: the most entries kept (the least recently used go first).
        timer: the clock of the TTL (tests inject a fake one).
    """

    def __init__(
        self, ttl: float = 30.0, *, maxsize: int = 10_000, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = float(ttl)
        self._lock = threading.RLock()
        self._generation = 0  # bumped by every invalidation
        self._data: TTLCache[tuple[Hashable, Hashable], Any] | None = (
            TTLCache(maxsize=maxsize, ttl=self.ttl, timer=timer) if self.ttl > 0 else None
        )

    @property
    def enabled(self) -> bool:
        """Whether the cache keeps anything (``ttl > 0``)."""
        return self._data is not None

    @property
    def generation(self) -> int:
        """A counter bumped by every invalidation; see ``set(..., since=...)``."""
        return self._generation

    def get(self, kind: Hashable, id: Hashable, default: Any = None) -> Any:
        """Return the cached value for ``(kind, id)``, or ``default`` when absent or expired."""
        if self._data is None:
            return default
        with self._lock:
            return self._data.get((kind, id), default)

    def set(self, kind: Hashable, id: Hashable, value: Any, *, since: int | None = None) -> None:
        """Cache ``value`` for ``(kind, id)`` (no-op when the cache is off).

        Args:
            kind: the resource type.
            id: the identifier.
            value: what to cache.
            since: the ``generation`` read before the value was fetched; when an invalidation
                happened since, the value may predate a write and is not stored.
        """
        if self._data is None:
            return
        with self._lock:
            if since is not None and since != self._generation:
                return
            self._data[(kind, id)] = value

    def invalidate(self, kind: Hashable, id: Hashable) -> None:
        """Forget ``(kind, id)``."""
        if self._data is None:
            return
        with self._lock:
            self._generation += 1
            self._data.pop((kind, id), None)

    def clear(self) -> None:
        """Forget everything."""
        if self._data is None:
            return
        with self._lock:
            self._generation += 1
            self._data.clear()

    def __len__(self) -> int:
        if self._data is None:
            return 0
        with self._lock:
            self._data.expire()
            return len(self._data)

    def __contains__(self, key: object) -> bool:
        if self._data is None:
            return False
        with self._lock:
            return key in self._data

    def __repr__(self) -> str:
        state = f"ttl={self.ttl:g}s, {len(self)} entries" if self.enabled else "disabled"
        return f"<ResourceCache {state}>"
