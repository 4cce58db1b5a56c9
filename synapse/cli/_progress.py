"""Progress on the command line: a tqdm bar on a terminal, a few plain lines otherwise.

A bar redrawn in place is noise in a log file or a pipe, so when stderr is not a terminal (or
tqdm is not installed) progress is written as at most five lines: the start, then each quarter.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from synapse.services.progress import ProgressReporter, TqdmProgress

__all__ = ["LineProgress", "cli_progress", "format_amount"]


def format_amount(amount: float, unit: str) -> str:
    """``1536, "B"`` -> ``1.5 KiB``; ``3, "file"`` -> ``3 files``; ``40, "%"`` -> ``40%``."""
    if unit == "B":
        value = float(amount)
        for name in ("B", "KiB", "MiB", "GiB"):
            if value < 1024 or name == "GiB":
                return f"{value:.0f} {name}" if name == "B" else f"{value:.1f} {name}"
            value /= 1024
    if unit == "%":
        return f"{amount:g}%"
    return f"{amount:g} {unit}{'' if amount == 1 or not unit else 's'}"


class LineProgress:
    """Reports progress as plain lines: ``uploading: 12.0 KiB of 48.0 KiB (25%)``.

    Thread-safe; a line is written when a new quarter is reached (and at the start and end).

    Args:
        stream: where to write (default: stderr).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._desc = ""
        self._unit = ""
        self._total: int | None = None
        self._done = 0
        self._quarter = -1
        self._last = ""

    def _write(self, text: str) -> None:
        self._last = text
        stream = self._stream or sys.stderr
        stream.write(text + "\n")
        stream.flush()

    def _line(self) -> str:
        done, total, unit = self._done, self._total, self._unit
        if unit == "%":
            return f"{self._desc}: {done:g}%"
        if not total:
            return f"{self._desc}: {format_amount(done, unit)}"
        amount = (f"{format_amount(done, unit)} of {format_amount(total, unit)}" if unit == "B"
                  else f"{done} of {format_amount(total, unit)}")
        return f"{self._desc}: {amount} ({100 * done // total}%)"

    def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
        """Write the first line."""
        with self._lock:
            self._desc, self._unit, self._total = desc or "progress", unit, total
            self._done = self._quarter = 0
            self._write(self._line())

    def update(self, done: int, total: int | None) -> None:
        """Write a line when ``done`` reaches a new quarter of ``total``."""
        with self._lock:
            self._done, self._total = done, total if total is not None else self._total
            if self._total:
                quarter = min(4, 4 * done // self._total)
                if quarter > self._quarter:
                    self._quarter = quarter
                    self._write(self._line())

    def finish(self) -> None:
        """Write where it ended, unless that line was the last one written."""
        with self._lock:
            line = self._line()
            if line != self._last:
                self._write(line)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def cli_progress(*, enabled: bool = True, percent: bool = False) -> ProgressReporter | None:
    """The reporter for a command: a tqdm bar on stderr when it is a terminal, else lines.

    Args:
        enabled: False returns None (no progress at all, e.g. with ``--json``).
        percent: the amount is a percentage (a job): the bar shows no rate.
    """
    if not enabled:
        return None
    if _is_terminal(sys.stderr):
        try:
            import tqdm  # noqa: F401
        except ImportError:
            pass
        else:
            style = {"bar_format": "{l_bar}{bar}| [{elapsed}]"} if percent else {}
            return TqdmProgress(force=True, file=sys.stderr, leave=True, **style)
    return LineProgress()
