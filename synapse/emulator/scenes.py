"""Street scenes for the demo seed: a 320x240 PNG per unit and the objects drawn in it.

Every scene is a pure function of its index (no randomness, no image library): a sky whose
tint follows the unit's weather, buildings on the horizon, a road running to a vanishing point,
and the road users the annotations describe, drawn where their geometry says::

    scene = street_scene(7)
    scene.png                 # bytes of a 320x240 RGB PNG
    scene.objects             # [SceneObject(tool="polygon", label="road", ...), ...]

The PNG encoder is the standard library's ``zlib`` behind a few lines of chunk framing.
"""

from __future__ import annotations

import functools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HEIGHT", "WEATHERS", "WIDTH", "Scene", "SceneObject", "street_scene"]

WIDTH, HEIGHT = 320, 240
WEATHERS = ("sunny", "rain", "fog")
Color = tuple[int, int, int]
Point = tuple[float, float]

_SKY: dict[str, tuple[Color, Color]] = {
    "sunny": ((86, 146, 228), (186, 214, 245)),
    "rain": ((70, 78, 92), (126, 131, 140)),
    "fog": ((184, 187, 191), (214, 215, 217)),
}
_GROUND = {"sunny": (84, 140, 72), "rain": (62, 102, 58), "fog": (152, 166, 152)}
_ROAD = {"sunny": (98, 98, 104), "rain": (74, 74, 80), "fog": (150, 150, 154)}
_BUILDINGS = ((150, 120, 96), (120, 124, 138), (170, 160, 140), (104, 96, 110))
_CARS = ((200, 30, 40), (30, 70, 190), (240, 190, 20), (20, 140, 90), (230, 110, 20), (120, 30, 150))
_SHIRTS = ((210, 60, 120), (40, 160, 200), (250, 220, 60), (90, 200, 90))
_LANE = (232, 232, 214)
_DARK = (28, 28, 30)
_GLASS = (170, 205, 230)
_SKIN = (224, 180, 146)
_TROUSERS = (40, 48, 80)
_POLE = (128, 128, 128)


