"""Benchmark-only route (``Emulator(bench_routes=True)``): hash a body like the chunked route.

``PUT _bench/hash/`` parses the multipart body with the same streaming parser, writes the
``file`` part to disk while feeding MD5, exactly as a chunk is handled, then deletes it and
answers ``{"md5": ..., "size": ...}``: the baseline for the upload benchmark.
"""

from __future__ import annotations

import uuid
from typing import Any

from synapse.emulator.context import Ctx
from synapse.emulator.multipart import DiscardSink, HashingSink
from synapse.emulator.routes import Route
from synapse.emulator.wire import ApiError


def hash_body(ctx: Ctx) -> Any:
    """``PUT _bench/hash/``."""
    path = ctx.backend.data_dir / "bench" / uuid.uuid4().hex

    def open_part(name: str, filename: str | None) -> HashingSink:
        return HashingSink(path) if name == "file" else DiscardSink()

    try:
        _fields, files = ctx.multipart(open_part)
        sink = files.get("file")
        if sink is None:
            raise ApiError(400, {"detail": "No chunk file was submitted"})
        return {"md5": sink.hasher.hexdigest(), "size": sink.size}
    finally:
        path.unlink(missing_ok=True)


ROUTES = [Route("_bench/hash/", PUT=hash_body)]
