"""Downloads of file URLs the API hands out (data unit files, model files), streamed to disk.

Where the bytes come from: a URL on the API's origin (or a path relative to the base URL) is
fetched through the client's transport with its credentials, as every API call is. A URL on any
other host (the pre-signed URL of a storage host) is fetched with **no credentials at all**
(``Transport.send(..., credentials=False)``: no auth or tenant header, no cookie, also after a
redirect). Only ``http`` and ``https`` URLs are fetched.

Where the bytes go: the file name, whether it comes from the caller, the server
(``Content-Disposition``) or the URL, is reduced to a plain base name, so ``../``, absolute
paths and backslashes cannot leave ``dest``; an existing symlink at the target is refused; the
bytes go to a temporary file in ``dest`` that is renamed (``os.replace``) to the target only
once complete, so a failed download never leaves a half-written file under the final name.

A download never overwrites a different file. Downloading the files of many units into one
folder, where two units' files share a name (``x.png``), keeps both:

- the server's name is kept when it is free, or when the file there has the same content
  (then nothing is written: the call is skipped and returns that path);
- on a clash with a file of different content, the new file gets its own name: the stem plus
  the first 8 hex digits of its checksum, ``x-1f3a9c0d.png`` (the server's checksum when it gave
  one, else the MD5 of the downloaded bytes); a longer part of the digest, then a counter, if
  even that name is taken by other content;
- a name the caller asked for (``filename=``) is never changed: a clash with other content
  raises :class:`~synapse.errors.DownloadConflict` and writes nothing.

"Same content" means the same checksum when the server gave one (checked before any request,
so a rerun of a download that completed sends nothing), else the same size and digest as the
bytes just downloaded. Every call returns the path it really wrote (or found).
"""

from __future__ import annotations

import contextlib
import email.message
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from synapse.errors import DownloadConflict, TransportError, UnsafeDownloadPath, UnsafeURLError
from synapse.services.progress import as_reporter
from synapse.services.uploads.files import digest_algorithm
from synapse.transport import SupportsTransport, Transport, transport_of

__all__ = ["UnsafeDownloadPath", "download", "open_url", "safe_filename"]

_BLOCK = 1024 * 1024
_MAX_NAME_BYTES = 255


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


def open_url(transport: Transport | SupportsTransport, url: str) -> Any:
    """Start a streamed ``GET`` of a file URL and return the response (close it when done).

    A path, or an absolute URL of the API's origin, goes with the client's credentials; an
    absolute ``http(s)`` URL of any other host goes without any (a storage host's pre-signed
    URL): see ``Transport.send(..., credentials=False)``.

    Raises:
        UnsafeURLError: not an http(s) URL (``file:``, ``ftp:`` ...), or malformed.
        ClientError, TransportError: as the transport raises them.
    """
    t = transport_of(transport)
    try:
        t.url(url)
        ours = True
    except UnsafeURLError:
        ours = False
    return t.send("GET", url, stream=True, credentials=ours)


def _name_from_url(url: str) -> str:
    return safe_filename(unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]))


def _name_from_response(response: Any, url: str) -> str:
    disposition = response.headers.get("Content-Disposition")
    if disposition:
        msg = email.message.Message()
        msg["Content-Disposition"] = disposition
        name = msg.get_filename()  # handles RFC 2231/5987 ``filename*=UTF-8''...``
        if name:
            return safe_filename(name)
    return _name_from_url(url)


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


def _target(root: Path, name: str) -> Path:
    target = root / name
    if target.is_symlink():
        raise UnsafeDownloadPath(f"refusing to write through the symlink {target}")
    if target.resolve().parent != root:
        raise UnsafeDownloadPath(f"{name!r} would be written outside {root}")
    return target


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            h.update(block)
    return str(h.hexdigest())


def _has_checksum(path: Path, checksum: str, algorithm: str) -> bool:
    """Whether ``path`` is a regular file (not a symlink) whose digest is ``checksum``."""
    if path.is_symlink() or not path.is_file():
        return False
    return _digest(path, algorithm) == checksum


def _suffixed(name: str, tag: str) -> str:
    """``x.png`` -> ``x-<tag>.png`` (the extension kept; a dot-less name gets the tag at its end)."""
    stem, dot, ext = name.rpartition(".")
    if not stem or len(ext) > 16:
        stem, dot, ext = name, "", ""
    return safe_filename(f"{stem}-{tag}{dot}{ext}")


def _alternatives(name: str, digest: str) -> Iterator[str]:
    """The names a file of content ``digest`` may take when ``name`` holds other content."""
    yield _suffixed(name, digest[:8])
    if len(digest) > 16:
        yield _suffixed(name, digest[:16])
    yield _suffixed(name, digest)
    for n in range(2, 10_000):
        yield _suffixed(name, f"{digest[:8]}-{n}")
    raise DownloadConflict(f"no free name for {name!r} in its folder", path=name)


