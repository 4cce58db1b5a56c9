"""``Emulator``: the local Synapse backend, a real HTTP server on loopback over SQLite."""

from __future__ import annotations

import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from synapse.emulator.app import App, IdConverter
from synapse.emulator.auth import Auth, TokenScopes
from synapse.emulator.checksums import CHECKSUMS, rehash_data_files
from synapse.emulator.clock import Clock
from synapse.emulator.context import Backend, Settings
from synapse.emulator.faults import Faults
from synapse.emulator.httpserver import HTTPServer, make_http_server
from synapse.emulator.jobs import JobRunner
from synapse.emulator.multipart import UploadHashes
from synapse.emulator.presign import StorageApp, StorageRequest, StorageSigner
from synapse.emulator.requestlog import RequestLog
from synapse.emulator.routes.media import STORAGE_HANDLERS
from synapse.emulator.seed import SEEDS
from synapse.emulator.store import Store

__all__ = ["Emulator"]

_C = TypeVar("_C")

DEFAULT_TOKENS: dict[str, str] = {"dev-token": "*"}
LIST_RELATIONS = ("ids", "expanded")

# Emulators still serving when the interpreter exits are stopped before Python waits for the
# server's worker threads (which are not daemon threads), so a forgotten close() cannot hang
# the process. ``threading._register_atexit`` is the hook concurrent.futures uses for this.
_RUNNING: weakref.WeakSet[Emulator] = weakref.WeakSet()


def _stop_running() -> None:
    for emulator in list(_RUNNING):
        emulator.stop()


_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:
    _register_atexit(_stop_running)


