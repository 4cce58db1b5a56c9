"""The one place the SDK speaks HTTP: auth, timeouts, retries, errors, pagination, redaction.

This is the only module that imports ``requests``. Everything goes through
``Transport._send``, so logging, hooks, retries and redaction live in one loop.

Why not urllib3's ``Retry`` (2.x): our adapters are mounted with ``max_retries=0`` (send exactly
once) and the loop here decides, because ``Retry``
(1) filters statuses through one method list, so it cannot say "POST on 429/503 but not on
502/504" (and it retries any connect error for every method, but read errors per that list);
(2) clamps a long ``Retry-After`` to ``retry_after_max`` and sleeps that long, where we must not
wait at all and raise with ``retry_after`` instead;
(3) has additive jitter (``backoff_jitter``), not full jitter, and no time budget across attempts;
(4) sleeps with ``time.sleep`` inside the adapter, invisible to our logging, hooks and injected
clock (and requests-mock replaces the adapter, so its retries could not be tested);
(5) cannot tell a replayable body from a consumed iterator.

Streamed bodies: a body that is an iterator (or a non-seekable file) cannot be replayed. Such a
request is resent only after a failure to connect (nothing was read from it); never after it
was (even partly) sent, whatever the method. Seekable files are rewound before a retry.

Credentials go to the configured origin only. The one request that leaves it is deliberate:
``send(..., credentials=False)`` fetches an absolute http(s) URL (a storage host's pre-signed
file URL) through a second, bare session that carries no auth or tenant header and keeps no
cookie, on every redirect too, with the same timeouts and retry plan.
"""

from __future__ import annotations

import http
import http.cookiejar
import logging
import os
import platform
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import attrs
import requests
import requests.utils
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from synapse._version import __version__
from synapse.config import Config, RetryPolicy, is_loopback, origin_of, timeout_pair
from synapse.errors import ClientError, TransportError
from synapse.http import encoding, redaction
from synapse.http.encoding import ReplayableBody
from synapse.http.origin import OriginGuard
from synapse.http.pagination import Page, PaginationMixin
from synapse.http.responses import decode_body, error_from_answer
from synapse.http.retries import RetryBudget, RetryPlan, describe_cause, exception_chain, parse_retry_after

__all__ = ["AUTH_HEADERS", "Page", "RequestEvent", "SupportsTransport", "Transport", "transport_of"]

logger = logging.getLogger("synapse")

