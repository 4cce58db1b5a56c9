"""The emulator's clock: wall time plus an offset tests can move forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "iso", "parse_iso"]


class Clock:
    """Seconds since the epoch, as the emulator sees them.

    Upload expiry and job schedules read this clock, so a test can expire an upload or
    finish a job without sleeping: ``emu.clock.advance(25 * 3600)``.

    Args:
        source: the underlying time source (default ``time.time``).
    """

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current emulator time, in seconds since the epoch."""
        return self._source() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (expires uploads, advances jobs)."""
        with self._lock:
            self._offset += float(seconds)

    def iso(self) -> str:
        """The current time as ISO-8601 UTC text."""
        return iso(self.now())


def iso(ts: float) -> str:
    """Format epoch seconds as ISO-8601 UTC text with microseconds and ``Z``."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> str | None:
    """Normalise an ISO-8601 date or date-time to the stored form, or ``None`` if invalid."""
    try:
        value = datetime.fromisoformat(
            text.strip().replace("Z", "+00:00").replace(" ", "+", 1) if "T" in text else text.strip()
        )
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (OverflowError, ValueError):
        return None
