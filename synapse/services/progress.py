"""Progress reporting as a protocol: a ``(done, total)`` callable or a reporter object.

Anything that takes ``progress=`` in the SDK accepts:

- ``None`` or ``False``: silent;
- a callable ``fn(done, total)`` (``total`` may be ``None`` when unknown);
- an object with ``start``/``update``/``finish`` (the ``ProgressReporter`` protocol);
- ``True``: a tqdm bar (``tqdm.auto``, so it renders in notebooks) when tqdm is installed and
  stdout is a terminal or a Jupyter kernel's output; silent otherwise. ``TqdmProgress(force=True)``
  draws it anyway.

tqdm is only one implementation and is imported lazily, so ``import synapse`` stays light.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "CallbackProgress",
    "NullProgress",
    "ProgressArg",
    "ProgressCallback",
    "ProgressReporter",
    "TqdmProgress",
    "as_reporter",
]

ProgressCallback: TypeAlias = Callable[[int, "int | None"], Any]


@runtime_checkable
class ProgressReporter(Protocol):
    """An object told about the progress of one operation.

    ``start`` is called once before the work, ``update`` with the cumulative amount done
    (it may be called from several threads, and may go backwards when an upload resumes
    from an earlier offset), ``finish`` once at the end, also after a failure.
    """

    def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
        """Begin reporting; ``total`` is None when unknown."""

    def update(self, done: int, total: int | None) -> None:
        """Report the cumulative amount ``done`` out of ``total``."""

    def finish(self) -> None:
        """End reporting (close a bar, flush output)."""


ProgressArg: TypeAlias = "bool | ProgressCallback | ProgressReporter | None"


class NullProgress:
    """A reporter that does nothing (``progress=None``)."""

    def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
        """Do nothing."""

    def update(self, done: int, total: int | None) -> None:
        """Do nothing."""

    def finish(self) -> None:
        """Do nothing."""


class CallbackProgress:
    """Adapts a ``fn(done, total)`` callable to the reporter protocol.

    Calls are serialised with a lock, so the callable need not be thread-safe.

    Args:
        fn: called with the cumulative amount done and the total.
    """

    def __init__(self, fn: ProgressCallback) -> None:
        self._fn = fn
        self._lock = threading.Lock()
        self._total: int | None = None

    def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
        """Report ``(0, total)``."""
        self._total = total
        self.update(0, total)

    def update(self, done: int, total: int | None) -> None:
        """Call the function with ``(done, total)``."""
        with self._lock:
            self._fn(done, total)

    def finish(self) -> None:
        """Nothing to close."""


def _in_kernel() -> bool:
    """Whether stdout is a Jupyter kernel's output stream."""
    return type(sys.stdout).__module__.startswith("ipykernel.")


class TqdmProgress:
    """A ``tqdm.auto`` progress bar, created on ``start``.

    Args:
        force: draw the bar even when stdout is not a terminal.
        **tqdm_kwargs: passed to ``tqdm.auto.tqdm`` (e.g. ``leave=False``, ``file=...``).

    The bar is silent (disabled) when stdout is neither a TTY nor a Jupyter kernel's output
    unless ``force`` is set, and when tqdm is not installed (then nothing is printed at all).
    """

    def __init__(self, *, force: bool = False, **tqdm_kwargs: Any) -> None:
        self.force = force
        self._kwargs = tqdm_kwargs
        self._bar: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def _isatty() -> bool:
        # A Jupyter kernel's stdout says it is no terminal, but tqdm.auto draws there (a widget).
        if _in_kernel():
            return True
        try:
            return bool(sys.stdout.isatty())
        except (AttributeError, ValueError):
            return False

    def start(self, total: int | None, *, desc: str = "", unit: str = "B") -> None:
        """Create the bar (if tqdm is installed and output is wanted)."""
        if not (self.force or self._isatty()):
            return
        try:
            if _in_kernel() and importlib.util.find_spec("ipywidgets") is None:
                # tqdm.auto would warn that it cannot draw a widget: draw text instead, quietly.
                from tqdm.std import tqdm
            else:
                from tqdm.auto import tqdm
        except ImportError:  # tqdm is an optional extra: no bar, no error
            return
        kwargs: dict[str, Any] = {"total": total, "desc": desc or None, "unit": unit, "dynamic_ncols": True}
        if unit == "B":
            kwargs.update(unit_scale=True, unit_divisor=1024)
        elif unit == "%":  # a job's progress: show the percent, not a rate of "%/s"
            kwargs["bar_format"] = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]"
        kwargs.update(self._kwargs)
        self._bar = tqdm(**kwargs)

    def update(self, done: int, total: int | None) -> None:
        """Move the bar to ``done`` (absolute, so a resume can move it back)."""
        bar = self._bar
        if bar is None:
            return
        with self._lock:
            if total is not None and bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

    def finish(self) -> None:
        """Close the bar."""
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()


def as_reporter(progress: Any) -> ProgressReporter:
    """Return the reporter for a ``progress=`` argument.

    Args:
        progress: ``None``/``False``, ``True``, a ``(done, total)`` callable or a reporter.

    Returns:
        A ``ProgressReporter``.

    Raises:
        TypeError: for anything else.
    """
    if progress is None or progress is False:
        return NullProgress()
    if progress is True:
        return TqdmProgress()
    if isinstance(progress, ProgressReporter):
        return progress
    if callable(progress):
        return CallbackProgress(progress)
    raise TypeError(
        "progress must be None, a bool, a (done, total) callable or a reporter, "
        f"not {type(progress).__name__}"
    )
