"""One exception hierarchy for everything the SDK raises.

::

    SynapseError
    ├── ConfigurationError          settings missing or unsafe (no base URL, no credential, plain http)
    ├── TransportError              no HTTP answer: connection refused, reset, timed out
    │   ├── ClientConnectionError   (also a ClientError, status_code None) the flat client's form
    │   │   └── ClientResponseIncompleteError   sent, then the connection broke: may have been applied
    │   └── ClientTimeoutError      (also a ClientError, status_code 408) the flat client's form
    ├── ClientError                 the server answered with an HTTP error status
    │   ├── ValidationError         400, with per-field messages in ``errors``
    │   ├── AuthenticationError     401
    │   ├── PermissionDenied        403
    │   ├── NotFound                404
    │   ├── MethodNotAllowed        405
    │   ├── Conflict                409
    │   ├── Gone                    410 (an expired chunked upload)
    │   ├── RateLimited             429, with ``retry_after``
    │   └── ServerError             5xx
    ├── MalformedAnswer             a 2xx answer that cannot be read at all (names the route)
    │   └── PaginationError         a page envelope that cannot be followed (no results, a loop)
    ├── UploadError                 checksum mismatch, upload that cannot be completed
    ├── DownloadConflict            a download's exact target name holds a file of other content
    ├── UnsafeDownloadPath          (also a ValueError) a download target outside its folder
    ├── NotDownloaded               (also a FileNotFoundError) a dataset item not in the local cache
    ├── FormatError                 (also a ValueError) a document that cannot be read as DM
    ├── JobError                    a job did not end well (carries the job as ``job``)
    │   ├── JobFailed               it ended FAILED
    │   ├── JobStopped              it ended STOPPED
    │   └── JobTimeout              it did not end in time
    └── UnsafeURLError              an absolute URL from the server points to another origin

No message, attribute or ``repr`` of an error ever holds a credential: errors carry the
HTTP method and the *path* of the request, not headers and not the full URL.

The three ``Client...Error`` classes under ``TransportError`` keep the original SDK's contract
for its flat client (``synapse.clients.backend.BackendClient``), where every failure is a
``ClientError``: that client raises them where the object model raises a plain
``TransportError``. Each is both, so ``except ClientError`` and ``except TransportError`` each
catch it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AuthenticationError",
    "ClientConnectionError",
    "ClientError",
    "ClientResponseIncompleteError",
    "ClientTimeoutError",
    "ConfigurationError",
    "Conflict",
    "DownloadConflict",
    "FormatError",
    "Gone",
    "JobError",
    "JobFailed",
    "JobStopped",
    "JobTimeout",
    "MalformedAnswer",
    "MethodNotAllowed",
    "NotDownloaded",
    "NotFound",
    "PaginationError",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "SynapseError",
    "TransportError",
    "UnsafeDownloadPath",
    "UnsafeURLError",
    "UploadError",
    "ValidationError",
    "error_for_status",
]


class SynapseError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        rows_read: on an error raised part way through ``for obj in qs``, the rows read before
            it (``qs[rows_read:]`` reads the rest); None otherwise.
        resume_page: on an error raised part way through ``qs.pages()``, the first page not
            read (``qs.pages(page=resume_page)`` goes on); None otherwise.
    """

    rows_read: int | None = None
    resume_page: int | None = None

    if sys.version_info < (3, 11):

        def add_note(self, note: str) -> None:
            """Keep ``note`` in ``__notes__``, as Python 3.11's ``add_note`` does (3.10 prints none)."""
            self.__notes__ = [*getattr(self, "__notes__", []), note]


class ConfigurationError(SynapseError):
    """The client's settings are missing, contradictory or unsafe."""


class UnsafeURLError(SynapseError):
    """An absolute URL handed out by the server leaves the configured origin.

    The SDK refuses to follow it, so credentials are never sent to another host.
    """

    def __init__(self, message: str, *, url_origin: str = "", expected_origin: str = "") -> None:
        super().__init__(message)
        self.url_origin = url_origin
        self.expected_origin = expected_origin