@dataclass(frozen=True)
class SceneObject:
    """One annotated object of a scene, in absolute pixels (origin top-left).

    Attributes:
        ident: the annotation id (unique within the scene).
        tool: ``bounding_box``, ``polygon`` or ``keypoint``.
        label: the class code.
        geometry: ``(x, y, width, height)`` for a box, the points of a polygon, ``(x, y)`` of a keypoint.
        attrs: the classification's other keys (attributes, a keypoint's visibility).
        group: the id of the group the object belongs to, if any.
    """

    ident: str
    tool: str
    label: str
    geometry: tuple[Any, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    group: str | None = None


@dataclass(frozen=True)
class Scene:
    """A rendered scene: its PNG bytes, its size and the objects drawn in it."""

    png: bytes
    weather: str
    objects: tuple[SceneObject, ...]
    width: int = WIDTH
    height: int = HEIGHT


class _Canvas:
    """An RGB raster drawn row by row: spans of one colour, written with slice assignment."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [bytearray(3 * width) for _ in range(height)]

    def span(self, y: int, x0: int, x1: int, color: Color) -> None:
        x0, x1 = max(x0, 0), min(x1, self.width)
        if 0 <= y < self.height and x1 > x0:
            self.rows[y][3 * x0 : 3 * x1] = bytes(color) * (x1 - x0)

    def rect(self, x0: float, y0: float, x1: float, y1: float, color: Color) -> None:
        left, right = round(x0), round(x1)
        for y in range(max(round(y0), 0), min(round(y1), self.height)):
            self.span(y, left, right, color)

    def polygon(self, points: Sequence[Point], color: Color) -> None:
        """Fill the pixels whose centres lie inside ``points`` (even-odd rule)."""
        top = max(math.floor(min(p[1] for p in points)), 0)
        bottom = min(math.ceil(max(p[1] for p in points)), self.height)
        edges = list(zip(points, [*points[1:], points[0]], strict=True))
        for y in range(top, bottom):
            yc = y + 0.5
            xs = sorted(
                x0 + (yc - y0) * (x1 - x0) / (y1 - y0)
                for (x0, y0), (x1, y1) in edges
                if (y0 <= yc < y1) or (y1 <= yc < y0)
            )
            for a, b in zip(xs[::2], xs[1::2], strict=False):
                self.span(y, math.ceil(a - 0.5), math.ceil(b - 0.5), color)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, color: Color) -> None:
        for y in range(max(math.floor(cy - ry), 0), min(math.ceil(cy + ry), self.height)):
            dy = (y + 0.5 - cy) / ry
            if abs(dy) < 1:
                half = rx * math.sqrt(1 - dy * dy)
                self.span(y, math.ceil(cx - half - 0.5), math.ceil(cx + half - 0.5), color)

    def line(self, a: Point, b: Point, width: float, color: Color) -> None:
        """A thick segment, drawn as the quadrilateral around it."""
        dx, dy = b[0] - a[0], b[1] - a[1]
        norm = math.hypot(dx, dy) or 1.0
        nx, ny = -dy / norm * width / 2, dx / norm * width / 2
        self.polygon(
            [(a[0] + nx, a[1] + ny), (b[0] + nx, b[1] + ny), (b[0] - nx, b[1] - ny), (a[0] - nx, a[1] - ny)],
            color,
        )

    def png(self) -> bytes:
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")
        return b"\x89PNG\r\n\x1a\n" + body


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return struct.pack(">I", len(data)) + kind + data + crc


def _pick(index: int, salt: int, n: int) -> int:
    """A deterministic pseudo-random integer in ``[0, n)`` for ``(index, salt)``."""
    mixed = (index * 2654435761 + salt * 97531 + 12345) & 0xFFFFFFFF
    mixed ^= mixed >> 13
    mixed = (mixed * 1274126177) & 0xFFFFFFFF
    return (mixed >> 8) % n


def _mix(a: Color, b: Color, t: float) -> Color:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


class _Road:
    """The road's edges: a trapezoid from the bottom of the image to the vanishing point."""

    def __init__(self, index: int, horizon: int) -> None:
        self.horizon = horizon
        self.vx = 160 + _pick(index, 1, 61) - 30
        self.bottom_left = 8 + _pick(index, 2, 30)
        self.bottom_right = WIDTH - 8 - _pick(index, 3, 30)

    def edges(self, y: float) -> tuple[float, float]:
        t = (y - self.horizon) / (HEIGHT - self.horizon)
        left = self.vx - 16 + (self.bottom_left - self.vx + 16) * t
        return left, self.vx + 16 + (self.bottom_right - self.vx - 16) * t

    def at(self, t: float) -> float:
        """The row ``t`` of the way from the horizon (0) to the bottom of the image (1)."""
        return self.horizon + (HEIGHT - self.horizon) * t

    def outline(self) -> tuple[Point, ...]:
        h = float(self.horizon)
        low = float(HEIGHT)
        return ((self.bottom_left, low), (self.vx - 16.0, h), (self.vx + 16.0, h), (self.bottom_right, low))


def _draw_car(canvas: _Canvas, x: int, y: int, w: int, h: int, color: Color) -> None:
    canvas.rect(x, y + 0.4 * h, x + w, y + 0.82 * h, color)
    cabin = [(x + 0.16 * w, y + 0.4 * h), (x + 0.3 * w, y), (x + 0.7 * w, y), (x + 0.86 * w, y + 0.4 * h)]
    canvas.polygon(cabin, color)
    glass = [(0.24, 0.38), (0.34, 0.08), (0.66, 0.08), (0.78, 0.38)]
    canvas.polygon([(x + gx * w, y + gy * h) for gx, gy in glass], _GLASS)
    for cx in (x + 0.23 * w, x + 0.77 * w):
        canvas.ellipse(cx, y + 0.82 * h, 0.12 * w, 0.18 * h, _DARK)


def _draw_person(canvas: _Canvas, x: int, y: int, w: int, h: int, shirt: Color) -> dict[str, Point]:
    """Draw a person filling the box; return the keypoints drawn."""
    cx = x + w / 2
    head_r = 0.11 * h
    neck = (cx, y + 2 * head_r)
    canvas.rect(x + 0.38 * w, y + 0.55 * h, cx - 0.02 * w, y + h, _TROUSERS)
    canvas.rect(cx + 0.02 * w, y + 0.55 * h, x + 0.62 * w, y + h, _TROUSERS)
    canvas.rect(x + 0.3 * w, neck[1], x + 0.7 * w, y + 0.58 * h, shirt)
    left_hand, right_hand = (x + 0.08 * w, y + 0.55 * h), (x + 0.92 * w, y + 0.55 * h)
    canvas.line((x + 0.32 * w, neck[1] + 2), left_hand, max(2.0, 0.1 * w), shirt)
    canvas.line((x + 0.68 * w, neck[1] + 2), right_hand, max(2.0, 0.1 * w), shirt)
    canvas.ellipse(cx, y + head_r, head_r, head_r, _SKIN)
    return {
        "head": (cx, y + head_r),
        "neck": neck,
        "left_hand": left_hand,
        "right_hand": right_hand,
        "left_foot": (x + 0.44 * w, y + h - 1),
        "right_foot": (x + 0.56 * w, y + h - 1),
    }


def _draw_bicycle(canvas: _Canvas, x: int, y: int, w: int, h: int, ground: Color) -> None:
    r = h * 0.32
    for cx in (x + r, x + w - r):
        canvas.ellipse(cx, y + h - r, r, r, _DARK)
        canvas.ellipse(cx, y + h - r, r * 0.7, r * 0.7, ground)
    rear, front, pedal = (x + r, y + h - r), (x + w - r, y + h - r), (x + 0.5 * w, y + h - r)
    seat, bar = (x + 0.4 * w, y + 0.25 * h), (x + 0.7 * w, y + 0.2 * h)
    for a, b in ((rear, seat), (seat, bar), (bar, front), (rear, pedal), (seat, pedal)):
        canvas.line(a, b, 2.0, (200, 40, 40))
    canvas.rect(x + 0.62 * w, y, x + 0.8 * w, y + 0.1 * h, _DARK)


def _draw_sign(canvas: _Canvas, x: int, y: int, s: int, kind: str, ground_y: float) -> None:
    canvas.rect(x + s / 2 - 1, y + s, x + s / 2 + 1, ground_y, _POLE)
    cx, cy, r = x + s / 2, y + s / 2, s / 2
    if kind == "stop":
        angles = [math.pi / 8 + k * math.pi / 4 for k in range(8)]
        canvas.polygon([(cx + r * math.cos(a), cy + r * math.sin(a)) for a in angles], (200, 20, 30))
        canvas.rect(x + 0.2 * s, cy - 1, x + 0.8 * s, cy + 1, (250, 250, 250))
    elif kind == "yield":
        canvas.polygon([(x, y), (x + s, y), (cx, y + s)], (200, 20, 30))
        inner = [(x + 0.25 * s, y + 0.15 * s), (x + 0.75 * s, y + 0.15 * s), (cx, y + 0.7 * s)]
        canvas.polygon(inner, (250, 250, 250))
    else:
        canvas.ellipse(cx, cy, r, r, (200, 20, 30))
        canvas.ellipse(cx, cy, r * 0.72, r * 0.72, (250, 250, 250))
        canvas.rect(cx - 0.2 * s, cy - 0.15 * s, cx + 0.2 * s, cy + 0.15 * s, _DARK)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _round_box(x: float, y: float, w: float, h: float) -> tuple[int, int, int, int]:
    return round(x), round(y), round(w), round(h)


def _background(canvas: _Canvas, index: int, weather: str) -> _Road:
    """Sky, buildings on the horizon, ground, the road and its lane dashes."""
    horizon = 96 + _pick(index, 0, 25)
    top, low = _SKY[weather]
    for y in range(horizon):
        canvas.span(y, 0, WIDTH, _mix(top, low, y / horizon))
    x, k = -_pick(index, 4, 20), 0
    while x < WIDTH:
        width, height = 30 + _pick(index, 10 + k, 40), 14 + _pick(index, 20 + k, 50)
        color = _BUILDINGS[_pick(index, 30 + k, len(_BUILDINGS))]
        if weather == "fog":
            color = _mix(color, low, 0.6)
        canvas.rect(x, horizon - height, x + width - 2, horizon, color)
        x, k = x + width + _pick(index, 40 + k, 12), k + 1
    canvas.rect(0, horizon, WIDTH, HEIGHT, _GROUND[weather])
    road = _Road(index, horizon)
    canvas.polygon(road.outline(), _ROAD[weather])
    bottom_mid = (road.bottom_left + road.bottom_right) / 2
    for k in range(8):  # lane dashes, longer as they come closer
        t0, t1 = (k + 0.2) ** 2 / 64, (k + 0.6) ** 2 / 64
        a = (road.vx + (bottom_mid - road.vx) * t0, horizon + (HEIGHT - horizon) * t0)
        b = (road.vx + (bottom_mid - road.vx) * t1, horizon + (HEIGHT - horizon) * t1)
        canvas.line(a, b, 1 + 4 * t1, _LANE)
    return road


def _cars(canvas: _Canvas, index: int, road: _Road) -> list[SceneObject]:
    """One car on the road, two in every third scene (the farther one drawn first)."""
    places = [(0.55 + 0.4 * _pick(index, 50, 100) / 100, 0.25 + 0.5 * _pick(index, 51, 100) / 100)]
    if index % 3 == 0:
        places.insert(0, (0.2 + 0.15 * _pick(index, 52, 100) / 100, 0.2 + 0.6 * _pick(index, 53, 100) / 100))
    boxes = []
    for t, across in places:
        w = 24 + 76 * t
        bottom = road.at(t)
        left, right = road.edges(bottom)
        boxes.append(_round_box(left + (right - left) * across - w / 2, bottom - 0.6 * w, w, 0.6 * w))
    objects = []
    for k, box in enumerate(boxes):
        _draw_car(canvas, *box, _CARS[_pick(index, 60 + k, len(_CARS))])
        hidden = any(_overlap(box, other) for other in boxes[k + 1 :])
        attrs = {"occluded": "yes" if hidden else "no"}
        objects.append(SceneObject(f"cr{index:05d}{k + 1:02d}", "bounding_box", "car", box, attrs))
    return objects


def _person(canvas: _Canvas, index: int, road: _Road) -> list[SceneObject]:
    """A pedestrian beside the road: a box and six keypoints, grouped."""
    t = 0.2 + 0.3 * _pick(index, 70, 100) / 100
    bottom = road.at(t)
    h = 30 + 50 * t
    w = 0.42 * h
    left, right = road.edges(bottom)
    aside = 4 + 20 * _pick(index, 71, 100) / 100
    box = _round_box(left - w - aside if index % 4 == 0 else right + aside, bottom - h, w, h)
    group = f"gp{index:05d}01"
    points = _draw_person(canvas, *box, _SHIRTS[_pick(index, 73, len(_SHIRTS))])
    objects = [SceneObject(f"ps{index:05d}01", "bounding_box", "person", box, {"occluded": "no"}, group)]
    for k, (name, (kx, ky)) in enumerate(points.items()):
        where = (round(kx, 1), round(ky, 1))
        visible = {"visibility": "visible"}
        objects.append(SceneObject(f"kp{index:05d}{k + 1:02d}", "keypoint", name, where, visible, group))
    return objects


def _bicycle(canvas: _Canvas, index: int, road: _Road, weather: str) -> SceneObject:
    """A parked bicycle on the verge."""
    t = 0.3 + 0.2 * _pick(index, 80, 100) / 100
    bottom = road.at(t)
    h = 16 + 24 * t
    w = 1.6 * h
    left, right = road.edges(bottom)
    box = _round_box(right + 6 if index % 4 == 0 else left - w - 6, bottom - h, w, h)
    _draw_bicycle(canvas, *box, _GROUND[weather])
    return SceneObject(f"bc{index:05d}01", "bounding_box", "bicycle", box)


def _sign(canvas: _Canvas, index: int, road: _Road) -> SceneObject:
    """A traffic sign on a pole at the left of the road (the box holds the sign, not the pole)."""
    kind = ("stop", "yield", "speed_limit")[_pick(index, 90, 3)]
    ground_y = road.at(0.15 + 0.2 * _pick(index, 91, 100) / 100)
    s = round(10 + 14 * (ground_y - road.horizon) / (HEIGHT - road.horizon))
    left, _right = road.edges(ground_y)
    box = _round_box(left - s - 2, ground_y - 3.2 * s, s, s)
    _draw_sign(canvas, box[0], box[1], s, kind, ground_y)
    return SceneObject(f"ts{index:05d}01", "bounding_box", "traffic_sign", box, {"kind": kind})


@functools.lru_cache(maxsize=512)
def street_scene(index: int) -> Scene:
    """The scene of unit ``index`` (>= 1): its PNG and its objects, the same on every call."""
    weather = WEATHERS[index % 3]
    canvas = _Canvas(WIDTH, HEIGHT)
    road = _background(canvas, index, weather)
    outline = tuple((round(px), round(py)) for px, py in road.outline())
    objects = [SceneObject(f"rd{index:05d}01", "polygon", "road", outline), *_cars(canvas, index, road)]
    if index % 2 == 0:
        objects += _person(canvas, index, road)
    if index % 5 == 0:
        objects.append(_bicycle(canvas, index, road, weather))
    if index % 4 == 1:
        objects.append(_sign(canvas, index, road))
    return Scene(canvas.png(), weather, tuple(objects))
