"""``emu.faults``: misbehaviour on purpose (error statuses, delays, dropped connections, 429s).

Examples::

    emu.faults.fail("tasks/*", status=503, retry_after=1, times=2)   # the next 2 matching requests
    emu.faults.delay("projects/*", seconds=2.0)                     # a slow answer
    emu.faults.drop("tasks/", method="POST", when="after")          # applied, then no answer
    emu.faults.add("*", status=503, probability=0.3, times=None)    # 30% of everything, seeded
    emu.faults.rate_limit(rate=5, burst=10)                         # token bucket per token -> 429
    emu.faults.clear()

Paths are matched without their leading slash: a string is a glob (``fnmatch``, where ``*``
also crosses ``/``), a compiled regex is searched. ``method=None`` matches every method.
"""

from __future__ import annotations

import fnmatch
import math
import random
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Literal

__all__ = ["Fault", "Faults", "RateLimiter"]

DropWhen = Literal["before", "after"]

_DEFAULT_DETAIL = {
    429: "Request was throttled.",
    500: "A server error occurred.",
    502: "Bad gateway.",
    503: "Service temporarily unavailable, try again later.",
    504: "Gateway timeout.",
}


class Fault:
    """One injected fault; ``hits`` counts the requests it hit.

    Attributes:
        path: glob or compiled regex on the path without its leading slash.
        methods: the methods it applies to (``None``: all).
        status: the status to answer instead of handling the request (or ``None``).
        body: the JSON body of that answer (default ``{"detail": ...}``).
        retry_after: a ``Retry-After`` header value, in seconds.
        headers: more headers for that answer.
        delay: seconds to wait before going on.
        drop: ``"before"`` (close before reading the body; nothing applied) or ``"after"``
            (handle and commit, then close without answering).
        times: how many more requests it hits (``None``: unlimited).
        probability: the chance that a matching request is hit (``None``: always).
        hits: how many requests it hit so far.
    """

    def __init__(
        self,
        path: str | re.Pattern[str],
        methods: frozenset[str] | None,
        *,
        status: int | None,
        body: Any,
        retry_after: float | None,
        headers: Mapping[str, str] | None,
        delay: float,
        drop: DropWhen | None,
        times: int | None,
        probability: float | None,
    ) -> None:
        self.path = path
        self.methods = methods
        self.status = status
        self.body = (
            body
            if body is not None
            else ({"detail": _DEFAULT_DETAIL.get(status or 0, "Injected fault.")} if status else None)
        )
        self.retry_after = retry_after
        self.headers = dict(headers or {})
        self.delay = delay
        self.drop = drop
        self.times = times
        self.probability = probability
        self.hits = 0
        self._owner: Faults | None = None

    @property
    def kind(self) -> str:
        """What this fault does, as recorded in the request log."""
        if self.drop:
            return f"drop_{self.drop}"
        return "status" if self.status else "delay"

    def response_headers(self) -> dict[str, str]:
        """The headers of the injected answer."""
        headers = dict(self.headers)
        if self.retry_after is not None:
            headers["Retry-After"] = _seconds(self.retry_after)
        return headers

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to this method and path (leading slash stripped)."""
        if self.methods is not None and method not in self.methods:
            return False
        if isinstance(self.path, re.Pattern):
            return self.path.search(path) is not None
        return fnmatch.fnmatchcase(path, self.path)

    def remove(self) -> None:
        """Stop injecting this fault."""
        if self._owner is not None:
            self._owner.remove(self)

    def __repr__(self) -> str:
        return f"<Fault {self.kind} {self.path!r} methods={sorted(self.methods or [])} hits={self.hits}>"


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class RateLimiter:
    """A token bucket per credential: ``rate`` requests per second, bursts up to ``burst``.

    Args:
        rate: tokens added per second.
        burst: the bucket's size.
        retry_after: a fixed ``Retry-After`` (seconds) instead of the computed wait.
    """

    def __init__(self, rate: float, burst: int, retry_after: float | None = None) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self.retry_after = retry_after
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, now: float) -> float | None:
        """Take a token for ``key``; ``None`` if allowed, else the seconds to wait."""
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
            if self.retry_after is not None:
                return self.retry_after
            return float(max(1, math.ceil((1.0 - tokens) / self.rate)))


class Faults:
    """The fault-injection registry of one emulator (``emu.faults``).

    Args:
        seed: the seed of the random generator used by ``probability`` faults.
    """

    def __init__(self, seed: int = 0) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self.limiter: RateLimiter | None = None

    @property
    def active(self) -> bool:
        """Whether any fault is registered."""
        return bool(self._faults)

    def seed(self, seed: int) -> None:
        """Reset the random generator (for reproducible ``probability`` runs)."""
        with self._lock:
            self._rng = random.Random(seed)

    def add(
        self,
        path: str | re.Pattern[str] = "*",
        method: str | Iterable[str] | None = None,
        *,
        status: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
        drop: DropWhen | None = None,
        times: int | None = -1,
        probability: float | None = None,
    ) -> Fault:
        """Register a fault; see the module docstring. Returns it (``fault.hits``, ``fault.remove()``).

        Args:
            path: glob or compiled regex on the path without its leading slash.
            method: one method, several, or ``None`` for all.
            status: answer this status without handling the request.
            body: the JSON body of that answer.
            retry_after: add ``Retry-After: <seconds>``.
            headers: more headers for that answer.
            delay: wait this many seconds first.
            drop: ``"before"`` or ``"after"`` the request is handled (see ``Fault``).
            times: the number of requests to hit, ``None`` for no limit (default: 1, or no
                limit when ``probability`` is given).
            probability: hit a matching request with this chance (seeded RNG).
        """
        if drop not in (None, "before", "after"):
            raise ValueError('drop is "before", "after" or None')
        if status is None and drop is None and not delay:
            raise ValueError("a fault needs a status, a delay or a drop")
        if times == -1:
            times = None if probability is not None else 1
        if isinstance(path, str):
            path = path.lstrip("/")
        methods = None
        if method is not None:
            methods = frozenset([method.upper()] if isinstance(method, str) else (m.upper() for m in method))
        fault = Fault(
            path,
            methods,
            status=status,
            body=body,
            retry_after=retry_after,
            headers=headers,
            delay=delay,
            drop=drop,
            times=times,
            probability=probability,
        )
        fault._owner = self
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(
        self,
        path: str | re.Pattern[str] = "*",
        status: int = 503,
        *,
        method: str | Iterable[str] | None = None,
        times: int | None = -1,
        retry_after: float | None = None,
        body: Any = None,
        probability: float | None = None,
    ) -> Fault:
        """Answer ``status`` (default 503) instead of handling matching requests."""
        return self.add(
            path,
            method,
            status=status,
            times=times,
            retry_after=retry_after,
            body=body,
            probability=probability,
        )

    def delay(
        self,
        path: str | re.Pattern[str] = "*",
        seconds: float = 1.0,
        *,
        method: str | Iterable[str] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Wait ``seconds`` before handling matching requests."""
        return self.add(path, method, delay=seconds, times=times)

    def drop(
        self,
        path: str | re.Pattern[str] = "*",
        when: DropWhen = "before",
        *,
        method: str | Iterable[str] | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Close the connection without an answer, before or after handling the request."""
        return self.add(path, method, drop=when, times=times)

    def rate_limit(
        self, rate: float | None, burst: int | None = None, retry_after: float | None = None
    ) -> None:
        """Answer 429 with ``Retry-After`` beyond ``rate`` requests/s per credential; ``None`` turns it off.

        Args:
            rate: requests per second allowed per token (``None`` disables rate limiting).
            burst: bucket size (default: ``max(1, rate)``).
            retry_after: a fixed ``Retry-After`` instead of the computed wait.
        """
        if rate is None:
            self.limiter = None
        else:
            self.limiter = RateLimiter(rate, burst if burst is not None else max(1, int(rate)), retry_after)

    def remove(self, fault: Fault) -> None:
        """Unregister one fault."""
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        """Remove every fault and the rate limit."""
        with self._lock:
            self._faults.clear()
        self.limiter = None

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        return len(self._faults)

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault that hits this request, counted as used (called by the app)."""
        path = path.lstrip("/")
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.probability is not None and self._rng.random() >= fault.probability:
                    continue
                fault.hits += 1
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                return fault
        return None
