"""A ``multipart/form-data`` request body generated from a slice of a file as it is sent.

``requests`` streams any object with ``read(n)`` and ``__len__`` (it sends ``Content-Length`` from
``len()`` and hands the object to urllib3, which calls ``read(16384)`` until it is empty). So the
body of a 500 MiB chunk costs one read buffer, not 500 MiB: the form fields and the part headers
are a few hundred bytes built up front, the file bytes are read block by block while the socket
drains them. Each block read from the file is passed to a ``sink`` (the MD5 and progress of the
upload) exactly once, in order, so hashing happens as the bytes go out.

Building the boundary and part headers by hand is encoding, not parsing: the format is fixed
(RFC 7578) and the server side is an ordinary multipart parser.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import BinaryIO

__all__ = ["DEFAULT_BLOCK_SIZE", "MultipartFileBody", "quote_header_value"]

#: How much of the file is read (and hashed) at once. The body never holds more than one block.
DEFAULT_BLOCK_SIZE = 1024 * 1024


def quote_header_value(value: str) -> str:
    """Escape a parameter value for a ``Content-Disposition`` header (as browsers do, RFC 7578).

    ``"`` becomes ``%22`` and CR/LF become ``%0D``/``%0A``, so a file name cannot end the quoted
    string or inject a header. Other characters, non-ASCII included, are sent as UTF-8.
    """
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


class MultipartFileBody:
    """A read-only multipart body (some form fields, then one file part) that can be rewound.

    ``seek(0)`` starts it again from the beginning, so the transport can replay it under its one
    retry plan; ``on_rewind`` is called then, so the ``sink`` (a running hash, a progress bar)
    starts again too: every byte still reaches the sink once per sending.

    Args:
        fileobj: a binary file opened for reading; it is seeked to ``offset`` on the first read
            and read for exactly ``length`` bytes (fewer means the file shrank: ``OSError``).
        offset: where the file part starts in ``fileobj``.
        length: how many bytes of the file go into the part (0 sends an empty part).
        filename: the part's ``filename`` parameter.
        fields: text form fields sent before the file part, in order (a mapping, or
            ``(name, value)`` pairs to repeat a name).
        field_name: the file part's form name.
        sink: called with each block read from the file, in order, once per byte and sending.
        on_rewind: called when the body is rewound (``seek(0)``), before it is read again.
        block_size: how much of the file is read at once (memory is bounded by this).
        boundary: the multipart boundary (random when not given).

    Raises:
        ValueError: for a negative ``offset``/``length`` or a ``block_size`` under 1.
    """

    def __init__(
        self,
        fileobj: BinaryIO,
        *,
        offset: int,
        length: int,
        filename: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        field_name: str = "file",
        sink: Callable[[bytes], object] | None = None,
        on_rewind: Callable[[], object] | None = None,
        block_size: int = DEFAULT_BLOCK_SIZE,
        boundary: str | None = None,
    ) -> None:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must be >= 0")
        if block_size < 1:
            raise ValueError("block_size must be >= 1")
        self.boundary = boundary or f"synapse-{uuid.uuid4().hex}"
        self._file = fileobj
        self._offset = offset
        self._length = length
        self._sink = sink
        self._on_rewind = on_rewind
        self._block_size = block_size
        head = io.BytesIO()
        pairs = fields.items() if isinstance(fields, Mapping) else (fields or ())
        for name, value in pairs:
            head.write(f"--{self.boundary}\r\n".encode())
            head.write(f'Content-Disposition: form-data; name="{quote_header_value(name)}"\r\n\r\n'.encode())
            head.write(value.encode("utf-8"))
            head.write(b"\r\n")
        head.write(f"--{self.boundary}\r\n".encode())
        head.write(
            f'Content-Disposition: form-data; name="{quote_header_value(field_name)}"; '
            f'filename="{quote_header_value(filename)}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        self._head = head.getvalue()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._total = len(self._head) + length + len(self._tail)
        # Reading state: the current block of file bytes and how much of it was served.
        self._pos = 0  # position in the whole body
        self._file_read = 0  # file bytes read (and passed to the sink) so far
        self._block = b""
        self._block_pos = 0
        self._seeked = False
        #: The error raised while reading the local file, if any. urllib3 reports any ``OSError``
        #: raised by a body as a connection failure, so the uploader checks this to tell a
        #: truncated or unreadable file from a dropped connection.
        self.error: OSError | None = None

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, boundary included."""
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def file_bytes_read(self) -> int:
        """How many bytes of the file slice were read (and given to the sink) so far."""
        return self._file_read

    def __len__(self) -> int:
        return self._total

    def tell(self) -> int:
        """Position in the body (``requests`` subtracts it from ``len()`` for Content-Length)."""
        return self._pos

    def seek(self, position: int, whence: int = 0) -> int:
        """Rewind to the start (``seek(0)``), the only position a multipart body goes back to.

        Raises:
            ValueError: any other position.
        """
        if (position, whence) != (0, 0):
            raise ValueError("a multipart body can only be rewound to its start: seek(0)")
        if self._pos:
            self._pos = self._file_read = self._block_pos = 0
            self._block = b""
            self._seeked = False
            self.error = None
            if self._on_rewind is not None:
                self._on_rewind()
        return 0

    def read(self, size: int | None = -1) -> bytes:
        """Return up to ``size`` bytes of the body (all the rest for -1/None: avoid on big slices)."""
        if size is None or size < 0:
            size = self._total - self._pos
        out: list[bytes] = []
        want = size
        while want > 0 and self._pos < self._total:
            piece = self._next_piece(want)
            out.append(piece)
            self._pos += len(piece)
            want -= len(piece)
        return out[0] if len(out) == 1 else b"".join(out)

    def _next_piece(self, want: int) -> bytes:
        pos, head_len = self._pos, len(self._head)
        if pos < head_len:
            return self._head[pos : pos + want]
        file_end = head_len + self._length
        if pos < file_end:
            if self._block_pos >= len(self._block):
                self._fill()
            start = self._block_pos
            piece = self._block[start : start + want]
            self._block_pos += len(piece)
            return piece
        tail_pos = pos - file_end
        return self._tail[tail_pos : tail_pos + want]

    def _fill(self) -> None:
        try:
            self._fill_block()
        except OSError as exc:
            self.error = exc
            raise

    def _fill_block(self) -> None:
        if not self._seeked:
            self._file.seek(self._offset)
            self._seeked = True
        n = min(self._block_size, self._length - self._file_read)
        block = self._file.read(n)
        if len(block) != n:
            raise OSError(
                f"the file ended early: expected {n} more bytes at offset "
                f"{self._offset + self._file_read}, read {len(block)} (was it truncated?)"
            )
        self._file_read += n
        if self._sink is not None:
            self._sink(block)
        self._block, self._block_pos = block, 0
