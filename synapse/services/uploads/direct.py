"""One streamed multipart POST of a whole file (small data files, plugin archives).

The body is generated from the file as it is sent (see ``multipart``), so memory does not grow
with the file. It can be rewound, so the transport's one retry plan resends it: a POST only when
the server provably did not act on it (DESIGN.md "Retries"): the connection could not be opened,
or the server answered 429/503.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse.config import RetryPolicy
from synapse.errors import ClientError, TransportError, UploadError
from synapse.services.progress import as_reporter
from synapse.services.uploads.files import DEFAULT_DIGESTS, RunningDigests, open_for_upload
from synapse.services.uploads.multipart import DEFAULT_BLOCK_SIZE, MultipartFileBody

if TYPE_CHECKING:
    from synapse.transport import Transport

__all__ = ["post_multipart"]


def post_multipart(
    transport: Transport,
    route: str,
    path: Path,
    *,
    fields: Iterable[tuple[str, str]] = (),
    field_name: str = "file",
    filename: str | None = None,
    policy: RetryPolicy | None = None,
    progress: Any = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    digests: Iterable[str] = DEFAULT_DIGESTS,
) -> tuple[Any, dict[str, str] | None]:
    """POST ``path`` as a multipart file part (plus text ``fields``) and return ``(answer, digests)``.

    The body is rewindable, so the transport resends it under its one retry plan: a POST only when
    the server provably did not act on it (the connection was never opened, or it answered 429/503).

    Args:
        transport: the client's transport.
        route: the path to POST to, e.g. ``"data_files/"``.
        path: the file (already checked by the caller).
        fields: text form fields sent before the file, in order; repeat a name for a list.
        field_name: the file part's form name.
        filename: the part's file name (default: the file's name).
        policy: the retry budget (default: the transport's).
        progress: a ``progress=`` argument (see ``synapse.services.progress``).
        block_size: how much of the file is read at once.
        digests: the algorithms computed while sending, besides MD5 (default MD5 and SHA-1).

    Returns:
        The decoded answer and ``{algorithm: hex digest}`` of what was sent, computed while it
        was sent (None if the body was not read to its end, which only a test double does).

    Raises:
        UploadError: the file could not be read while sending.
        ClientError, TransportError: as the transport raises them, once retries are exhausted.
    """
    algorithms = tuple(digests)
    reporter = as_reporter(progress)
    name = filename or path.name
    size = path.stat().st_size
    reporter.start(size, desc=name)
    hashes = [RunningDigests(algorithms)]  # a fresh one each time the transport rewinds the body

    def sink(block: bytes) -> None:
        hashes[-1].update(block)
        reporter.update(hashes[-1].position, size)

    def rewound() -> None:
        hashes.append(RunningDigests(algorithms))
        reporter.update(0, size)

    try:
        with open_for_upload(path) as fh:
            body = MultipartFileBody(
                fh, offset=0, length=size, filename=name, fields=list(fields), field_name=field_name,
                sink=sink, on_rewind=rewound, block_size=block_size,
            )
            try:
                answer = transport.request(
                    "POST", route, data=body, headers={"Content-Type": body.content_type},
                    retry=policy if policy is not None else None,
                )
            except (TransportError, ClientError) as exc:
                if body.error is not None:
                    raise UploadError(f"could not read {path}: {body.error}") from exc
                raise
            return answer, hashes[-1].hexdigests() if body.file_bytes_read == size else None
    finally:
        reporter.finish()
