"""Download links handed out in ``file``/``url`` fields (data files, models, release archives).

The API origin serves them without credentials; under ``Emulator(storage_origin=True)`` the
storage origin serves the same handlers (``STORAGE_HANDLERS``) behind pre-signed URLs.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from werkzeug.wsgi import FileWrapper

from synapse.emulator.context import Ctx
from synapse.emulator.routes import Route
from synapse.emulator.wire import Reply, not_found


def _file_reply(ctx: Ctx, filename: str, path: str | None, content: bytes | None) -> Reply:
    ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if content is not None:
        return Reply(200, raw=content, content_type=ctype, headers=headers)
    if path is None or not Path(path).is_file():
        raise not_found()
    handle = open(path, "rb")  # noqa: SIM115 - closed by the WSGI server through FileWrapper.close
    headers["Content-Length"] = str(Path(path).stat().st_size)
    return Reply(200, stream=FileWrapper(handle, 1 << 20), content_type=ctype, headers=headers)


def data_file(ctx: Ctx, pk: int, name: str) -> Any:
    """``GET media/data_files/{id}/{name}``: the file's bytes."""
    with ctx.backend.store.read() as db:
        row = db.execute("SELECT filename, path, content FROM data_files WHERE id = ?", (pk,)).fetchone()
    if row is None:
        raise not_found()
    return _file_reply(ctx, row[0], row[1], row[2])


def model_file(ctx: Ctx, pk: int, name: str) -> Any:
    """``GET media/models/{id}/{name}``: the model's weights."""
    with ctx.backend.store.read() as db:
        row = db.execute("SELECT filename, path FROM models WHERE id = ?", (pk,)).fetchone()
    if row is None:
        raise not_found()
    return _file_reply(ctx, row[0], row[1], None)


def release_archive(ctx: Ctx, pk: int, name: str) -> Any:
    """``GET media/plugin_releases/{id}/{name}``: a release's archive."""
    with ctx.backend.store.read() as db:
        row = db.execute("SELECT archive FROM plugin_releases WHERE id = ?", (pk,)).fetchone()
    if row is None or row[0] is None:
        raise not_found()
    return _file_reply(ctx, Path(row[0]).name, row[0], None)


#: rule -> handler of the files the storage origin serves (the same paths as the API origin's).
STORAGE_HANDLERS = {
    "/media/data_files/<id:pk>/<path:name>": data_file,
    "/media/models/<id:pk>/<path:name>": model_file,
    "/media/plugin_releases/<id:pk>/<path:name>": release_archive,
}

ROUTES = [
    # Like pre-signed storage URLs, these links carry no credential header.
    Route("media/data_files/<id:pk>/<path:name>", auth=False, GET=data_file),
    Route("media/models/<id:pk>/<path:name>", auth=False, GET=model_file),
    Route("media/plugin_releases/<id:pk>/<path:name>", auth=False, GET=release_archive),
]