class TransportError(SynapseError):
    """The request got no HTTP answer (connection refused or dropped, timeout).

    Attributes:
        method: the HTTP method of the request.
        path: the request path (no query string, no host).
        may_have_reached_server: ``False`` when the request provably never reached the
            server (the connection could not be opened); ``True`` when it may have been
            received and acted upon, so a write may or may not have been applied.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        may_have_reached_server: bool = True,
        timeout: float | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.may_have_reached_server = may_have_reached_server
        self.timeout = timeout

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.args, {k: v for k, v in self.__dict__.items()}),
        )


class ClientError(SynapseError):
    """The server answered with an HTTP error status.

    Attributes:
        status_code: the HTTP status, e.g. 404.
        detail: the server's message (DRF ``detail``, or a summary of field errors, or text).
        errors: per-field messages for a 400 (``{"field": ["message", ...]}``), else ``{}``.
        method: the HTTP method of the request.
        path: the request path (never the host, the query string or any header).
        body: the decoded error body, when there was one.
        retry_after: the server's ``Retry-After`` in seconds, when it sent one (429, 503).
    """

    default_status: int = 0
    retry_after: float | None = None

    def __init__(
        self,
        status_code: int | None = None,
        detail: Any = None,
        *,
        errors: Mapping[str, list[str]] | None = None,
        method: str = "",
        path: str = "",
        body: Any = None,
    ) -> None:
        self.status_code: int = int(status_code if status_code is not None else self.default_status)
        self.detail: Any = detail
        self.errors: dict[str, list[str]] = dict(errors or {})
        self.method = method
        self.path = path
        self.body = body
        super().__init__(self._message())

    # Read-only aliases kept for code written against the original SDK.
    @property
    def status(self) -> int:
        """Alias of ``status_code`` (the original SDK's name)."""
        return self.status_code

    @property
    def reason(self) -> Any:
        """Alias of ``detail`` (the original SDK's name)."""
        return self.detail

    def _message(self) -> str:
        where = f" on {self.method} {self.path}" if self.method or self.path else ""
        text = self.detail if self.detail not in (None, "") else "no detail"
        return f"{self.status_code}{where}: {text}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}({self.status_code}, {self.detail!r}, method={self.method!r}, path={self.path!r})"


class _NoAnswer:
    """How the flat client's no-answer errors are built and shown (a mixin, not an error itself)."""

    method: str
    path: str

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        may_have_reached_server: bool = True,
        timeout: float | None = None,
    ) -> None:
        _no_answer(self, message, method, path, may_have_reached_server, timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, method={self.method!r}, path={self.path!r})"


class ClientConnectionError(_NoAnswer, TransportError, ClientError):
    """No HTTP answer, as the flat client reports it: the server could not be reached.

    A ``TransportError`` (``method``, ``path``, ``may_have_reached_server``) that is also a
    ``ClientError`` with ``status_code`` None, as in the original SDK, so ``except ClientError
    as e: ... e.status_code`` catches outages through ``BackendClient`` too. ``detail`` is the
    message. The object model raises a plain ``TransportError`` instead.
    """

    status_code: int | None  # type: ignore[assignment]  # None: no HTTP status (the original's contract)


class ClientResponseIncompleteError(ClientConnectionError):
    """The request was sent and the connection broke before the whole answer came back.

    A write may have been applied on the server: read the state back before sending it again.
    """


class ClientTimeoutError(_NoAnswer, TransportError, ClientError):
    """No answer in time, as the flat client reports it: ``status_code`` 408, as in the original SDK.

    Also a ``TransportError``: ``timeout`` is the limit that ran out, ``may_have_reached_server``
    says whether the request was sent (a read timeout) or not (a connect timeout).
    """

    default_status = 408


def _no_answer(
    err: Any,
    message: str,
    method: str,
    path: str,
    may_have_reached_server: bool,
    timeout: float | None,
) -> None:
    """Fill both halves of a no-answer error: its ``TransportError`` and ``ClientError`` fields.

    ``err`` is a ``ClientConnectionError`` or a ``ClientTimeoutError``.
    """
    SynapseError.__init__(err, message)  # not the two bases' __init__: their signatures differ
    err.method = method
    err.path = path
    err.may_have_reached_server = may_have_reached_server
    err.timeout = timeout
    err.status_code = err.default_status if isinstance(err, ClientTimeoutError) else None
    err.detail = message
    err.errors = {}
    err.body = None


