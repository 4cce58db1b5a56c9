"""Small, valid PNG images written with the standard library only (``zlib`` and ``struct``).

The demo needs a folder of real images without Pillow: each is a colour gradient with a
rectangle (the "object" the demo annotates), different for every index, so no two files share
a checksum.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

__all__ = ["box_of", "png_bytes", "write_images"]


def box_of(index: int, size: int) -> tuple[int, int, int, int]:
    """The rectangle drawn in image ``index``: ``(x, y, width, height)`` in pixels."""
    width, height = size // 3 + index % 7, size // 4 + index % 5
    x = (index * 11) % (size - width)
    y = (index * 17) % (size - height)
    return x, y, width, height


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bytes(index: int, size: int = 64) -> bytes:
    """A ``size`` x ``size`` RGB PNG: a gradient tinted by ``index`` and the box of ``box_of``."""
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    tint = ((index * 53) % 256, (index * 97) % 256, (index * 151) % 256)
    x0, y0, w, h = box_of(index, size)
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0 (None) for every scanline
        for x in range(size):
            if x0 <= x < x0 + w and y0 <= y < y0 + h:
                row += bytes((255 - tint[0], 255 - tint[1], 255 - tint[2]))
            else:
                row += bytes(((tint[0] + 4 * x) % 256, (tint[1] + 4 * y) % 256, tint[2]))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 6))
        + _chunk(b"IEND", b"")
    )


def write_images(folder: Path, count: int, *, size: int = 64) -> list[Path]:
    """Write ``count`` PNG files ``image-001.png`` ... into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(1, count + 1):
        path = folder / f"image-{index:03d}.png"
        path.write_bytes(png_bytes(index, size))
        paths.append(path)
    return paths
