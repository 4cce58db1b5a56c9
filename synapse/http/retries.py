"""Retry decisions for the transport: which failures to retry, how long to wait.

Kept apart from ``transport.py`` (and free of ``requests``) so the rules of DESIGN.md
"Retries" can be read, and tested, on their own.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
from collections.abc import Callable, Iterator
from datetime import timezone

import attrs

from synapse.config import RetryPolicy
from synapse.errors import ClientError, TransportError

__all__ = [
    "IDEMPOTENT_METHODS",
    "RetryBudget",
    "RetryPlan",
    "describe_cause",
    "exception_chain",
    "parse_retry_after",
]

# Methods whose repetition does not change the result (RFC 9110 9.2.2): safe to resend even
# when the first request may have been applied.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
# DESIGN.md: idempotent methods retry on 429/502/503/504; POST/PATCH only on 429/503, the two
# answers by which a server says it did *not* process the request.
IDEMPOTENT_RETRY_STATUSES = frozenset({429, 502, 503, 504})
WRITE_RETRY_STATUSES = frozenset({429, 503})


@attrs.frozen
class RetryPlan:
    """The retry decision for one logical call, made once before the first attempt.

    Attributes:
        policy: the budget (number of retries, backoff, ``Retry-After`` cap, total time).
        statuses: HTTP statuses after which the call is sent again.
        after_send_errors: retry a connection error or timeout that happened after the
            request was (perhaps) sent; only for idempotent methods with a replayable body.
        before_send_errors: retry a failure to connect (the request was never sent).
    """

    policy: RetryPolicy
    statuses: frozenset[int]
    after_send_errors: bool
    before_send_errors: bool

    @classmethod
    def for_request(cls, method: str, policy: RetryPolicy | None, *, replayable: bool) -> RetryPlan:
        """Decide how a request is retried.

        Args:
            method: the HTTP method, upper case.
            policy: the budget; ``None`` sends once.
            replayable: whether the body can be sent again (bytes, or a seekable file); a
                streamed body (an iterator) is only resent when it was never sent.

        Returns:
            The plan for this call.
        """
        if policy is None or policy.max_retries == 0:
            return cls(RetryPolicy(max_retries=0), frozenset(), False, False)
        idempotent = method.upper() in IDEMPOTENT_METHODS
        if not replayable:
            return cls(policy, frozenset(), False, True)
        statuses = IDEMPOTENT_RETRY_STATUSES if idempotent else WRITE_RETRY_STATUSES
        return cls(policy, statuses, idempotent, True)

    def wait(
        self, attempt: int, elapsed: float, retry_after: float | None, rng: random.Random
    ) -> float | None:
        """Seconds to wait before sending again after failed attempt ``attempt``, or None to give up.

        Args:
            attempt: the attempt that failed (1-based).
            elapsed: seconds since the first attempt began.
            retry_after: the server's ``Retry-After`` in seconds, if it sent one.
            rng: the random source of the backoff jitter.

        Gives up when the retries are spent, when the server asks for a longer wait than
        ``retry_after_max`` (the caller reports it instead), or when waiting would overrun the
        total time budget.
        """
        if attempt > self.policy.max_retries:
            return None
        if retry_after is not None:
            if retry_after > self.policy.retry_after_max:
                return None
            wait = retry_after
        else:
            wait = self.backoff(attempt, rng)
        if elapsed + wait >= self.policy.total_timeout:
            return None
        return wait

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Return the wait before retry ``retry_number`` (1-based): full jitter.

        ``uniform(0, min(backoff_max, backoff_factor * 2 ** (retry_number - 1)))``, as in
        "Exponential Backoff And Jitter" (AWS architecture blog): it spreads clients apart.
        """
        exponent = min(retry_number - 1, 62)
        ceiling = min(self.policy.backoff_max, self.policy.backoff_factor * (2.0**exponent))
        return rng.uniform(0.0, ceiling)


class RetryBudget:
    """A :class:`RetryPlan` applied across the steps of one long operation (a chunked upload).

    The transport resends one request; an upload resends chunks, reads the server's offset and
    finishes, each step a request of its own sent with ``retry=False``. The budget counts the
    failures since the last progress and the time since then, and waits by the plan's one rule
    (backoff with full jitter, ``Retry-After`` up to ``retry_after_max``, never past
    ``total_timeout``), with the transport's injectable clock, sleep and random source.

    Args:
        plan: the plan of the operation's requests (which statuses and failures are retried).
        clock: a monotonic clock.
        sleep: how to wait.
        rng: the random source of the jitter.
    """

    def __init__(
        self,
        plan: RetryPlan,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        rng: random.Random,
    ) -> None:
        self.plan = plan
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self._lock = threading.Lock()
        #: Consecutive failures since the last progress.
        self.failures = 0
        self._since = clock()

    def retryable(self, exc: BaseException) -> bool:
        """Whether the plan resends after ``exc``: a connection failure it allows, or a status it lists."""
        if isinstance(exc, TransportError):
            reached = exc.may_have_reached_server
            return self.plan.after_send_errors if reached else self.plan.before_send_errors
        return isinstance(exc, ClientError) and exc.status_code in self.plan.statuses

    def progressed(self) -> None:
        """Progress was made: the failures and the time budget start again."""
        self.failures = 0
        self._since = self._clock()

    def wait(self, retry_after: float | None = None) -> float | None:
        """Count a failure and sleep as the plan says; return the wait, or None to give up.

        Args:
            retry_after: the server's ``Retry-After`` in seconds, if it sent one.
        """
        self.failures += 1
        with self._lock:
            delay = self.plan.wait(self.failures, self._clock() - self._since, retry_after, self._rng)
        if delay is not None and delay > 0:
            self._sleep(delay)
        return delay


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Parse a ``Retry-After`` header: delay-seconds or an HTTP-date (RFC 9110 10.2.3).

    Args:
        value: the header value, or None.
        now: the current wall-clock time (``time.time()``), to turn a date into a delay.

    Returns:
        Seconds to wait (0 for a date in the past), or None when absent or unparsable.
    """
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (args, ``reason``) and its causes, without cycles."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        wrapped = [a for a in getattr(item, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(item, "reason", None)
        todo.extend([*wrapped, reason if isinstance(reason, BaseException) else None,
                     item.__cause__, item.__context__])


def describe_cause(exc: BaseException) -> str:
    """A short description of the innermost error (no URL: requests puts it in its messages)."""
    innermost = exc
    for item in exception_chain(exc):
        innermost = item
    if isinstance(innermost, OSError) and innermost.strerror:
        return f"{type(innermost).__name__}: {innermost.strerror}"
    text = str(innermost)
    if "url:" in text or "host=" in text:
        return type(innermost).__name__
    return f"{type(innermost).__name__}: {text}"[:200] if text else type(innermost).__name__
