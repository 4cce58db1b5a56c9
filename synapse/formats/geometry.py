"""Geometry formats need beyond the objects' own: mask outlines, polygon rasters, boxes from corners.

Pixel ``(x, y)`` covers ``[x, x + 1) x [y, y + 1)``; a polygon covers a pixel when it contains the
pixel's centre. The outline of a mask runs along pixel edges, so rasterising it gives the mask back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from synapse.annotations import BoundingBox, Point
from synapse.formats import libraries

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Ring = list[Point]

# edge direction -> the turns to try at its end, rightmost first (foreground lies to the right)
_TURNS: dict[tuple[int, int], tuple[tuple[int, int], ...]] = {
    (1, 0): ((0, 1), (1, 0), (0, -1)),
    (0, 1): ((-1, 0), (0, 1), (1, 0)),
    (-1, 0): ((0, -1), (-1, 0), (0, 1)),
    (0, -1): ((1, 0), (0, -1), (-1, 0)),
}


def signed_area(ring: Sequence[Point]) -> float:
    """The shoelace area of a ring, positive when it runs clockwise on screen (y down)."""
    n = len(ring)
    return sum(ring[i][0] * ring[(i + 1) % n][1] - ring[(i + 1) % n][0] * ring[i][1] for i in range(n)) / 2


def mask_outlines(mask: npt.NDArray[np.bool_]) -> tuple[list[Ring], list[Ring]]:
    """The outer rings and the hole rings of a boolean ``(h, w)`` mask, along pixel edges.

    Outer rings run clockwise on screen, holes counter-clockwise; pixels touching only at a corner
    belong to separate rings. Collinear vertices are merged, so a rectangle has 4 vertices.
    """
    np_ = libraries.numpy()
    padded = np_.pad(mask.astype(bool), 1)
    inside = padded[1:-1, 1:-1]
    edges: dict[tuple[int, int], list[tuple[int, int]]] = {}

    def add(cells: Any, start: tuple[int, int], step: tuple[int, int]) -> None:
        for y, x in zip(*np_.nonzero(cells), strict=True):
            origin = (int(x) + start[0], int(y) + start[1])
            edges.setdefault(origin, []).append(step)

    add(inside & ~padded[:-2, 1:-1], (0, 0), (1, 0))  # top edge, background above
    add(inside & ~padded[1:-1, 2:], (1, 0), (0, 1))  # right edge
    add(inside & ~padded[2:, 1:-1], (1, 1), (-1, 0))  # bottom edge
    add(inside & ~padded[1:-1, :-2], (0, 1), (0, -1))  # left edge
    outer: list[Ring] = []
    holes: list[Ring] = []
    for start in sorted(edges, key=lambda p: (p[1], p[0])):
        while edges.get(start):
            ring = _walk(edges, start)
            (outer if signed_area(ring) > 0 else holes).append(ring)
    return outer, holes


def _walk(edges: dict[tuple[int, int], list[tuple[int, int]]], start: tuple[int, int]) -> Ring:
    out = edges[start]
    step = (1, 0) if (1, 0) in out else out[0]
    out.remove(step)
    point, ring = start, [start]
    while True:
        point = (point[0] + step[0], point[1] + step[1])
        if point == start:
            break
        choices = edges[point]
        turn = next(t for t in _TURNS[step] if t in choices)
        choices.remove(turn)
        if turn != step:
            ring.append(point)
        step = turn
    return [(float(x), float(y)) for x, y in _merge(ring)]


def _merge(ring: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop vertices in the middle of a straight run (the start vertex included)."""
    out = []
    n = len(ring)
    for i, p in enumerate(ring):
        a, b = ring[i - 1], ring[(i + 1) % n]
        if (p[0] - a[0]) * (b[1] - p[1]) - (p[1] - a[1]) * (b[0] - p[0]) != 0:
            out.append(p)
    return out


def polygon_mask(points: Sequence[Point], width: int, height: int) -> npt.NDArray[np.bool_]:
    """The pixels whose centres a polygon contains (even-odd rule), as a boolean ``(h, w)`` array."""
    np_ = libraries.numpy()
    out = np_.zeros((height, width), dtype=bool)
    if len(points) < 3:
        return cast("npt.NDArray[np.bool_]", out)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = max(0, math.floor(min(xs))), min(width, math.ceil(max(xs)) + 1)
    y0, y1 = max(0, math.floor(min(ys))), min(height, math.ceil(max(ys)) + 1)
    if x0 >= x1 or y0 >= y1:
        return cast("npt.NDArray[np.bool_]", out)
    cx, cy = np_.meshgrid(np_.arange(x0, x1) + 0.5, np_.arange(y0, y1) + 0.5)
    inside = np_.zeros(cx.shape, dtype=bool)
    for (ax, ay), (bx, by) in zip(points, [*points[1:], points[0]], strict=True):
        if ay == by:
            continue
        crosses = (ay > cy) != (by > cy)
        at_x = ax + (cy - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (cx < at_x)
    out[y0:y1, x0:x1] = inside
    return cast("npt.NDArray[np.bool_]", out)


def box_from_corners(corners: Sequence[Point]) -> BoundingBox:
    """The (possibly rotated) box whose corners, clockwise from its top-left, are ``corners``."""
    (x0, y0), (x1, y1), (x2, y2) = corners[0], corners[1], corners[2]
    width = math.hypot(x1 - x0, y1 - y0)
    height = math.hypot(x2 - x1, y2 - y1)
    rotation = math.atan2(y1 - y0, x1 - x0)
    cx = sum(p[0] for p in corners[:4]) / 4
    cy = sum(p[1] for p in corners[:4]) / 4
    if abs(rotation) < 1e-12:
        rotation = 0.0
    return BoundingBox(x=cx - width / 2, y=cy - height / 2, width=width, height=height, rotation=rotation)