# API.md "Auth headers": every header that carries a credential, stripped off-origin.
AUTH_HEADERS = ("Synapse-Access-Token", "SYNAPSE-Agent", "Synapse-Tenant", "Authorization")
_CREDENTIAL_NAMES = frozenset(name.lower() for name in (*AUTH_HEADERS, "Cookie"))
_POOL_SIZE = 32  # connections kept per host: enough for the thread pools uploads use
# Failures before anything is sent that repeat identically: never retried.
_PERMANENT = (
    requests.exceptions.SSLError,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


@attrs.frozen
class RequestEvent:
    """What a request hook receives after each HTTP exchange (no headers, no token)."""

    method: str
    path: str
    status: int | None
    elapsed_ms: float
    attempt: int
    error: BaseException | None = None


class Transport(PaginationMixin):
    """Sends requests to one backend origin and returns decoded JSON or raises a typed error.

    Args:
        config: the resolved settings (base URL, credentials, timeouts, retry policy).
        session: a ``requests.Session`` to use instead of a new one (tests); the transport
            sets its headers, ``trust_env`` and redirect hook.
        sleep: how to wait between retries (tests inject a fake).
        clock: a monotonic clock (tests inject a fake).
        rng: the random source of the backoff jitter (tests inject a seeded one).
    """

    config: Config
    base_url: str  # always ends with "/"
    last_response: Any  # the last requests.Response, for inspection in a REPL

    def __init__(
        self,
        config: Config,
        *,
        session: Any = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        redaction.configure_from_env()
        self.config = config
        self.base_url = config.base_url if config.base_url.endswith("/") else config.base_url + "/"
        self.last_response = None
        self._guard = OriginGuard(self.base_url)
        self._secrets = config.secrets()
        redaction.register_secrets(self._secrets)
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._rng = rng or random.Random()
        self._hooks: tuple[Callable[[RequestEvent], None], ...] = ()
        self._lock = threading.Lock()
        self._session: requests.Session = session if session is not None else _new_session()
        # Proxies and CA bundle: read from the environment once, here, not on every request
        # (requests re-reads them per call; see _environment_settings).
        self._session.trust_env = False
        self._proxies, self._verify = _environment_settings(self.base_url, config.verify)
        self._session.headers.update(self._default_headers())
        original_rebuild_auth = self._session.rebuild_auth

        def rebuild_auth(prepared: requests.PreparedRequest, response: requests.Response) -> None:
            # requests strips only Authorization on a host change: drop every credential
            # header whenever a redirect leaves the configured origin, and the cookie a
            # redirect answer may have set (requests carries it to the next hop).
            original_rebuild_auth(prepared, response)
            if not self.same_origin(prepared.url or ""):
                for name in (*AUTH_HEADERS, "Cookie"):
                    prepared.headers.pop(name, None)

        self._session.rebuild_auth = rebuild_auth  # type: ignore[method-assign]
        self._bare_session: requests.Session | None = None  # created on the first bare request

    def __reduce__(self) -> tuple[Any, ...]:
        # Credentials travel on purpose (in the configuration): a worker process rebuilds a
        # working transport from them. Hooks, session and clock stay with the original.
        return (Transport, (self.config,))

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    # --- URLs -----------------------------------------------------------------------------

    def same_origin(self, url: str) -> bool:
        """Return True when ``url`` has the configured scheme, host and port."""
        return self._guard.same_origin(url)

    def url(self, path: str) -> str:
        """Return the absolute URL for ``path``; raise ``UnsafeURLError`` for another origin.

        ``path`` is relative to ``base_url`` or an absolute URL of the same origin (an ``http``
        link to our own ``https`` host is upgraded); see ``OriginGuard.resolve``.
        """
        return self._guard.resolve(path)

    # --- requests -------------------------------------------------------------------------

    def retry_budget(
        self,
        method: str = "PUT",
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> RetryBudget:
        """The retry plan of ``method`` as a budget for a loop of several requests (a chunked upload).

        It waits by the same rule as this transport's own retries, with its clock and random
        source; ``sleep`` replaces its sleep (tests pass a fake).

        Args:
            method: the method whose plan applies (``PUT``: 429/502/503/504 and dropped connections).
            policy: the budget (default: the client's ``RetryPolicy``).
            sleep: how to wait between attempts.
        """
        plan = RetryPlan.for_request(method, policy or self.config.retries, replayable=True)
        return RetryBudget(plan, clock=self._clock, sleep=sleep or self._sleep, rng=self._rng)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        retry: RetryPolicy | bool | None = None,
        redact: tuple[str, ...] = (),
    ) -> Any:
        """Send one logical request (with retries) and return the decoded body.

        JSON body -> decoded object; 204 or empty -> None; non-JSON -> text.
        Raises ``ClientError`` subclasses, ``TransportError``, ``UnsafeURLError``.
        ``retry=False`` sends once; ``None`` uses the client's policy. ``redact`` names more
        strings to show as ``***`` in log lines, hook events and errors (a credential the
        protocol puts in the path, such as the agent token of the health check).
        """
        response = self._send(
            method, path, params=params, json=json, data=data, files=files, headers=headers,
            timeout=timeout, retry=retry, stream=False, redact=redact,
        )
        return decode_body(response.content, response.headers.get("Content-Type"), response.status_code)

    def send(
        self, method: str, path: str, *, stream: bool = False, credentials: bool = True, **kwargs: Any
    ) -> Any:
        """Like ``request`` but return the ``requests.Response`` (errors still raised).

        For downloads and event streams (``stream=True``: read the body, then close it).

        ``credentials=False`` fetches an absolute ``http(s)`` URL of any host with no credentials
        at all: no auth or tenant header (any in ``headers`` are dropped), no cookie, also after
        a redirect; same timeouts and retries. This is how file URLs on a storage host
        (pre-signed) are downloaded; with credentials, a URL of another origin is refused.

        Raises:
            UnsafeURLError: another origin with credentials; not an absolute http(s) URL without.
        """
        return self._send(method, path, stream=stream, credentials=credentials, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """``request("GET", ...)``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        """``request("POST", ...)``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        """``request("PUT", ...)``."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        """``request("PATCH", ...)``."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        """``request("DELETE", ...)``."""
        return self.request("DELETE", path, **kwargs)

    # --- hooks and lifecycle ----------------------------------------------------------------

    def add_hook(self, hook: Callable[[RequestEvent], None]) -> None:
        """Call ``hook`` after every HTTP exchange (each attempt).

        Hooks run in the thread that made the request; an exception from a hook propagates.
        """
        with self._lock:
            self._hooks = (*self._hooks, hook)

    def remove_hook(self, hook: Callable[[RequestEvent], None]) -> None:
        """Stop calling ``hook`` (no error when it was not added)."""
        with self._lock:
            self._hooks = tuple(h for h in self._hooks if h != hook)

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()
        if self._bare_session is not None:
            self._bare_session.close()

    def _bare(self) -> requests.Session:
        """The session of requests sent without credentials (no auth headers, no cookies)."""
        with self._lock:
            if self._bare_session is None:
                session = _new_session()
                session.trust_env = False  # no .netrc credentials either
                session.headers["User-Agent"] = self._session.headers["User-Agent"]

                def strip(prepared: requests.PreparedRequest, response: requests.Response) -> None:
                    for name in (*AUTH_HEADERS, "Cookie"):  # never any, whatever the redirect
                        prepared.headers.pop(name, None)

                session.rebuild_auth = strip  # type: ignore[method-assign]
                self._bare_session = session
            return self._bare_session

    # --- the loop ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | tuple[float, float] | None = None,
        retry: RetryPolicy | bool | None = None,
        stream: bool = False,
        redact: tuple[str, ...] = (),
        credentials: bool = True,
    ) -> requests.Response:
        method = method.upper()
        session, proxies, verify = self._session, self._proxies, self._verify
        if credentials:
            url = self.url(path)
        else:
            url = self._guard.bare_url(path)
            session = self._bare()
            proxies, verify = _environment_settings(url, self.config.verify)
        scrub = self._redact if not redact else self._redactor(redact)
        shown = self._path(url, scrub)
        extra = dict(headers or {})
        if not credentials:
            extra = {k: v for k, v in extra.items() if k.lower() not in _CREDENTIAL_NAMES}
        if json is not None:
            data = encoding.dumps(json)
            extra.setdefault("Content-Type", "application/json")
        elif files is not None and isinstance(data, Mapping):
            data = encoding.form_fields(data)
        prepared = session.prepare_request(
            requests.Request(
                method, url, params=encoding.query(params), data=data, files=files, headers=extra
            )
        )
        body = ReplayableBody(prepared.body)
        # The decision is taken once, before the first attempt (stripe style).
        policy: RetryPolicy | None = None
        if retry is None or retry is True:
            policy = self.config.retries
        elif isinstance(retry, RetryPolicy):
            policy = retry
        plan = RetryPlan.for_request(method, policy, replayable=body.replayable)
        connect, read = timeout_pair(timeout, self.config.timeout)
        start = self._clock()
        attempt = 0
        maybe_applied = False  # an earlier attempt may have been processed, its answer lost
        while True:
            attempt += 1
            remaining = plan.policy.total_timeout - (self._clock() - start)
            limits = (max(min(connect, remaining), 0.001), max(min(read, remaining), 0.001))
            began = self._clock()
            failure: TransportError | None = None
            try:
                response = session.send(
                    prepared, timeout=limits, proxies=proxies, verify=verify,
                    stream=True, allow_redirects=True,
                )
                if not stream:
                    _read_body(response)
            except requests.RequestException as exc:
                error = self._transport_error(exc, method, shown, limits, attempt, scrub,
                                              None if credentials else origin_of(url))
                self._after_attempt(method, shown, None, began, attempt, error)
                reached = error.may_have_reached_server
                retryable = (plan.after_send_errors if reached else plan.before_send_errors) and (
                    _retryable_exception(exc)
                )
                wait = plan.wait(attempt, self._clock() - start, None, self._rng) if retryable else None
                if wait is not None and _refused(exc):
                    # Nothing listens there: a restart may be under way, a typo will not heal.
                    # One quick retry, not the reset schedule.
                    wait = None if attempt > 1 else min(wait, _REFUSED_WAIT)
                if wait is None:
                    failure = error
                else:
                    self._retry_after_wait(method, shown, attempt, plan, wait, type(exc).__name__)
                    maybe_applied = maybe_applied or reached
                    body.rewind()
                    continue
            if failure is not None:
                # Raised outside the except block, so no __context__ holds requests' exception,
                # whose .request carries our headers (tblib, as Dask installs it, pickles it).
                raise failure from None
            self.last_response = response
            status = response.status_code
            self._after_attempt(method, shown, status, began, attempt, None)
            if status < 400:
                return response
            if status == 404 and method == "DELETE" and maybe_applied:
                # DELETE is idempotent (RFC 9110 9.2.2): an earlier attempt whose answer was lost
                # deleted the object, and "gone" is what the caller asked for.
                logger.info("%s %s: 404 after a lost answer; the earlier attempt deleted it", method, shown)
                response.status_code = 204
                return response
            answer = self._client_error(response, method, shown, scrub)
            if status not in plan.statuses:
                raise answer
            wait = plan.wait(attempt, self._clock() - start, answer.retry_after, self._rng)
            if wait is None:
                raise answer
            response.close()
            maybe_applied = maybe_applied or status in (502, 504)  # a gateway lost the answer
            why = f"{status} {response.reason or _phrase(status) or ''}".strip()
            self._retry_after_wait(method, shown, attempt, plan, wait, why)
            body.rewind()

    def _retry_after_wait(
        self, method: str, path: str, attempt: int, plan: RetryPlan, wait: float, why: str
    ) -> None:
        logger.info(
            "retrying %s %s after %s: attempt %d of %d in %.2f s",
            method, path, why, attempt + 1, plan.policy.max_retries + 1, wait,
        )
        self._sleep(wait)

    def _after_attempt(
        self, method: str, path: str, status: int | None, began: float, attempt: int,
        error: BaseException | None,
    ) -> None:
        elapsed_ms = (self._clock() - began) * 1000.0
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s %s -> %s in %.1f ms", method, path, status or "no answer", elapsed_ms)
        hooks = self._hooks
        if hooks:
            event = RequestEvent(method, path, status, elapsed_ms, attempt, error)
            for hook in hooks:
                hook(event)

    def _client_error(
        self, response: requests.Response, method: str, path: str, scrub: Callable[[str], str]
    ) -> ClientError:
        try:
            content = response.content
        except requests.RequestException:
            content = b""
        content_type = response.headers.get("Content-Type")
        body = decode_body(content, content_type, response.status_code)
        if isinstance(body, str) and "json" not in (content_type or "").lower():
            body = encoding.maybe_json(body)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        error = error_from_answer(
            response.status_code, body, reason=response.reason or _phrase(response.status_code),
            method=method, path=path,
            retry_after=retry_after, redact=scrub,
        )
        if response.status_code == 401 and self._guard.origin == origin_of(response.url or ""):
            # Say which credential was refused and where it came from; never its value.
            sent = self.config.describe_credentials()
            error.args = (f"{error.args[0] if error.args else error.detail} (credentials: {sent})",)
        return error

    def _transport_error(
        self, exc: requests.RequestException, method: str, path: str, limits: tuple[float, float],
        attempt: int, scrub: Callable[[str], str], origin: str | None = None,
    ) -> TransportError:
        cause = scrub(describe_cause(exc))
        tries = f" (attempt {attempt})" if attempt > 1 else ""
        where = f"{method} {path}"
        if isinstance(exc, requests.ConnectTimeout):
            message = f"{where}: could not connect within {limits[0]:g} s (connect timeout){tries}; not sent"
            return TransportError(message, method=method, path=path, may_have_reached_server=False,
                                  timeout=limits[0])
        if isinstance(exc, requests.ReadTimeout):
            message = (f"{where}: no answer within {limits[1]:g} s (read timeout){tries}; "
                       "the request may have reached the server")
            return TransportError(message, method=method, path=path, may_have_reached_server=True,
                                  timeout=limits[1])
        if _never_sent(exc):
            host = origin or self._guard.origin
            message = f"{where}: could not connect to {host} ({cause}){tries}; not sent"
            if _refused(exc) and origin is None:
                source = self.config.sources.get("base_url", "argument")
                message += (f". Is the server running at {host}? The base URL {self.config.base_url} "
                            f"came from {_source_name(source)}")
            return TransportError(message, method=method, path=path, may_have_reached_server=False)
        message = f"{where}: connection failed ({cause}){tries}; the request may have reached the server"
        return TransportError(message, method=method, path=path, may_have_reached_server=True)

    # --- helpers --------------------------------------------------------------------------

    def _default_headers(self) -> dict[str, str]:
        c = self.config
        python = ".".join(platform.python_version_tuple()[:2])
        headers = {
            "User-Agent": f"synapse-orm/{__version__} python/{python} requests/{requests.__version__}",
            "Accept": "application/json",
        }
        # API.md "Auth headers": each sent only when set; "Token " is part of the value.
        values = (c.api_token, c.agent_token, c.tenant, c.user_token)
        for name, value in zip(AUTH_HEADERS, values, strict=True):
            if value:
                headers[name] = f"Token {value}"
        return headers

    def _path(self, url: str, scrub: Callable[[str], str] | None = None) -> str:
        """The path of ``url`` for logs and errors: no host, no query, no credential."""
        return (scrub or self._redact)(urlsplit(url).path or "/")

    def _redact(self, text: str) -> str:
        return redaction.redact(text, self._secrets)

    def _redactor(self, more: tuple[str, ...]) -> Callable[[str], str]:
        """``_redact`` that also hides ``more`` (longest first: a secret containing another goes whole)."""
        secrets = tuple(sorted({*self._secrets, *more} - {""}, key=len, reverse=True))
        return lambda text: redaction.redact(text, secrets)


class SupportsTransport(Protocol):
    """Anything that carries a transport, such as ``synapse.Client``: services accept it too."""

    @property
    def transport(self) -> Transport:
        """The transport every request goes through."""


def transport_of(source: Transport | SupportsTransport) -> Transport:
    """The transport itself, or the one ``source`` carries (``client.transport``).

    Raises:
        TypeError: ``source`` is neither.
    """
    if isinstance(source, Transport):
        return source
    transport = getattr(source, "transport", None)
    if not isinstance(transport, Transport):
        raise TypeError(f"expected a Transport or a Client, got {type(source).__name__}")
    return transport


_BODY_CHUNK = 1 << 20
"""Bytes asked of the socket per read of a body (requests asks 10 KiB at a time)."""


def _read_body(response: requests.Response) -> None:
    """Read the whole body into ``response.content``, as requests does, in large reads.

    What ``requests`` does for ``stream=False`` (``b"".join(iter_content(...))``, the same errors),
    but 1 MiB a read instead of 10 KiB: a page of a few hundred KiB takes a few socket reads, so
    a thread reading pages while another converts them waits for the GIL a few times a page, not
    dozens.
    """
    response._content = b"".join(response.iter_content(_BODY_CHUNK)) or b""  # what .content caches


def _new_session() -> requests.Session:
    session = requests.Session()
    # Token auth is stateless: keep no cookies, so a server-set session cookie cannot switch
    # the backend to cookie auth (and its CSRF checks) behind our back.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    # Our loop retries (see the module docstring), so the adapters send exactly once.
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=_POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _environment_settings(base_url: str, verify: bool | str) -> tuple[dict[str, str], bool | str]:
    """Resolve proxies and the CA bundle for our origin once, as requests would per call.

    Honours ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY``/``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``/
    ``CURL_CA_BUNDLE``. Loopback hosts never go through a proxy (requests on Linux would send
    127.0.0.1 to the proxy unless NO_PROXY lists it; a proxy cannot reach our loopback).
    """
    parts = urlsplit(base_url)
    proxies: dict[str, str] = {}
    if not is_loopback(parts.hostname):
        found = requests.utils.get_environ_proxies(base_url)  # {} when NO_PROXY matches
        proxy = found.get(parts.scheme) or found.get("all")
        if proxy:
            proxies[parts.scheme] = proxy
    if verify is True:
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return proxies, verify


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection could not be opened, so the request was provably not sent."""
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.ProxyError, *_PERMANENT)):
        return True
    return any(isinstance(e, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError))
               for e in exception_chain(exc))


_REFUSED_WAIT = 0.5  # seconds before the one retry of a refused connection


def _source_name(source: str) -> str:
    """Say where a setting came from: ``env:SYNAPSE_BASE_URL`` -> ``the environment variable ...``."""
    kind, _, name = source.partition(":")
    names = {"env": "the environment variable", "profile": "the profile", "file": "the config file"}
    if kind in names and name:
        return f"{names[kind]} {name}"
    if source == "default":
        return "the default (no argument, environment variable or profile set it)"
    return "the argument" if source == "argument" else source


def _refused(exc: requests.RequestException) -> bool:
    """True when the host answered that nothing listens on the port (ECONNREFUSED)."""
    return any(isinstance(e, ConnectionRefusedError) for e in exception_chain(exc))


def _retryable_exception(exc: requests.RequestException) -> bool:
    """Certificate problems and malformed requests fail the same way every time."""
    return not isinstance(exc, (*_PERMANENT, requests.exceptions.TooManyRedirects))


def _phrase(status: int) -> str | None:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return None
