"""The original SDK's error contract at the flat client's boundary: every failure is a ``ClientError``.

The object model raises ``TransportError`` when no HTTP answer came. The flat client turns it
into the class the original SDK raised, each of which is both a ``TransportError`` and a
``ClientError`` (``synapse.errors``):

- ``ClientTimeoutError`` (``status_code`` 408): a connect or read timeout;
- ``ClientResponseIncompleteError`` (a ``ClientConnectionError``): the request was sent and the
  connection broke before the answer came back, so a write may have been applied;
- ``ClientConnectionError`` (``status_code`` None): the server could not be reached at all.

The new error is raised outside the ``except`` block that caught the old one (no chain), and
carries the same message, method and path: no credential, as the transport's never has one.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from synapse.errors import (
    ClientConnectionError,
    ClientResponseIncompleteError,
    ClientTimeoutError,
    TransportError,
)

__all__ = ["as_client_error", "facade_errors"]

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__synapse_facade_errors__"


def as_client_error(exc: TransportError) -> TransportError:
    """Return the flat client's form of ``exc`` (``exc`` itself when it already is one)."""
    if isinstance(exc, (ClientConnectionError, ClientTimeoutError)):
        return exc
    cls: type[ClientConnectionError] | type[ClientTimeoutError]
    if exc.timeout is not None:
        cls = ClientTimeoutError
    elif exc.may_have_reached_server:
        cls = ClientResponseIncompleteError
    else:
        cls = ClientConnectionError
    new = cls(
        str(exc), method=exc.method, path=exc.path, may_have_reached_server=exc.may_have_reached_server,
        timeout=exc.timeout,
    )
    new.rows_read, new.resume_page = exc.rows_read, exc.resume_page
    add_note = getattr(new, "add_note", None)  # Python >= 3.11
    if add_note is not None:
        for note in getattr(exc, "__notes__", ()):
            add_note(note)
    return new


def facade_errors(fn: F) -> F:
    """Wrap a flat-client method (or generator method) so ``TransportError`` leaves it mapped."""
    if getattr(fn, _MARK, False):
        return fn
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return mapped_iteration(fn(*args, **kwargs))

        wrapper: Callable[..., Any] = generator
    else:

        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except TransportError as exc:
                error = as_client_error(exc)
            raise error from None  # outside the except block: nothing chained

        wrapper = call
    setattr(wrapper, _MARK, True)
    return wrapper  # type: ignore[return-value]


def mapped_iteration(rows: Iterator[Any]) -> Iterator[Any]:
    """Yield from ``rows``; a ``TransportError`` part way through leaves in the flat client's form."""
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except TransportError as exc:
                error = as_client_error(exc)
                break
            yield row
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    raise error from None