class _Downloaded:
    """The downloaded temporary file, with the digests of its bytes."""

    def __init__(self, path: str, size: int, digests: dict[str, str]) -> None:
        self.path = path
        self.size = size
        self.digests = digests

    def same_as(self, other: Path) -> bool:
        """Whether ``other`` is a regular file with exactly these bytes (size, then digest)."""
        if other.is_symlink() or not other.is_file() or other.stat().st_size != self.size:
            return False
        return all(_digest(other, a) == d for a, d in self.digests.items())

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _receive(
    response: Any, url: str, root: Path, name: str, progress: Any, algorithm: str | None
) -> _Downloaded:
    """Stream the body into a temporary file in ``root``, hashing it as it is written."""
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.isdigit() else None
    hashes = {a: hashlib.new(a) for a in dict.fromkeys(("md5", algorithm or "md5"))}
    where = urlsplit(url).path
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
                        f"GET {where}: the connection failed during the download ({exc})",
                        method="GET", path=where,
                    ) from None
                out.write(block)
                for h in hashes.values():
                    h.update(block)
                done += len(block)
                reporter.update(done, total)
        encoded = response.headers.get("Content-Encoding") not in (None, "identity")
        if total is not None and not encoded and done != total:
            raise TransportError(
                f"GET {where}: the download of {name} ended after {done} of {total} bytes",
                method="GET", path=where,
            )
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    finally:
        reporter.finish()
    return _Downloaded(tmp_name, done, {a: str(h.hexdigest()) for a, h in hashes.items()})


def download(
    transport: Transport | SupportsTransport,
    url: str,
    dest: str | os.PathLike[str],
    filename: str | None = None,
    progress: Any = None,
    *,
    checksum: str | None = None,
) -> Path:
    """Stream ``url`` into the directory ``dest`` and return the path of the file, never overwriting.

    The server's name is kept unless a file of other content holds it: then the new file is
    named ``<stem>-<first 8 hex digits of its checksum><ext>`` (``x-1f3a9c0d.png``), so the
    files of many units that share a name all land in one folder. A file already there with the
    same content is not written again: its path is returned (with ``checksum``, without a
    request). See the module docstring for the whole rule.

    Args:
        transport: the transport that fetches the URL, or a client (its transport). A URL on
            the API's origin is fetched with the client's credentials, any other http(s) URL
            (a storage host's) with none.
        url: an absolute URL the API handed out, or a path relative to the base URL.
        dest: the directory to write into (created if missing).
        filename: the name to save under, exactly; default: the server's ``Content-Disposition``
            name, else the URL's last path segment, reduced to a plain base name.
        progress: a ``progress=`` argument (see ``synapse.services.progress``), in bytes.
        checksum: the file's checksum from the API (MD5, SHA-1 or SHA-256 hex), when it gave
            one: a file already at the target with this digest is kept and nothing is fetched,
            and a clash is named after it.

    Returns:
        The path of the complete file inside ``dest``: the one written, or the one found with
        the same content.

    Raises:
        DownloadConflict: ``filename`` was given and a file of other content has that name
            (nothing is written; with ``checksum``, nothing is fetched either).
        UnsafeDownloadPath: ``filename`` is not a plain name, or the target is a symlink or
            resolves outside ``dest``.
        NotADirectoryError: ``dest`` exists and is not a directory.
        UnsafeURLError: ``url`` is not an http(s) URL.
        ClientError, TransportError: as the transport raises them.
    """
    directory = Path(dest)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(20, "download destination is not a directory", str(directory))
    if filename is not None:
        _check_plain_name(filename)
    algorithm = digest_algorithm(checksum)
    known = checksum.lower() if checksum is not None and algorithm is not None else None
    directory.mkdir(parents=True, exist_ok=True)
    root = directory.resolve()
    if known is not None and algorithm is not None:
        # A rerun: the file is there already (under its name, or the name a clash gave it).
        first = filename if filename is not None else _name_from_url(url)
        target = _target(root, first)
        if _has_checksum(target, known, algorithm):
            return target
        if filename is not None and target.exists():
            raise _conflict(target)
        if filename is None:
            for name in _alternatives(first, known):
                candidate = _target(root, name)
                if not candidate.exists():
                    break
                if _has_checksum(candidate, known, algorithm):
                    return candidate
    response = open_url(transport, url)
    try:
        name = filename if filename is not None else _name_from_response(response, url)
        target = _target(root, name)
        got = _receive(response, url, root, name, progress, algorithm)
    finally:
        response.close()
    try:
        return _place(got, root, target, explicit=filename is not None, tag=known or got.digests["md5"])
    except BaseException:
        got.discard()
        raise


def _place(got: _Downloaded, root: Path, target: Path, *, explicit: bool, tag: str) -> Path:
    """Rename the temporary file to ``target``, or to a free name, or find it already there."""
    if not target.exists():
        os.replace(got.path, target)
        return target
    if got.same_as(target):
        got.discard()
        return target
    if explicit:
        raise _conflict(target)
    for name in _alternatives(target.name, tag):
        candidate = _target(root, name)
        if not candidate.exists():
            os.replace(got.path, candidate)
            return candidate
        if got.same_as(candidate):
            got.discard()
            return candidate
    raise _conflict(target)  # pragma: no cover - _alternatives raises first


def _conflict(target: Path) -> DownloadConflict:
    return DownloadConflict(
        f"{target} already exists with other content; it was not overwritten (pass another "
        "filename, or leave filename out to get a name of its own)",
        path=str(target),
    )
