"""Per-request context handed to every route handler, and the shared backend state."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wsgi import get_input_stream

from synapse.emulator.auth import Auth, Identity
from synapse.emulator.clock import Clock
from synapse.emulator.multipart import HashingSink, OpenPart, UploadHashes, parse_multipart
from synapse.emulator.store import Store
from synapse.emulator.wire import ApiError, forbidden

if TYPE_CHECKING:
    from synapse.emulator.jobs import JobRunner
    from synapse.emulator.presign import StorageSigner
    from synapse.emulator.requestlog import RequestRecord

__all__ = ["Backend", "Ctx", "Settings"]

_JSON_TYPES = ("application/json", "text/json")
_NO_ARGS: MultiDict[str, str] = MultiDict()  # shared, never modified


@dataclass
class Settings:
    """Tunables of the emulator's behaviour."""

    page_size: int = 100
    max_page_size: int = 1000
    upload_expiry: float = 24 * 3600.0
    sse_heartbeat: float = 1.0
    max_json_body: int = 64 * 1024 * 1024
    #: the digest of data-file checksums: ``"md5"``, ``"sha1"`` or ``"sha256"``.
    checksum: str = "md5"
    #: relations on list routes: ``"ids"`` unless ``expand`` names them, or ``"expanded"`` always.
    list_relations: str = "ids"


class Backend:
    """State shared by every request: the store, the clock, services and settings."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        data_dir: Path,
        auth: Auth,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.data_dir = data_dir
        self.auth = auth
        self.stopping = threading.Event()
        self.jobs: JobRunner
        self.uploads: UploadHashes
        #: signs file URLs for the storage origin (``None``: files are served by the API origin).
        self.storage: StorageSigner | None = None


def _reject_constant(name: str) -> Any:
    # DRF's strict JSON: NaN and Infinity are not JSON.
    raise ValueError("Out of range float values are not JSON compliant")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("Out of range float values are not JSON compliant")
    return value


class Ctx:
    """One request as the handlers see it.

    Attributes:
        environ: the WSGI environ.
        method: the HTTP method.
        path: the request path (leading ``/``).
        backend: the shared state.
        identity: who sent it (``None`` on unauthenticated routes).
        base_url: the absolute root URL the client used, ending in ``/`` (built from ``Host``
            so absolute links keep the client's origin).
    """

    __slots__ = (
        "_args",
        "_json",
        "_json_read",
        "backend",
        "base_url",
        "body_consumed",
        "environ",
        "identity",
        "method",
        "path",
        "record",
    )

    def __init__(self, environ: dict[str, Any], backend: Backend, record: RequestRecord | None) -> None:
        self.environ = environ
        self.backend = backend
        self.method: str = environ["REQUEST_METHOD"]
        self.path: str = environ.get("PATH_INFO") or "/"
        self.identity: Identity | None = None
        self.record = record
        host = (
            environ.get("HTTP_HOST")
            or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '')}"
        )
        self.base_url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}/"
        self._args: MultiDict[str, str] | None = None
        self._json: Any = None
        self._json_read = False
        self.body_consumed = False

    # -- query -----------------------------------------------------------------------------
    @property
    def args(self) -> MultiDict[str, str]:
        """The query parameters."""
        if self._args is None:
            qs = self.environ.get("QUERY_STRING", "")
            self._args = MultiDict(parse_qsl(qs, keep_blank_values=True)) if qs else _NO_ARGS
        return self._args

    def flag(self, name: str) -> bool:
        """A boolean query flag such as ``with_configuration=true``."""
        return self.args.get(name, "").lower() in ("true", "1", "yes", "on")

    def url(self, path: str) -> str:
        """The absolute URL of an API path (relative, no leading ``/``)."""
        return self.base_url + path.lstrip("/")

    def url_with(self, **changes: Any) -> str:
        """This request's absolute URL with query parameters replaced (``None`` removes one)."""
        pairs = parse_qsl(self.environ.get("QUERY_STRING", ""), keep_blank_values=True)
        pairs = [(k, v) for k, v in pairs if k not in changes]
        pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
        query = urlencode(pairs)
        return self.base_url + self.path.lstrip("/") + ("?" + query if query else "")

    # -- body ------------------------------------------------------------------------------
    @property
    def mimetype(self) -> str:
        """The request's media type, lower-cased, without parameters."""
        return str(self.environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()

    def read_body(self) -> bytes:
        """The raw request body (Content-Length or chunked)."""
        limit = self.backend.settings.max_json_body
        if self.environ.get("wsgi.input_terminated"):  # chunked: the server ends the stream
            stream = self.environ["wsgi.input"]
        else:  # Content-Length: werkzeug bounds the stream (and refuses a declared size over the limit)
            stream = get_input_stream(self.environ, max_content_length=limit)
        self.body_consumed = True
        blocks: list[bytes] = []
        size = 0
        while True:  # a raw stream may return less than asked: read to the end
            block = stream.read(min(1 << 16, limit + 1 - size))
            if not block:
                return b"".join(blocks)
            blocks.append(block)
            size += len(block)
            if size > limit:
                self.body_consumed = False  # let the app drain the rest, so the connection stays usable
                raise ApiError(413, {"detail": "Request body is too large."})

    def json(self, default: Any = None) -> Any:
        """The decoded JSON body (``default`` when empty); a 400/415 for anything else."""
        if not self._json_read:
            self._json_read = True
            mimetype = self.mimetype
            data = self.read_body()
            if not data.strip():
                self._json = default
            elif mimetype and mimetype not in _JSON_TYPES and not mimetype.endswith("+json"):
                raise ApiError(415, {"detail": f'Unsupported media type "{mimetype}" in request.'})
            else:
                try:
                    self._json = json.loads(data, parse_constant=_reject_constant, parse_float=_finite_float)
                except (ValueError, RecursionError) as exc:
                    raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None
            if self.record is not None:
                self.record.body = self._json
        return self._json

    def multipart(self, open_part: OpenPart) -> tuple[MultiDict[str, str], dict[str, HashingSink]]:
        """Parse a multipart body, streaming file parts into ``open_part(name, filename)`` sinks."""
        self.body_consumed = True
        fields, files = parse_multipart(self.environ, open_part)
        if self.record is not None:
            self.record.form = {k: (v[0] if len(v) == 1 else v) for k, v in fields.lists()}
            self.record.files = {name: sink.size for name, sink in files.items()}
        return fields, files

    @property
    def parsed_json(self) -> tuple[bool, Any]:
        """``(read, value)``: whether the JSON body was decoded, and its value."""
        return self._json_read, self._json

    # -- permissions -----------------------------------------------------------------------
    def check_project(self, project: int | None) -> None:
        """Raise 403 when the credential may not see ``project``."""
        scope = self.identity.scope if self.identity else None
        if scope is not None and project not in scope:
            raise forbidden()

    def check_projects(self, projects: Iterable[int]) -> None:
        """Raise 403 when any of ``projects`` is outside the credential's scope."""
        for project in projects:
            self.check_project(project)

    def project_clause(self, column: str) -> str:
        """A SQL condition keeping rows of visible projects (``""`` when all are visible)."""
        scope = self.identity.scope if self.identity else None
        if scope is None:
            return ""
        ids = ",".join(str(int(p)) for p in sorted(scope)) or "NULL"
        return f"{column} IN ({ids})"
