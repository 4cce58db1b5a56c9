"""One streamed multipart POST of a whole file (small data files, plugin archives).

The body is generated from the file as it is sent (see ``_multipart``), so memory does not grow
with the file. A POST is only sent again when the server provably did not act on it (DESIGN.md
"Retries"): the connection could not be opened, or the server answered 429/503. The transport's
own retry is turned off because it could not rewind a streamed body; this loop builds a fresh one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse.config import RetryPolicy
from synapse.errors import RateLimited, ServerError, TransportError, UploadError
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
    sleep: Callable[[float], None] | None = None,
    progress: Any = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    digests: Iterable[str] = DEFAULT_DIGESTS,
) -> tuple[Any, dict[str, str] | None]:
    """POST ``path`` as a multipart file part (plus text ``fields``) and return ``(answer, digests)``.

    Args:
        transport: the client's transport.
        route: the path to POST to, e.g. ``"data_files/"``.
        path: the file (already checked by the caller).
        fields: text form fields sent before the file, in order; repeat a name for a list.
        field_name: the file part's form name.
        filename: the part's file name (default: the file's name).
        policy: the retry budget (default: the transport's).
        sleep: how to wait between attempts.
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
    import time

    policy = policy or transport.config.retries
    wait = sleep or time.sleep
    fields = list(fields)
    digests = tuple(digests)
    reporter = as_reporter(progress)
    name = filename or path.name
    size = path.stat().st_size
    reporter.start(size, desc=name)
    attempt = 0
    try:
        with open_for_upload(path) as fh:
            while True:
                hashes = RunningDigests(digests)

                def sink(block: bytes, hashes: RunningDigests = hashes) -> None:
                    hashes.update(block)
                    reporter.update(hashes.position, size)

                body = MultipartFileBody(
                    fh, offset=0, length=size, filename=name, fields=fields, field_name=field_name,
                    sink=sink, block_size=block_size,
                )
                try:
                    answer = transport.request(
                        "POST", route, data=body, headers={"Content-Type": body.content_type}, retry=False
                    )
                    return answer, hashes.hexdigests() if body.file_bytes_read == size else None
                except (TransportError, ServerError, RateLimited) as exc:
                    if body.error is not None:
                        raise UploadError(f"could not read {path}: {body.error}") from exc
                    never_arrived = isinstance(exc, TransportError) and not exc.may_have_reached_server
                    refused = isinstance(exc, RateLimited) or (
                        isinstance(exc, ServerError) and exc.status_code == 503
                    )
                    attempt += 1
                    if not (never_arrived or refused) or attempt > policy.max_retries:
                        raise
                    retry_after = getattr(exc, "retry_after", None)
                    if retry_after is not None:
                        delay = min(float(retry_after), policy.retry_after_max)
                    else:
                        cap = min(policy.backoff_max, policy.backoff_factor * 2 ** (attempt - 1))
                        delay = random.uniform(0, cap)  # full jitter
                    wait(delay)
    finally:
        reporter.finish()
