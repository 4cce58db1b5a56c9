"""HTTP servers for the WSGI app: cheroot by default, werkzeug's development server as fallback.

cheroot is fast, threaded, keeps connections alive and takes chunked request bodies;
werkzeug's server is used when cheroot is not installed.

Both bind ``host:port`` (port 0 picks a free one), serve from a background thread, expose the
client socket to the app (``environ["synapse.socket"]`` / ``"werkzeug.socket"``) so faults can
drop a connection, and stop cleanly; both set SO_REUSEADDR so a restart can take the same port.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any, Protocol

__all__ = ["HTTPServer", "make_http_server"]

log = logging.getLogger("synapse.emulator.http")


class HTTPServer(Protocol):
    """What the emulator needs from a server."""

    port: int

    def start(self) -> None:
        """Bind and serve from a background thread."""

    def stop(self) -> None:
        """Stop serving and release the port."""


class _CherootServer:
    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        from cheroot import wsgi

        class Gateway(wsgi.Gateway_10):
            def get_environ(self) -> Any:
                env: dict[str, Any] = super().get_environ()  # type: ignore[no-untyped-call]
                env["synapse.socket"] = self.req.conn.socket
                return env

        class Server(wsgi.Server):
            # The selector loop's timeout bounds how long stop() waits (default 0.5 s).
            expiration_interval = 0.05

            def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
                log.debug("cheroot: %s", msg, exc_info=traceback)

            @classmethod
            def prepare_socket(cls, *args: Any, **kwargs: Any) -> Any:
                # cheroot skips SO_REUSEADDR for port 0; without it the connections closed at
                # stop() (TIME_WAIT) keep a restart from binding the same port again.
                sock = super().prepare_socket(*args, **kwargs)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                return sock

        self._server = Server(
            (host, port),
            app,
            numthreads=threads,
            server_name="synapse-emulator",
            timeout=300,
            shutdown_timeout=5,
            request_queue_size=128,
        )
        self._server.gateway = Gateway
        self._thread: threading.Thread | None = None
        self.port = port

    def start(self) -> None:
        self._server.prepare()
        self.port = int(self._server.bind_addr[1])
        self._thread = threading.Thread(target=self._server.serve, name="synapse-emulator-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class _WerkzeugServer:
    def __init__(self, app: Any, host: str, port: int, threads: int) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Handler(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        self._server = make_server(host, port, app, threaded=True, request_handler=Handler)
        self._thread: threading.Thread | None = None
        self.port = int(self._server.server_port)

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="synapse-emulator-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def make_http_server(app: Any, host: str, port: int, *, kind: str = "auto", threads: int = 32) -> HTTPServer:
    """A server for ``app`` (not started).

    Args:
        app: the WSGI application.
        host: the address to bind (keep it on loopback).
        port: the port; 0 picks a free one.
        kind: ``"cheroot"``, ``"werkzeug"`` or ``"auto"`` (cheroot when installed).
        threads: worker threads (cheroot).
    """
    if kind == "auto":
        try:
            import cheroot  # noqa: F401
        except ImportError:
            kind = "werkzeug"
        else:
            kind = "cheroot"
    if kind == "cheroot":
        return _CherootServer(app, host, port, threads)
    if kind == "werkzeug":
        return _WerkzeugServer(app, host, port, threads)
    raise ValueError(f"unknown server kind {kind!r}: use 'cheroot', 'werkzeug' or 'auto'")
