"""Short tracebacks for failed requests in IPython and Jupyter.

A ``SynapseError`` raised in a notebook cell shows the user's lines and the error, not the
SDK's and the HTTP library's frames. Installed on the first ``synapse.Client`` created under
IPython, or by hand with ``%load_ext synapse.ipython``; ``full_tracebacks()`` turns it off.
Outside IPython nothing changes.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from synapse.errors import SynapseError

__all__ = ["full_tracebacks", "install", "load_ipython_extension", "short_traceback"]

_PACKAGE = str(Path(__file__).resolve().parent)
_LIBRARIES = ("requests", "urllib3")
_installed: list[Any] = []  # the shells the handler is registered on


def _internal(filename: str) -> bool:
    path = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    if path.startswith(_PACKAGE):
        return True
    parts = Path(path).parts
    return any(name in parts for name in _LIBRARIES) and "site-packages" in parts


def short_traceback(etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> str:
    """Return the traceback text of ``value`` without the SDK's and HTTP library's frames.

    Keeps the caller's frames (the notebook cell) and the error with its notes.
    """
    frames = [frame for frame in traceback.extract_tb(tb) if not _internal(frame.filename)]
    lines = ["Traceback (most recent call last, SDK frames hidden):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(etype, value)
    return "".join(lines)


def _handler(shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None,
             tb_offset: int | None = None) -> None:
    sys.stderr.write(short_traceback(etype, value, tb))
    sys.stderr.write("(synapse.ipython.full_tracebacks() shows every frame)\n")


def install(shell: Any = None) -> bool:
    """Register the short traceback for ``SynapseError`` on the running IPython shell.

    Args:
        shell: the shell (default: the running one, if any).

    Returns:
        Whether a shell was found (and now has the handler).
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        get = getattr(ipython, "get_ipython", None) if ipython is not None else None
        shell = get() if get is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if any(known is shell for known in _installed):
        return True
    shell.set_custom_exc((SynapseError,), _handler)
    _installed.append(shell)
    return True


def full_tracebacks() -> None:
    """Show the full tracebacks again (undo :func:`install` on every shell it ran on)."""
    while _installed:
        shell = _installed.pop()
        shell.set_custom_exc((), None)


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext synapse.ipython``: install the short tracebacks."""
    install(shell)