class ValidationError(ClientError):
    """400 Bad Request; ``errors`` maps each field to its messages.

    Also raised by the SDK itself, before any request, for input it can tell is wrong
    (then ``status_code`` is 400 and ``method``/``path`` are empty).
    """

    default_status = 400


class AuthenticationError(ClientError):
    """401: the credential is missing, unknown or expired."""

    default_status = 401


class PermissionDenied(ClientError):
    """403: the credential is valid but may not do this."""

    default_status = 403


class NotFound(ClientError):
    """404: no such resource (or not visible to this credential)."""

    default_status = 404


class MethodNotAllowed(ClientError):
    """405: the route does not accept this HTTP method."""

    default_status = 405


class Conflict(ClientError):
    """409: the write conflicts with the resource's current state."""

    default_status = 409


class Gone(ClientError):
    """410: the resource existed but is gone (an expired chunked upload)."""

    default_status = 410


class RateLimited(ClientError):
    """429: too many requests; ``retry_after`` is the server's advice in seconds, if any."""

    default_status = 429

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(ClientError):
    """5xx: the server failed; the request may or may not have been applied."""

    default_status = 500


class MalformedAnswer(SynapseError):
    """A 2xx answer that does not have the shape API.md gives (e.g. a row that is not an object).

    Only for answers that cannot be read at all; a missing or unexpanded field is read, not refused.

    Attributes:
        path: the request path the answer came from, when known.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self),), {"path": self.path})


class PaginationError(MalformedAnswer):
    """A page envelope that cannot be followed: no ``results``, no ``count``, a ``next`` link that loops."""


class UnsafeDownloadPath(SynapseError, ValueError):
    """The download's target would be outside ``dest`` or is a symlink; nothing was written."""


class NotDownloaded(SynapseError, FileNotFoundError):
    """A dataset item (or the dataset) is not in the local cache yet: run ``ds.download()`` first."""


class FormatError(SynapseError, ValueError):
    """A document or file that cannot be read at all as its format (DM: not a mapping, rows not objects)."""


class UploadError(SynapseError):
    """A chunked upload could not be completed, or its checksum did not match.

    Attributes:
        upload_id: the server's id of the upload, when one was created (use it to resume).
        expected: the MD5 the client computed, for a checksum mismatch.
        actual: the MD5 the server reported, for a checksum mismatch.
    """

    def __init__(
        self,
        message: str,
        *,
        upload_id: str | None = None,
        expected: str | None = None,
        actual: str | None = None,
    ) -> None:
        super().__init__(message)
        self.upload_id = upload_id
        self.expected = expected
        self.actual = actual

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class DownloadConflict(SynapseError):
    """A download would overwrite a file of other content under the name the caller asked for.

    Nothing was written. Without an explicit ``filename`` a clash never raises: the file gets a
    name of its own (see ``synapse.services.downloads``).

    Attributes:
        path: the local path that already exists.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class JobError(SynapseError):
    """A job did not finish successfully; the job is in ``job``."""

    def __init__(self, message: str, job: Any = None) -> None:
        super().__init__(message)
        self.job = job

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class JobFailed(JobError):
    """The job ended in ``FAILED``; its result or error is on ``job.result``."""


class JobStopped(JobError):
    """The job ended in ``STOPPED`` (someone stopped it) before succeeding."""


class JobTimeout(JobError):
    """The job was still running when the wait's timeout ran out."""


_BY_STATUS: dict[int, type[ClientError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    429: RateLimited,
}


def error_for_status(status_code: int) -> type[ClientError]:
    """Return the ``ClientError`` subclass for an HTTP status code.

    Args:
        status_code: an HTTP error status (400 or more).

    Returns:
        The most specific class; ``ServerError`` for any 5xx, ``ClientError`` otherwise.
    """
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, ClientError)


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> BaseException:
    """Unpickle an error without calling its ``__init__`` (its signature differs from ``args``)."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err