class Emulator:
    """A local Synapse backend speaking API.md over HTTP on ``127.0.0.1``.

    Use it as a context manager (``with Emulator(seed="demo") as emu:``) or call ``start()``
    and ``close()``. ``stop()`` then ``start()`` restarts the HTTP server on the same port with
    the same database (in-memory data survives too, since the emulator object holds it); a
    new ``Emulator(db=path, port=...)`` over the same file database also picks up where the
    last one stopped.

    Args:
        seed: ``"demo"`` for the demo workspace (see ``synapse.emulator.seed``), ``None`` for
            an empty one. A file database that already holds data is never re-seeded.
        tokens: token -> ``"*"`` (every project) or a list of project ids it may see. Default
            ``{"dev-token": "*"}``. ``emu.token`` is the first one.
        host: the address to bind (loopback).
        port: the port; 0 picks a free one (kept across ``stop()``/``start()``).
        db: a SQLite file path, or ``None`` for an in-memory database.
        data_dir: where uploaded bytes go. Default: a temporary folder removed by ``close()``,
            or ``<db>.files/`` beside a file database (so its file links survive a restart).
        job_duration: seconds a plugin job takes from PENDING to its terminal state.
        auto_jobs: jobs advance on their own; ``False`` freezes them until ``emu.jobs.advance()``
            or ``emu.jobs.finish()`` (fully deterministic tests).
        fail_actions: more action names whose jobs fail (``"fail"`` always fails).
        upload_expiry: seconds after which an untouched chunked upload answers 410.
        page_size: default page size; ``max_page_size``: the cap (1000).
        rate_limit: ``(requests per second, burst)`` per token, answering 429; ``None``: off.
        clock: a time source (seconds since the epoch) instead of ``time.time``.
        bench_routes: also serve ``PUT _bench/hash/`` (benchmarks only).
        server: ``"cheroot"``, ``"werkzeug"`` or ``"auto"``.
        threads: server worker threads.
        sse_heartbeat: seconds between ``: heartbeat`` comments of the log tail.
        fault_seed: seed of the RNG behind ``probability`` faults.
        request_log_size: the most records ``emu.requests`` keeps.
        checksum: the digest data files are answered with: ``"md5"`` (default), ``"sha1"`` (40
            hex digits, as some deployments answer) or ``"sha256"``. A seeded workspace is
            hashed the same way.
        storage_origin: serve every file and download URL (data files, unit files, model
            files, release archives, ground-truth event files) from a second loopback origin,
            pre-signed: ``?expires=...&signature=...``; it answers 403 to an unsigned, altered or
            expired URL and to any request carrying the API's credentials or a cookie, and
            records what it received in ``storage_requests``. See ``synapse.emulator.presign``.
        storage_port: the storage origin's port; 0 picks a free one.
        storage_url_ttl: seconds a pre-signed URL stays valid (on ``emu.clock``).
        list_relations: ``"ids"`` (default, as the real backend): list routes answer relations
            as ids unless ``expand`` names them; ``"expanded"``: list routes embed them
            (``file_specifications`` of collections, ``data_unit`` of tasks, ``plugin`` of
            releases) as if ``expand`` named them. Detail routes expand only what ``expand`` names.
    """

    def __init__(
        self,
        *,
        seed: str | None = None,
        tokens: TokenScopes | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | Path | None = None,
        data_dir: str | Path | None = None,
        job_duration: float = 1.0,
        auto_jobs: bool = True,
        fail_actions: Iterable[str] = (),
        upload_expiry: float = 24 * 3600.0,
        page_size: int = 100,
        max_page_size: int = 1000,
        rate_limit: tuple[float, int] | None = None,
        clock: Callable[[], float] | None = None,
        bench_routes: bool = False,
        server: str = "auto",
        threads: int = 32,
        sse_heartbeat: float = 1.0,
        fault_seed: int = 0,
        request_log_size: int | None = 100_000,
        checksum: str = "md5",
        storage_origin: bool = False,
        storage_port: int = 0,
        storage_url_ttl: float = 3600.0,
        list_relations: str = "ids",
    ) -> None:
        if seed is not None and seed not in SEEDS:
            raise ValueError(f"unknown seed {seed!r}; known: {', '.join(SEEDS)}")
        if checksum not in CHECKSUMS:
            raise ValueError(f"unknown checksum {checksum!r}; known: {', '.join(CHECKSUMS)}")
        if list_relations not in LIST_RELATIONS:
            raise ValueError(f"unknown list_relations {list_relations!r}; known: {', '.join(LIST_RELATIONS)}")
        self.host = host
        self.port = port
        self._ever_started = False  # url and client() refuse an emulator that never served
        self._server_kind = server
        self._threads = threads
        self._tmp_dir: Path | None = None
        if data_dir is not None:
            folder = Path(data_dir)
        elif db not in (None, ":memory:"):
            folder = Path(f"{db}.files")
        else:
            folder = self._tmp_dir = Path(tempfile.mkdtemp(prefix="synapse-emulator-"))
        folder.mkdir(parents=True, exist_ok=True)
        self.data_dir = folder

        self.db = Store(db)
        self.clock = Clock(clock)
        self._tokens = dict(tokens) if tokens is not None else dict(DEFAULT_TOKENS)
        self.auth = Auth(self._tokens, self._is_agent_token)
        settings = Settings(
            page_size=page_size,
            max_page_size=max_page_size,
            upload_expiry=upload_expiry,
            sse_heartbeat=sse_heartbeat,
            checksum=checksum,
            list_relations=list_relations,
        )
        self.backend = Backend(self.db, self.clock, settings, folder, self.auth)
        self.jobs = JobRunner(
            self.db, self.clock, duration=job_duration, auto=auto_jobs, fail_actions=fail_actions
        )
        self.backend.jobs = self.jobs
        self.backend.uploads = UploadHashes()
        self.faults = Faults(seed=fault_seed)
        if rate_limit is not None:
            self.faults.rate_limit(*rate_limit)
        self.requests = RequestLog(maxlen=request_log_size)
        self.app = App(self.backend, self.faults, self.requests, bench_routes=bench_routes)
        self._storage: StorageApp | None = None
        self._storage_port = storage_port
        if storage_origin:
            signer = StorageSigner(self.clock, storage_url_ttl, host)
            self.backend.storage = signer
            self._storage = StorageApp(self.backend, signer, STORAGE_HANDLERS, {"id": IdConverter})
        if seed is not None and self.db.scalar("SELECT COUNT(*) FROM projects") == 0:
            SEEDS[seed](self.db, folder)
            if checksum != "md5":
                rehash_data_files(self.db, checksum)
        self._http: HTTPServer | None = None
        self._storage_http: HTTPServer | None = None
        self._lock = threading.Lock()
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Start serving (again, after ``stop()``, on the same port). Returns ``self``."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this emulator is closed")
            if self._http is not None:
                return self
            self.backend.stopping.clear()
            http = make_http_server(
                self.app, self.host, self.port, kind=self._server_kind, threads=self._threads
            )
            http.start()
            self.port = http.port
            self._ever_started = True
            self._http = http
            if self._storage is not None:
                storage = make_http_server(
                    self._storage, self.host, self._storage_port, kind=self._server_kind, threads=8
                )
                storage.start()
                self._storage_port = self._storage.signer.port = storage.port
                self._storage_http = storage
            _RUNNING.add(self)
            if self.jobs.auto:
                self.jobs.start()
        return self

    def stop(self) -> None:
        """Stop serving; the database and data folder stay (``start()`` serves them again)."""
        with self._lock:
            http, self._http = self._http, None
            storage, self._storage_http = self._storage_http, None
            _RUNNING.discard(self)
            self.backend.stopping.set()
            self.jobs.stop()
            if http is not None:
                http.stop()
            if storage is not None:
                storage.stop()

    def close(self) -> None:
        """Stop, close the database and remove a temporary data folder."""
        self.stop()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.db.close()
            if self._tmp_dir is not None:
                shutil.rmtree(self._tmp_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """Whether the HTTP server is up."""
        return self._http is not None

    # -- what tests and users read ---------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL, ending in ``/`` (e.g. ``http://127.0.0.1:54321/``).

        Raises:
            RuntimeError: the emulator was never started (nothing listens there yet).
        """
        self._require_started("url")
        return f"http://{self.host}:{self.port}/"

    def _require_started(self, what: str) -> None:
        if not self._ever_started:
            raise RuntimeError(
                f"Emulator.{what} is used before the emulator was started: nothing listens yet. "
                "Use `with Emulator(...) as emu:` or call emu.start() first"
            )

    @property
    def storage_url(self) -> str | None:
        """The storage origin's root URL, e.g. ``http://127.0.0.1:54322/`` (``None`` without one)."""
        if self._storage is None:
            return None
        return f"http://{self.host}:{self._storage_port}/"

    @property
    def storage_requests(self) -> list[StorageRequest]:
        """Every request the storage origin received, in order: ``(method, path, headers)``.

        Credential headers keep their name with the value ``"<redacted>"``, so
        ``"Authorization" not in emu.storage_requests[-1].headers`` proves none arrived.
        Empty without ``storage_origin=True``; ``clear()`` it between steps of a test.
        """
        return self._storage.requests if self._storage is not None else []

    @property
    def token(self) -> str | None:
        """The first configured token (by default ``"dev-token"``, which sees everything)."""
        return self.auth.first_token

    @property
    def tokens(self) -> dict[str, Any]:
        """The configured tokens and their scopes."""
        return dict(self._tokens)

    @property
    def agent_token(self) -> str | None:
        """The token of agent 1 (the demo seed's ``local-agent``), or ``None``."""
        value = self.db.scalar("SELECT token FROM agents ORDER BY id LIMIT 1")
        return None if value is None else str(value)

    @property
    def store(self) -> Store:
        """Alias of ``db``: the SQLite store (``emu.db.query(sql, params)``)."""
        return self.db

    def client(self, factory: Callable[..., _C] | None = None, /, **kwargs: Any) -> _C:
        """A client of this emulator: ``emu.client(synapse.Client)`` or ``emu.client(BackendClient)``.

        The emulator is the other end of the wire and imports nothing from the client side, so the
        client class is passed in (``synapse.testing.connect(emu)`` does it for ``synapse.Client``).
        ``base_url`` and ``api_token`` are filled in; other keyword arguments go to ``factory``.

        Raises:
            TypeError: no ``factory`` was given.
            RuntimeError: the emulator was never started.
        """
        self._require_started("client()")
        if factory is None:
            raise TypeError(
                "Emulator.client() needs the client class: emu.client(synapse.Client), "
                "or synapse.testing.connect(emu)"
            )
        kwargs.setdefault("api_token", self.token)
        return factory(self.url, **kwargs)

    def _is_agent_token(self, key: str) -> bool:
        return self.db.scalar("SELECT 1 FROM agents WHERE token = ?", (key,)) is not None

    def __repr__(self) -> str:
        state = "running" if self.running else ("stopped" if self._ever_started else "not started")
        return f"<Emulator http://{self.host}:{self.port}/ {state}>"
