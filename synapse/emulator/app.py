"""The WSGI application: faults, routing, authentication, rate limiting, the request log.

Order per request (DRF's): injected fault -> URL match (404) -> credentials (401) ->
rate limit (429) -> method check (405) -> handler (400/403/404/...) -> answer. A handler's
``ApiError`` rolls back its transaction; an unexpected exception is a logged 500.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter, Map, MapAdapter, RequestRedirect, Rule
from werkzeug.wsgi import get_input_stream

from synapse.emulator.context import Backend, Ctx
from synapse.emulator.faults import Faults
from synapse.emulator.requestlog import RequestLog
from synapse.emulator.routes import Route, all_routes
from synapse.emulator.wire import ApiError, Reply, dumps, status_line

__all__ = ["App"]

log = logging.getLogger("synapse.emulator")

StartResponse = Callable[..., Any]
_NOT_FOUND = Reply(404, {"detail": "Not found."})
_DRAIN_LIMIT = 1 << 30
_MATCH_CACHE_SIZE = 20_000


class IdConverter(BaseConverter):
    """An integer id in a path (at most 18 digits, so it always fits SQLite)."""

    regex = r"\d{1,18}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(value)


class App:
    """The emulator's WSGI callable.

    Args:
        backend: the shared state (store, clock, auth, jobs, uploads).
        faults: the fault registry.
        requests: the request log.
        bench_routes: also serve the benchmark-only ``_bench/`` routes.
    """

    def __init__(
        self, backend: Backend, faults: Faults, requests: RequestLog, *, bench_routes: bool = False
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.requests = requests
        self.routes, self._adapter = _routing(bench_routes)
        self._matches: dict[tuple[str, str], tuple[int, Mapping[str, Any]]] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request (the WSGI entry point)."""
        started = time.perf_counter()
        backend = self.backend
        record = self.requests.start(environ, backend.clock.now()) if self.requests.enabled else None
        ctx = Ctx(environ, backend, record)
        fault = self.faults.pick(ctx.method, ctx.path) if self.faults.active else None
        if fault is not None:
            if record is not None:
                record.fault = fault.kind
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop == "before":
                _drop(environ)
                return []
            if fault.status:
                reply = Reply(fault.status, fault.body, headers=fault.response_headers())
                self._drain(ctx)
                return self._send(ctx, reply, start_response, started)
        try:
            reply = self._dispatch(ctx)
            if record is not None:
                record.applied = True
        except ApiError as exc:
            reply = exc.reply()
        except HTTPException as exc:  # werkzeug's own: a body too large, a client gone mid-body
            reply = Reply(exc.code or 400, {"detail": exc.description or exc.name})
        except Exception:
            log.exception("emulator error on %s %s", ctx.method, ctx.path)
            reply = Reply(500, {"detail": "A server error occurred."})
        self._drain(ctx)
        if fault is not None and fault.drop == "after":
            # The handler ran and committed; the client never hears about it.
            _drop(environ)
            if record is not None:
                record.duration = time.perf_counter() - started
            return []
        return self._send(ctx, reply, start_response, started)

    # -- dispatch --------------------------------------------------------------------------
    def _dispatch(self, ctx: Ctx) -> Reply:
        method = ctx.method
        lookup = "GET" if method == "HEAD" else method
        allowed: list[str] | None = None
        cache_key = (ctx.path, lookup)
        args: Mapping[str, Any]
        hit = self._matches.get(cache_key)
        if hit is not None:
            endpoint, args = hit
        else:
            try:
                endpoint, args = self._adapter.match(ctx.path, lookup)
            except MethodNotAllowed as exc:
                allowed = sorted(exc.valid_methods or [])
                endpoint, args = self._adapter.match(ctx.path, "OPTIONS")
            except (NotFound, RequestRedirect):
                return _NOT_FOUND
            else:
                # Matching is the costliest step of a small request; paths repeat a lot.
                if len(self._matches) >= _MATCH_CACHE_SIZE:
                    self._matches.clear()
                self._matches[cache_key] = (endpoint, args)
        route = self.routes[endpoint]
        if route.auth:
            ctx.identity = self.backend.auth.authenticate(ctx.environ)
        limiter = self.faults.limiter
        if limiter is not None:
            key = ctx.identity.key if ctx.identity else "anonymous"
            wait = limiter.check(key, time.monotonic())
            if wait is not None:
                if ctx.record is not None:
                    ctx.record.fault = "rate_limit"
                seconds = max(0, int(wait)) if float(wait).is_integer() else wait
                raise ApiError(
                    429,
                    {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
                    {"Retry-After": str(seconds)},
                )
        if lookup == "OPTIONS" and allowed is None:
            methods = [*sorted(route.handlers), "OPTIONS"]
            return Reply(
                200,
                {"name": ctx.path, "renders": ["application/json"]},
                headers={"Allow": ", ".join(methods)},
            )
        handler = route.handlers.get(lookup)
        if handler is None:
            raise ApiError(
                405,
                {"detail": f'Method "{method}" not allowed.'},
                {"Allow": ", ".join(m for m in (allowed or sorted(route.handlers)) if m != "HEAD")},
            )
        result = handler(ctx, **args)
        return result if isinstance(result, Reply) else Reply(200, result)

    # -- output ----------------------------------------------------------------------------
    def _send(self, ctx: Ctx, reply: Reply, start_response: StartResponse, started: float) -> Iterable[bytes]:
        record = ctx.record
        if record is not None:
            record.status = reply.status
            record.duration = time.perf_counter() - started
        extra = list(reply.headers.items())
        if reply.stream is not None:
            start_response(
                status_line(reply.status),
                [("Content-Type", reply.content_type), ("Cache-Control", "no-cache"), *extra],
            )
            return reply.stream
        if reply.raw is not None:
            body = reply.raw
        elif reply.status == 204:
            body = b""
        else:
            body = dumps(reply.body)
        headers = [("Content-Length", str(len(body))), *extra]
        if reply.status != 204:
            headers.append(("Content-Type", reply.content_type))
        start_response(status_line(reply.status), headers)
        return [] if ctx.method == "HEAD" else [body]

    def _drain(self, ctx: Ctx) -> None:
        """Read what the handler left of the body, so the connection can be reused."""
        if ctx.body_consumed:
            return
        environ = ctx.environ
        if not environ.get("CONTENT_LENGTH") and not environ.get("wsgi.input_terminated"):
            return
        ctx.body_consumed = True
        try:
            stream = get_input_stream(environ, max_content_length=_DRAIN_LIMIT)
            head = stream.read(1 << 20)
            while stream.read(1 << 16):
                pass
        except Exception:  # a broken body on an already failed request: nothing to add
            return
        record = ctx.record
        if record is not None and record.body is None and head and "json" in ctx.mimetype:
            with contextlib.suppress(ValueError):
                record.body = json.loads(head)


@functools.lru_cache(maxsize=2)
def _routing(bench: bool) -> tuple[list[Route], MapAdapter]:
    """The routes and their compiled URL map (built once per process: compiling takes ~50 ms)."""
    routes = all_routes(bench=bench)
    rules = [
        Rule(route.rule, endpoint=index, methods=set(route.handlers) | {"OPTIONS"})
        for index, route in enumerate(routes)
    ]
    url_map = Map(rules, converters={"id": IdConverter}, strict_slashes=True)
    return routes, url_map.bind("emulator", "/")


def _drop(environ: dict[str, Any]) -> None:
    """Close the client's connection at once, without an answer."""
    sock = environ.get("synapse.socket") or environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("this server cannot drop connections")
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
