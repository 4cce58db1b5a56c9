"""The storage origin: file URLs pre-signed and served from a second loopback port.

Under ``Emulator(storage_origin=True)`` every file and download URL (data files, unit files,
model files, release archives, ground-truth event files) points at a second server, as the
real backend hands out pre-signed URLs of a storage host::

    http://127.0.0.1:<storage port>/media/data_files/1/frame_0001.png?expires=1767225600&signature=<hex>

``signature`` is an HMAC-SHA256, under a secret of this emulator, of the path and ``expires``
(seconds since the epoch, on the emulator's clock). The storage server answers ``403`` to a
request without a valid signature, to an expired one, and to any request carrying the API's
credentials (``Synapse-Access-Token``, ``SYNAPSE-Agent``, ``Synapse-Tenant``, ``Authorization``)
or a cookie, as a storage host that never sees them would. Every request it receives is
recorded in ``emu.storage_requests``, so a test can assert that no credential arrived.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from synapse.emulator.clock import Clock
from synapse.emulator.context import Backend, Ctx
from synapse.emulator.requestlog import REDACTED
from synapse.emulator.wire import ApiError, Reply, dumps, status_line

__all__ = ["CREDENTIAL_HEADERS", "StorageApp", "StorageRequest", "StorageSigner"]

#: Request headers a storage host refuses (the API's credentials, and cookies).
CREDENTIAL_HEADERS = frozenset(
    {"Synapse-Access-Token", "Synapse-Agent", "Synapse-Tenant", "Authorization", "Cookie"}
)

StartResponse = Callable[..., Any]


class StorageRequest(NamedTuple):
    """One request the storage origin received.

    Attributes:
        method: the HTTP method.
        path: the path with its leading slash, without the query string.
        headers: every request header (names in ``Title-Case``); the value of a credential
            header is replaced by ``"<redacted>"`` (its name stays, so a test can see it came).
    """

    method: str
    path: str
    headers: dict[str, str]


class StorageSigner:
    """Signs file paths into expiring storage URLs and checks them.

    Args:
        clock: the emulator's clock (expiry is read on it, so ``emu.clock.advance`` expires URLs).
        ttl: seconds a URL stays valid.
        host: the storage origin's address.
    """

    def __init__(self, clock: Clock, ttl: float, host: str) -> None:
        self.clock = clock
        self.ttl = ttl
        self.host = host
        self.port = 0
        self._secret = secrets.token_bytes(32)

    @property
    def origin(self) -> str:
        """The storage origin's root URL, ending in ``/``."""
        return f"http://{self.host}:{self.port}/"

    def _mac(self, path: str, expires: int) -> str:
        message = f"{path}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, path: str) -> str:
        """The pre-signed absolute URL of a file path (relative, URL-quoted, e.g. ``media/...``)."""
        relative = path.lstrip("/")
        expires = int(self.clock.now() + self.ttl)
        signature = self._mac("/" + unquote(relative), expires)
        return f"{self.origin}{relative}?expires={expires}&signature={signature}"

    def refusal(self, path: str, query: Mapping[str, str]) -> str | None:
        """Why a request for ``path`` (decoded, leading ``/``) is refused, or ``None`` when it is signed."""
        raw_expires, signature = query.get("expires"), query.get("signature")
        if not raw_expires or not signature:
            return "Request has expired or is not signed."
        try:
            expires = int(raw_expires)
        except ValueError:
            return "Request has expired or is not signed."
        if not hmac.compare_digest(self._mac(path, expires), signature):
            return "The request signature does not match."
        if self.clock.now() > expires:
            return "Request has expired."
        return None


def _title(key: str) -> str | None:
    if key.startswith("HTTP_"):
        return "-".join(p.capitalize() for p in key[5:].split("_"))
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return "-".join(p.capitalize() for p in key.split("_"))
    return None


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in environ.items():
        name = _title(key)
        if name is not None:
            out[name] = REDACTED if name in CREDENTIAL_HEADERS else str(value)
    return out


class StorageApp:
    """The storage origin's WSGI callable: signed ``GET``/``HEAD`` of files, nothing else.

    Args:
        backend: the emulator's shared state (the files' rows live in its store).
        signer: checks the signatures.
        handlers: rule (e.g. ``"/media/models/<id:pk>/<path:name>"``) -> handler ``(ctx, **args)``.
        converters: werkzeug converters the rules use.
    """

    def __init__(
        self,
        backend: Backend,
        signer: StorageSigner,
        handlers: Mapping[str, Callable[..., Any]],
        converters: Mapping[str, Any],
    ) -> None:
        self.backend = backend
        self.signer = signer
        self.requests: list[StorageRequest] = []
        self._lock = threading.Lock()
        self._handlers = list(handlers.values())
        url_map = Map(
            [Rule(rule, endpoint=i, methods={"GET"}) for i, rule in enumerate(handlers)],
            converters=dict(converters),
            strict_slashes=True,
        )
        self._adapter = url_map.bind("storage", "/")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request (the WSGI entry point)."""
        method = environ["REQUEST_METHOD"]
        # PEP 3333: PATH_INFO is the decoded path as latin-1 text; the signature covers UTF-8 text.
        raw_path = environ.get("PATH_INFO") or "/"
        path = raw_path.encode("latin-1", "replace").decode("utf-8", "replace")
        headers = _headers(environ)
        with self._lock:
            self.requests.append(StorageRequest(method, path, headers))
        try:
            reply = self._handle(environ, method, path, raw_path, headers)
        except ApiError as exc:
            reply = exc.reply()
        except HTTPException as exc:
            reply = Reply(exc.code or 400, {"detail": exc.description or exc.name})
        return self._send(method, reply, start_response)

    def _handle(
        self, environ: dict[str, Any], method: str, path: str, raw_path: str, headers: Mapping[str, str]
    ) -> Reply:
        if method not in ("GET", "HEAD"):
            raise ApiError(405, {"detail": f'Method "{method}" not allowed.'}, {"Allow": "GET, HEAD"})
        sent = sorted(CREDENTIAL_HEADERS.intersection(headers))
        if sent:
            # A storage host never gets the API's credentials: refuse the request outright.
            raise ApiError(403, {"detail": f"Credentials are not accepted here ({', '.join(sent)})."})
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        refusal = self.signer.refusal(path, query)
        if refusal is not None:
            raise ApiError(403, {"detail": refusal})
        try:
            endpoint, args = self._adapter.match(raw_path, "GET")
        except HTTPException:
            raise ApiError(404, {"detail": "Not found."}) from None
        result = self._handlers[endpoint](Ctx(environ, self.backend, None), **args)
        return result if isinstance(result, Reply) else Reply(200, result)

    @staticmethod
    def _send(method: str, reply: Reply, start_response: StartResponse) -> Iterable[bytes]:
        extra = list(reply.headers.items())
        if reply.stream is not None:
            start_response(status_line(reply.status), [("Content-Type", reply.content_type), *extra])
            if method == "HEAD":
                close = getattr(reply.stream, "close", None)
                if close is not None:
                    close()
                return []
            return reply.stream
        body = reply.raw if reply.raw is not None else dumps(reply.body)
        headers = [("Content-Type", reply.content_type), *extra]
        if not any(k.lower() == "content-length" for k, _ in extra):
            headers.append(("Content-Length", str(len(body))))
        start_response(status_line(reply.status), headers)
        return [] if method == "HEAD" else [body]
