"""Typed annotation objects: one frozen attrs class per tool, with the geometry exporters need.

Coordinates are absolute pixels, origin top-left, y pointing down (ANNOTATIONS.md §1). Objects are
immutable and compare by value; derive a changed copy with :meth:`Annotation.replace`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from attrs import Attribute, evolve, field, fields, frozen
from attrs.validators import in_

if TYPE_CHECKING:  # numpy is optional and imported only by Mask.to_array / Mask.from_array
    import numpy as np
    import numpy.typing as npt

Point = tuple[float, float]
"""An ``(x, y)`` vertex in pixels."""

Bounds = tuple[float, float, float, float]
"""``(xmin, ymin, xmax, ymax)`` in pixels."""

MaskEncoding = Literal["raw_indices", "dm_rle"]
_A = TypeVar("_A", bound="Annotation")
_T = TypeVar("_T")

VISIBILITY_NAMES: tuple[str, str, str] = ("missing", "occluded", "visible")
"""Keypoint visibility names, indexed by their number (0, 1, 2)."""


def _coordinate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"a coordinate is a number, not {value!r}")
    return value


def _number(_instance: Any, attribute: Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number, not {value!r}")


def _points(value: Iterable[Sequence[float]]) -> tuple[Point, ...]:
    points = []
    for p in value:
        if len(p) != 2:
            raise ValueError(f"a point is (x, y), not {p!r}")
        points.append((_coordinate(p[0]), _coordinate(p[1])))
    return tuple(points)


def _indices(value: Iterable[int]) -> tuple[int, ...]:
    indices = tuple(value)
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"a mask index is an int, not {index!r}")
    return indices


def _mapping(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(value or {})


def _labels(value: Iterable[Any] | None) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def _visibility(value: int | str) -> int:
    if isinstance(value, str):
        if value.lower() in VISIBILITY_NAMES:
            return VISIBILITY_NAMES.index(value.lower())
        value = int(value)
    if isinstance(value, bool) or value not in (0, 1, 2):
        raise ValueError(f"keypoint visibility must be 0, 1, 2 or one of {VISIBILITY_NAMES}, not {value!r}")
    return int(value)


@frozen
class RowSource:
    """The DM v1 rows an object was read from, kept so that writing it back loses nothing.

    Attributes:
        meta: The row of ``annotations`` (None when the document had only a geometry row).
        data: The row of ``annotationsData`` (None when the document had only a meta row).
    """

    meta: dict[str, Any] | None
    data: dict[str, Any] | None


@frozen(kw_only=True)
class Annotation:
    """Base of every annotation object: what all tools share.

    Attributes:
        id: The annotation id, unique within its media item; generated when written if None.
        label: The class code (``classification["class"]``), or None.
        attrs: The other classification keys (attribute name -> value).
        group: The id of the group the annotation belongs to, or None.
        is_locked: The v1 ``isLocked`` flag (None when absent); likewise the three flags below.
        is_visible: The v1 ``isVisible`` flag.
        is_valid: The v1 ``isValid`` flag.
        is_draw_completed: The v1 ``isDrawCompleted`` flag.
        labels: The v1 meta row's ``label`` list (None when absent).
        origin: The v1 rows the object was read from (not part of equality); keeps unknown keys.
    """

    TOOL: ClassVar[str] = ""

    id: str | None = None
    label: str | None = None
    attrs: dict[str, Any] = field(factory=dict, converter=_mapping, hash=False)
    group: str | None = None
    is_locked: bool | None = None
    is_visible: bool | None = None
    is_valid: bool | None = None
    is_draw_completed: bool | None = None
    labels: tuple[Any, ...] | None = field(default=None, converter=_labels, hash=False)
    origin: RowSource | None = field(default=None, eq=False, repr=False)

    @property
    def tool(self) -> str:
        """The DM tool name (``bounding_box``, ``polygon``, ...)."""
        return self.TOOL

    def replace(self: _A, **changes: Any) -> _A:
        """Return a copy with the given fields changed (``box.replace(label="truck")``)."""
        return evolve(self, **changes)


@frozen(kw_only=True)
class BoundingBox(Annotation):
    """A box: top-left corner ``(x, y)``, size, and a rotation in radians about its centre.

    Rotation is clockwise positive in image coordinates (y down), the platform decision of
    ANNOTATIONS.md §1.
    """

    TOOL: ClassVar[str] = "bounding_box"

    x: float = field(validator=_number)
    y: float = field(validator=_number)
    width: float = field(validator=_number)
    height: float = field(validator=_number)
    rotation: float = field(default=0.0, validator=_number)

    @property
    def is_rotated(self) -> bool:
        """True when the rotation is not a multiple of a full turn."""
        return abs(math.remainder(self.rotation, 2 * math.pi)) > 1e-12

    def center(self) -> Point:
        """The centre of the box."""
        return (self.x + self.width / 2, self.y + self.height / 2)

    def corners(self) -> tuple[Point, Point, Point, Point]:
        """The four corners, clockwise from the (unrotated) top-left, rotated about the centre."""
        if not self.is_rotated:
            x0, y0, x1, y1 = self.x, self.y, self.x + self.width, self.y + self.height
            return ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
        cx, cy = self.center()
        hw, hh = self.width / 2, self.height / 2
        local = ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        # with y down, this matrix turns clockwise on screen
        tl, tr, br, bl = ((cx + dx * cos - dy * sin, cy + dx * sin + dy * cos) for dx, dy in local)
        return (tl, tr, br, bl)

    def bounds(self) -> Bounds:
        """``(xmin, ymin, xmax, ymax)``: the box itself, or the hull of its rotated corners."""
        if not self.is_rotated:
            return (self.x, self.y, self.x + self.width, self.y + self.height)
        return _bounds_of(self.corners())

    def area(self) -> float:
        """Width times height."""
        return self.width * self.height


def _bounds_of(points: Iterable[Point]) -> Bounds:
    xs, ys = zip(*points, strict=True)
    return (min(xs), min(ys), max(xs), max(ys))


@frozen(kw_only=True)
class Polygon(Annotation):
    """A closed polygon given by its vertices (the first one not repeated at the end)."""

    TOOL: ClassVar[str] = "polygon"

    points: tuple[Point, ...] = field(converter=_points)

    def bounds(self) -> Bounds:
        """``(xmin, ymin, xmax, ymax)`` of the vertices.

        Raises:
            ValueError: The polygon has no vertex.
        """
        if not self.points:
            raise ValueError("an empty polygon has no bounds")
        return _bounds_of(self.points)

    def area(self) -> float:
        """The enclosed area by the shoelace formula (always >= 0)."""
        pts = self.points
        twice = sum(pts[i][0] * pts[i - 1][1] - pts[i - 1][0] * pts[i][1] for i in range(len(pts)))
        return abs(twice) / 2

    def flat(self) -> list[float]:
        """The vertices as ``[x1, y1, x2, y2, ...]``."""
        return [c for p in self.points for c in p]


@frozen(kw_only=True)
class Polyline(Annotation):
    """An open line through its vertices."""

    TOOL: ClassVar[str] = "polyline"

    points: tuple[Point, ...] = field(converter=_points)

    def bounds(self) -> Bounds:
        """``(xmin, ymin, xmax, ymax)`` of the vertices.

        Raises:
            ValueError: The line has no vertex.
        """
        if not self.points:
            raise ValueError("an empty polyline has no bounds")
        return _bounds_of(self.points)

    def length(self) -> float:
        """The sum of the segment lengths."""
        return sum(math.dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))


@frozen(kw_only=True)
class Keypoint(Annotation):
    """One named point; ``visibility`` is 0 missing, 1 occluded, 2 visible (names accepted too)."""

    TOOL: ClassVar[str] = "keypoint"

    x: float = field(validator=_number)
    y: float = field(validator=_number)
    visibility: int = field(default=2, converter=_visibility)

    def bounds(self) -> Bounds:
        """The point as a degenerate ``(x, y, x, y)``."""
        return (self.x, self.y, self.x, self.y)


@frozen(kw_only=True)
class Mask(Annotation):
    """A pixel mask as row-major flat indices ``y * width + x``, or as DM runs.

    ``encoding="dm_rle"`` stores ``[start, length, start, length, ...]`` runs of indices (the
    platform's compressed form, not COCO RLE). ``width``/``height`` are the image size when known.
    """

    TOOL: ClassVar[str] = "segmentation"

    indices: tuple[int, ...] = field(converter=_indices)
    encoding: MaskEncoding = field(default="raw_indices", validator=in_(("raw_indices", "dm_rle")))
    width: int | None = None
    height: int | None = None

    def to_indices(self) -> tuple[int, ...]:
        """The flat pixel indices (runs expanded), in stored order."""
        if self.encoding == "raw_indices":
            return self.indices
        runs = self.indices
        out: list[int] = []
        for start, length in zip(runs[::2], runs[1::2], strict=False):
            out.extend(range(start, start + length))
        return tuple(out)

    def to_runs(self) -> tuple[int, ...]:
        """The mask as flat ``[start, length, ...]`` runs over its sorted distinct indices."""
        if self.encoding == "dm_rle":
            return self.indices
        runs: list[int] = []
        for index in sorted(set(self.indices)):
            if runs and runs[-2] + runs[-1] == index:
                runs[-1] += 1
            else:
                runs += [index, 1]
        return tuple(runs)

    def encoded(self, encoding: MaskEncoding) -> Mask:
        """A copy in the other encoding (``raw_indices`` ones come back sorted and distinct)."""
        if encoding == self.encoding:
            return self
        if encoding == "dm_rle":
            return evolve(self, indices=self.to_runs(), encoding="dm_rle")
        return evolve(self, indices=sorted(set(self.to_indices())), encoding="raw_indices")

    def area(self) -> int:
        """The number of distinct pixels."""
        return len(set(self.to_indices()))

    def _width(self, width: int | None) -> int:
        width = width if width is not None else self.width
        if not width:
            raise ValueError("the mask needs the image width (pass width= or set Mask.width)")
        return width

    def bounds(self, width: int | None = None) -> Bounds:
        """``(xmin, ymin, xmax + 1, ymax + 1)`` of the pixels: pixel ``(x, y)`` covers ``[x, x + 1)``.

        Args:
            width: The image width; defaults to ``self.width``.

        Raises:
            ValueError: No width is known, or the mask is empty.
        """
        w = self._width(width)
        indices = self.to_indices()
        if not indices:
            raise ValueError("an empty mask has no bounds")
        xs = [i % w for i in indices]
        ys = [i // w for i in indices]
        return (min(xs), min(ys), max(xs) + 1, max(ys) + 1)

    def bbox(self, width: int | None = None) -> tuple[float, float, float, float]:
        """The pixels' bounding box as ``(x, y, width, height)`` (what COCO's ``toBbox`` gives)."""
        x0, y0, x1, y1 = self.bounds(width)
        return (x0, y0, x1 - x0, y1 - y0)

    def to_array(self, width: int | None = None, height: int | None = None) -> npt.NDArray[np.bool_]:
        """The mask as a boolean ``(height, width)`` numpy array (numpy is imported here only).

        Raises:
            ValueError: The size is unknown, or an index lies outside the image.
        """
        import numpy as np

        w = self._width(width)
        h = height if height is not None else self.height
        if not h:
            raise ValueError("the mask needs the image height (pass height= or set Mask.height)")
        flat = np.zeros(w * h, dtype=bool)
        indices = np.asarray(self.to_indices(), dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= w * h):
            raise ValueError(f"mask indices lie outside a {w}x{h} image")
        flat[indices] = True
        return flat.reshape(h, w)

    @classmethod
    def from_array(cls, array: Any, *, encoding: MaskEncoding = "raw_indices", **fields: Any) -> Mask:
        """Build a mask from a 2-D array whose true (non-zero) pixels belong to it.

        Args:
            array: A ``(height, width)`` array-like.
            encoding: The encoding of the new mask.
            **fields: Other fields (``label``, ``id``, ...).
        """
        import numpy as np

        arr = np.asarray(array)
        height, width = arr.shape
        indices = [int(i) for i in np.flatnonzero(arr.reshape(-1))]
        mask = cls(indices=indices, width=width, height=height, **fields)
        return mask.encoded(encoding)


@frozen(kw_only=True)
class Classification(Annotation):
    """A whole-media classification: only a class and attributes, no geometry."""

    TOOL: ClassVar[str] = "classification"


@frozen(kw_only=True)
class Relation(Annotation):
    """A directed link from the annotation ``source`` to the annotation ``target`` (ids)."""

    TOOL: ClassVar[str] = "relation"

    source: str
    target: str


@frozen(kw_only=True)
class RawAnnotation(Annotation):
    """An annotation of a tool the model does not type (3D, text, time ranges, video masks ...).

    Attributes:
        tool: The tool name as sent (empty when the document had a geometry row without meta row).
        geometry: The geometry row without its ``id``, kept as sent.
    """

    tool: str
    geometry: dict[str, Any] = field(factory=dict, converter=_mapping, hash=False)


TYPED_TOOLS: dict[str, type[Annotation]] = {
    cls.TOOL: cls for cls in (BoundingBox, Polygon, Polyline, Keypoint, Mask, Classification, Relation)
}
"""Tool name -> the class that types it."""

KNOWN_TOOLS: tuple[str, ...] = (
    "bounding_box", "polygon", "polyline", "keypoint", "segmentation", "classification", "relation",
    "3d_bounding_box", "3d_segmentation", "named_entity", "time_range",
)  # fmt: skip
"""Every tool of ANNOTATIONS.md §1, typed or not."""


_BASE_FIELDS = ("id", "label", "group", "is_locked", "is_visible", "is_valid", "is_draw_completed", "labels",
               "origin")
"""The fields every tool shares, but ``attrs``, in the order :func:`_fast_builder` takes them."""


def _fast_builder(cls: type[_T]) -> Callable[..., _T]:
    """A constructor of an attrs class with slots that sets every field as given: no converter, no validator.

    For an :class:`Annotation` class it is called as ``build(base, attrs, *own)``: ``base`` the
    values of ``_BASE_FIELDS``, then the ``attrs`` dict, then the class's own fields in
    declaration order (``x, y, width, height, rotation`` for a box). For another class, with
    every field in declaration order. For readers that build objects from values they have
    already checked and converted (each field as its converter would give it); the public
    constructors keep validating.
    """
    names = [a.name for a in fields(cls)]  # type: ignore[arg-type]
    shared = issubclass(cls, Annotation)
    own = [n for n in names if n not in _BASE_FIELDS and n != "attrs"] if shared else names
    every = [*_BASE_FIELDS, "attrs", *own] if shared else names
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    for name in every:  # each slot's own setter: no attribute lookup by name at each call
        slot = next(k.__dict__[name] for k in cls.__mro__ if name in k.__dict__)
        scope[f"set_{name}"] = slot.__set__
    head = ["base", "attrs", *own] if shared else own
    source = f"def build({', '.join(head)}):\n"
    if shared:
        source += f"    {', '.join(_BASE_FIELDS)} = base\n"
    source += "    obj = new(cls)\n" + "".join(f"    set_{name}(obj, {name})\n" for name in every)
    source += "    return obj\n"
    exec(source, scope)  # generated from the class's own field names
    build: Callable[..., _T] = scope["build"]
    return build
