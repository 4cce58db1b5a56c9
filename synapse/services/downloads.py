"""Downloads of file URLs the API hands out (data unit files, model files), streamed to disk.

Safety rules: the request goes through the client's transport, which refuses URLs of another
origin (credentials never leave the configured backend); the file name, whether it comes from the
server (``Content-Disposition``) or from the URL, is reduced to a plain base name, so ``../``,
absolute paths and backslashes cannot leave ``dest``; an existing symlink at the target is refused;
the bytes go to a temporary file in ``dest`` that is renamed over the target only once complete,
so a failed download never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import email.message
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from synapse.errors import TransportError
from synapse.services.progress import as_reporter
from synapse.transport import SupportsTransport, Transport, transport_of

__all__ = ["UnsafeDownloadPath", "download", "safe_filename"]

_BLOCK = 1024 * 1024
_MAX_NAME_BYTES = 255


class UnsafeDownloadPath(ValueError):
    """The download's target would be outside ``dest`` or is a symlink; nothing was written."""


def safe_filename(name: str, default: str = "download") -> str:
    r"""Reduce a name from the server or a URL to a plain file name.

    Keeps only the last path component (``/`` and ``\\`` both count as separators), drops control
    characters and leading dots (so ``..`` and hidden names cannot come from the server), and
    truncates to 255 bytes. An empty result becomes ``default``.

    Args:
        name: the untrusted name.
        default: what to use when nothing usable is left.

    Returns:
        A name safe to join to a directory.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch >= " " and ch != "\x7f").strip().lstrip(".").strip()
    while len(base.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
        stem, dot, ext = base.rpartition(".")
        base = f"{stem[:-1]}{dot}{ext}" if stem and len(ext) < 16 else base[:-1]
    return base or default


def _name_from_response(response: Any, url: str) -> str:
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        msg = email.message.Message()
        msg["Content-Disposition"] = disposition
        name = msg.get_filename()  # handles RFC 2231/5987 ``filename*=UTF-8''...``
        if name:
            return safe_filename(name)
    return safe_filename(unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]))


def _check_plain_name(filename: str) -> str:
    if (
        not filename
        or filename in (".", "..")
        or "/" in filename
        or "\\" in filename
        or "\0" in filename
        or os.path.isabs(filename)
    ):
        raise UnsafeDownloadPath(f"filename must be a plain file name inside dest, got {filename!r}")
    return filename


def download(
    transport: Transport | SupportsTransport,
    url: str,
    dest: str | os.PathLike[str],
    filename: str | None = None,
    progress: Any = None,
) -> Path:
    """Stream ``url`` into the directory ``dest`` and return the written file's path.

    Args:
        transport: the transport that fetches the URL (same origin only), or a client (its transport).
        url: an absolute URL the API handed out, or a path relative to the base URL.
        dest: the directory to write into (created if missing).
        filename: the name to save under; default: the server's ``Content-Disposition`` name,
            else the URL's last path segment, reduced to a plain base name.
        progress: a ``progress=`` argument (see ``synapse.services.progress``), in bytes.

    Returns:
        The path of the complete file inside ``dest``.

    Raises:
        UnsafeDownloadPath: ``filename`` is not a plain name, or the target is a symlink or
            resolves outside ``dest``.
        NotADirectoryError: ``dest`` exists and is not a directory.
        UnsafeURLError: ``url`` points to another origin.
        ClientError, TransportError: as the transport raises them.
    """
    directory = Path(dest)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(20, "download destination is not a directory", str(directory))
    if filename is not None:
        _check_plain_name(filename)
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    response = transport_of(transport).send("GET", url, stream=True)
    try:
        name = filename if filename is not None else _name_from_response(response, url)
        target = root / name
        if target.is_symlink():
            raise UnsafeDownloadPath(f"refusing to write through the symlink {target}")
        if target.resolve().parent != root:
            raise UnsafeDownloadPath(f"{name!r} would be written outside {root}")
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        reporter = as_reporter(progress)
        reporter.start(total, desc=name)
        fd, tmp_name = tempfile.mkstemp(dir=root, prefix=f".{name[:40]}.", suffix=".part")
        try:
            done = 0
            with os.fdopen(fd, "wb") as out:
                blocks = response.iter_content(_BLOCK)
                while True:
                    try:
                        block = next(blocks)
                    except StopIteration:
                        break
                    except OSError as exc:  # requests' errors are OSErrors; the transport has no say here
                        raise TransportError(
                            f"GET {urlsplit(url).path}: the connection failed during the download ({exc})",
                            method="GET", path=urlsplit(url).path,
                        ) from None
                    out.write(block)
                    done += len(block)
                    reporter.update(done, total)
            encoded = response.headers.get("Content-Encoding") not in (None, "identity")
            if total is not None and not encoded and done != total:
                raise TransportError(
                    f"GET {urlsplit(url).path}: the download of {name} ended after {done} of {total} bytes",
                    method="GET", path=urlsplit(url).path,
                )
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        finally:
            reporter.finish()
    finally:
        response.close()
    return target
