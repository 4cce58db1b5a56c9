"""Draw annotations on an image: boxes (rotated too), polygons, polylines, keypoints, masks, class names.

Pure drawing with Pillow (the ``vision`` extra), imported when a function is called: no I/O
beyond opening a path you pass, and no HTTP. ``task.render()`` and ``qs.show()`` fetch the file
and call :func:`render`::

    from synapse.render import grid, render

    img = render("frame.png", task.data, schema=project.configuration, size=512)
    sheet = grid([img, img2, img3], cols=2)

Colours come from the label schema (a class's ``color``), else from a fixed palette indexed by a
hash of the class code, so a class keeps its colour across images, runs and machines. Polygons
and masks get a translucent fill and an opaque outline; boxes, lines and keypoints are opaque.
What cannot be drawn (no image, no annotation) is written on the image and listed in
``image.info["missing"]``.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse.annotations import (
    Annotation,
    BoundingBox,
    Classification,
    Document,
    Keypoint,
    LabelSchema,
    Mask,
    Polygon,
    Polyline,
)

if TYPE_CHECKING:
    from PIL import Image as PILImage, ImageDraw, ImageFont

__all__ = ["PALETTE", "color_of", "grid", "render", "require_pillow"]

RGB = tuple[int, int, int]

#: The fallback colours, indexed by ``crc32(class code) % len(PALETTE)``.
PALETTE: tuple[str, ...] = (
    "#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
    "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3",
    "#808000", "#ffd8b1", "#000075", "#808080",
)  # fmt: skip

_FILL_ALPHA = 96  # translucent fills of polygons and masks (0-255)
_NO_IMAGE = (200, 200, 200)
_DEFAULT_CANVAS = (320, 240)


def require_pillow() -> Any:
    """Import ``PIL.Image``, or raise an ImportError that names the extra to install."""
    try:
        return importlib.import_module("PIL.Image")
    except ImportError as exc:
        raise ImportError(
            "drawing annotations needs Pillow, which is not installed: pip install 'synapse-orm[vision]'"
        ) from exc


def _rgb(text: str | None) -> RGB | None:
    if not text:
        return None
    from PIL import ImageColor

    try:
        value = ImageColor.getrgb(text)
    except ValueError:
        return None
    return (value[0], value[1], value[2])


def color_of(code: str | None, schema: LabelSchema | None = None) -> RGB:
    """The RGB colour of class ``code``: the schema's ``color``, else a stable palette entry.

    Args:
        code: The class code (None draws in the palette's colour of the empty code).
        schema: The project's label schema.
    """
    require_pillow()
    key = code or ""
    declared = _rgb(schema.color(key)) if schema is not None and code else None
    if declared is not None:
        return declared
    fallback = _rgb(PALETTE[zlib.crc32(key.encode("utf-8")) % len(PALETTE)])
    assert fallback is not None
    return fallback


def _as_schema(schema: LabelSchema | Mapping[str, Any] | None) -> LabelSchema | None:
    if schema is None or isinstance(schema, LabelSchema):
        return schema
    return LabelSchema.from_configuration(schema)


def _as_objects(
    source: Document | Mapping[str, Any] | Iterable[Annotation] | None, media_id: str | None
) -> tuple[list[Annotation], Document | None, str | None]:
    """``(objects, document, media id)`` of what ``render`` was given."""
    if source is None:
        return [], None, media_id
    if isinstance(source, Mapping):
        source = Document.from_dm(source)
    if isinstance(source, Document):
        media = media_id
        if media is None:
            with_objects = [m for m in source.media_ids if source.media[m]]
            media = with_objects[0] if with_objects else (source.media_ids[0] if source.media_ids else None)
        return (source.objects(media) if media is not None else []), source, media
    return list(source), None, media_id


def _open(image: Any) -> PILImage.Image | None:
    pil = require_pillow()
    if image is None:
        return None
    if isinstance(image, (str, Path)):
        with pil.open(image) as opened:
            return opened.convert("RGB")  # type: ignore[no-any-return]
    if isinstance(image, (bytes, bytearray)):
        import io

        with pil.open(io.BytesIO(bytes(image))) as opened:
            return opened.convert("RGB")  # type: ignore[no-any-return]
    if isinstance(image, pil.Image):
        return image.convert("RGB")  # type: ignore[no-any-return]
    raise TypeError(f"image must be a PIL image, a path, bytes or None, not {type(image).__name__}")


def _canvas_size(
    objects: Sequence[Annotation], document: Document | None, media: str | None
) -> tuple[int, int]:
    if document is not None and media is not None:
        known = document.size(media)
        if known is not None:
            return known
    xs, ys = [_DEFAULT_CANVAS[0]], [_DEFAULT_CANVAS[1]]
    for obj in objects:
        bounds = getattr(obj, "bounds", None)
        if bounds is None or isinstance(obj, Mask):
            continue
        try:
            _, _, x1, y1 = bounds()
        except ValueError:
            continue
        xs.append(int(x1) + 1)
        ys.append(int(y1) + 1)
    return max(xs), max(ys)


def _target_size(width: int, height: int, size: int | tuple[int, int] | None) -> tuple[int, int]:
    if size is None:
        return width, height
    if isinstance(size, int):
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        scale = size / max(width, height)
        return max(1, round(width * scale)), max(1, round(height * scale))
    w, h = size
    if w < 1 or h < 1:
        raise ValueError(f"size must be positive, got {size}")
    return int(w), int(h)


def _font(pixels: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=pixels)
    except (TypeError, ValueError, OSError, ImportError):  # an old Pillow or one without FreeType
        return ImageFont.load_default()


def _contrast(color: RGB) -> RGB:
    luminance = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    return (0, 0, 0) if luminance > 150 else (255, 255, 255)


class _Painter:
    """Draws one set of objects on one image, scaling coordinates by ``(sx, sy)``."""

    def __init__(self, base: PILImage.Image, sx: float, sy: float, schema: LabelSchema | None) -> None:
        from PIL import ImageDraw

        self.pil = require_pillow()
        self.base = base.convert("RGBA")
        self.overlay = self.pil.new("RGBA", self.base.size, (0, 0, 0, 0))
        self.fill: ImageDraw.ImageDraw = ImageDraw.Draw(self.overlay)
        self.sx, self.sy = sx, sy
        self.schema = schema
        self.width = max(2, round(max(self.base.size) / 256))
        self.font = _font(max(8, round(max(self.base.size) / 40)))
        self.captions: list[tuple[tuple[float, float], str, RGB]] = []
        self.lines: list[str] = []

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x * self.sx, y * self.sy)

    def color(self, obj: Annotation) -> RGB:
        return color_of(obj.label, self.schema)

    def name(self, obj: Annotation) -> str:
        if obj.label is None:
            return obj.tool
        spec = self.schema.get(obj.label, obj.tool) if self.schema is not None else None
        return spec.name if spec is not None and spec.name else obj.label

    # ---- translucent fills (drawn on the overlay, composited once) ----
    def fill_polygon(self, obj: Polygon) -> None:
        if len(obj.points) >= 3:
            self.fill.polygon([self.xy(*p) for p in obj.points], fill=(*self.color(obj), _FILL_ALPHA))

    def fill_mask(self, obj: Mask, image_size: tuple[int, int]) -> None:
        width = obj.width or image_size[0]
        height = obj.height or image_size[1]
        pixels = bytearray(width * height)
        limit = width * height
        for index in obj.to_indices():
            if 0 <= index < limit:
                pixels[index] = _FILL_ALPHA
        alpha = self.pil.frombytes("L", (width, height), bytes(pixels))
        if alpha.size != self.base.size:
            target = (round(width * self.sx), round(height * self.sy))
            alpha = alpha.resize(target, self.pil.Resampling.NEAREST)
            padded = self.pil.new("L", self.base.size, 0)
            padded.paste(alpha, (0, 0))
            alpha = padded
        solid = self.pil.new("RGBA", self.base.size, (*self.color(obj), 255))
        solid.putalpha(alpha)
        self.overlay = self.pil.alpha_composite(self.overlay, solid)
        from PIL import ImageDraw

        self.fill = ImageDraw.Draw(self.overlay)
        if alpha.getbbox() is not None:
            x0, y0, _, _ = alpha.getbbox()
            self.captions.append(((x0, y0), self.name(obj), self.color(obj)))

    # ---- opaque strokes (drawn after the fills) ----
    def box(self, draw: ImageDraw.ImageDraw, obj: BoundingBox) -> None:
        color = self.color(obj)
        if obj.is_rotated:
            corners = [self.xy(*c) for c in obj.corners()]
            draw.line([*corners, corners[0]], fill=color, width=self.width, joint="curve")
            highest = min(corners, key=lambda p: (p[1], p[0]))
            self.captions.append((highest, self.name(obj), color))
            return
        x0, y0 = self.xy(obj.x, obj.y)
        x1, y1 = self.xy(obj.x + obj.width, obj.y + obj.height)
        left, top = round(x0), round(y0)
        right, bottom = max(left, round(x1) - 1), max(top, round(y1) - 1)
        draw.rectangle([left, top, right, bottom], outline=color, width=self.width)
        self.captions.append(((float(left), float(top)), self.name(obj), color))

    def polygon(self, draw: ImageDraw.ImageDraw, obj: Polygon) -> None:
        if not obj.points:
            return
        points = [self.xy(*p) for p in obj.points]
        draw.line([*points, points[0]], fill=self.color(obj), width=self.width, joint="curve")
        self.captions.append((min(points, key=lambda p: (p[1], p[0])), self.name(obj), self.color(obj)))

    def polyline(self, draw: ImageDraw.ImageDraw, obj: Polyline) -> None:
        if not obj.points:
            return
        points = [self.xy(*p) for p in obj.points]
        draw.line(points, fill=self.color(obj), width=self.width, joint="curve")
        self.captions.append((points[0], self.name(obj), self.color(obj)))

    def keypoints(self, draw: ImageDraw.ImageDraw, points: Sequence[Keypoint]) -> None:
        edges = self.schema.skeleton("keypoint") if self.schema is not None else ()
        groups: dict[str | None, dict[str, Keypoint]] = {}
        for kp in points:
            if kp.label is not None:
                groups.setdefault(kp.group, {}).setdefault(kp.label, kp)
        for members in groups.values():
            for a, b in edges:
                if a in members and b in members and members[a].visibility and members[b].visibility:
                    start, end = members[a], members[b]
                    draw.line([self.xy(start.x, start.y), self.xy(end.x, end.y)],
                              fill=self.color(start), width=max(1, self.width - 1))
        radius = self.width + 1
        for kp in points:
            if kp.visibility == 0:
                continue
            x, y = self.xy(kp.x, kp.y)
            bounds = [x - radius, y - radius, x + radius, y + radius]
            color = self.color(kp)
            if kp.visibility == 1:  # occluded: a ring
                draw.ellipse(bounds, outline=color, width=max(1, self.width // 2))
            else:
                draw.ellipse(bounds, fill=color, outline=_contrast(color))

    def caption(self, draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str, color: RGB) -> None:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=self.font)
        w, h = right - left + 4, bottom - top + 2
        x, y = at
        y = y - h if y - h >= 0 else y  # above the shape when it fits, else just inside
        x = min(max(0.0, x), max(0.0, self.base.size[0] - w))
        draw.rectangle([x, y, x + w - 1, y + h - 1], fill=color)
        draw.text((x + 2 - left, y + 1 - top), text, fill=_contrast(color), font=self.font)

    def banner(self, draw: ImageDraw.ImageDraw, lines: Sequence[str], *, bottom: bool) -> None:
        if not lines:
            return
        text = "\n".join(lines)
        left, top, right, lower = draw.multiline_textbbox((0, 0), text, font=self.font)
        w, h = right - left + 8, lower - top + 6
        y = self.base.size[1] - h if bottom else 0
        draw.rectangle([0, y, w, y + h], fill=(0, 0, 0))
        draw.multiline_text((4 - left, y + 3 - top), text, fill=(255, 255, 255), font=self.font)


def render(
    image: Any,
    objects_or_document: Document | Mapping[str, Any] | Iterable[Annotation] | None,
    schema: LabelSchema | Mapping[str, Any] | None = None,
    size: int | tuple[int, int] | None = None,
    *,
    media_id: str | None = None,
    labels: bool = True,
    missing: Iterable[str] = (),
) -> PILImage.Image:
    """Draw annotations on an image and return a new RGB image.

    Args:
        image: A ``PIL.Image``, a path, the file's bytes, or None (a grey canvas of the size
            ``extra`` records, and "no image" written on it).
        objects_or_document: A :class:`~synapse.annotations.Document`, a DM v1 or v2 dict (a task's
            ``data``), annotation objects, or None.
        schema: The project's :class:`~synapse.annotations.LabelSchema` or its ``configuration``
            dict: class colours, display names and the keypoint skeleton.
        size: The longest side of the result in pixels, or an exact ``(width, height)``; None keeps
            the image's size. Coordinates are scaled, never the strokes.
        media_id: Which media item of a document to draw (default: the first with objects).
        labels: Write each object's class name beside it.
        missing: More lines to write on the image (what the caller could not get).

    Returns:
        The drawing; ``result.info["missing"]`` lists what was missing (``"image"``, ``"annotations"``).

    Raises:
        ImportError: Pillow is not installed (the ``vision`` extra).
        TypeError: ``image`` is of an unsupported type.
    """
    pil = require_pillow()
    from PIL import ImageDraw

    objects, document, media = _as_objects(objects_or_document, media_id)
    parsed_schema = _as_schema(schema)
    opened = _open(image)
    notes = list(missing)
    gaps: list[str] = []
    if opened is None:
        opened = pil.new("RGB", _canvas_size(objects, document, media), _NO_IMAGE)
        gaps.append("image")
        notes.insert(0, "no image")
    source_size: tuple[int, int] = opened.size
    target = _target_size(source_size[0], source_size[1], size)
    if target != source_size:
        opened = opened.resize(target, pil.Resampling.BILINEAR)
    painter = _Painter(opened, target[0] / source_size[0], target[1] / source_size[1], parsed_schema)

    drawable = [obj for obj in objects if isinstance(obj, (BoundingBox, Polygon, Polyline, Keypoint, Mask))]
    if not objects:
        gaps.append("annotations")
        notes.append("no annotations")
    for obj in drawable:
        if isinstance(obj, Polygon):
            painter.fill_polygon(obj)
        elif isinstance(obj, Mask):
            size_hint = (document.size(media) if document is not None and media is not None else None)
            painter.fill_mask(obj, size_hint or source_size)
    result = pil.alpha_composite(painter.base, painter.overlay)
    draw = ImageDraw.Draw(result)
    for obj in drawable:
        if isinstance(obj, BoundingBox):
            painter.box(draw, obj)
        elif isinstance(obj, Polygon):
            painter.polygon(draw, obj)
        elif isinstance(obj, Polyline):
            painter.polyline(draw, obj)
    painter.keypoints(draw, [obj for obj in drawable if isinstance(obj, Keypoint)])
    if labels:
        for at, text, color in painter.captions:
            painter.caption(draw, at, text, color)
    tags = [painter.name(obj) for obj in objects if isinstance(obj, Classification)]
    painter.banner(draw, [", ".join(tags)] if tags else [], bottom=False)
    painter.banner(draw, notes, bottom=True)
    out = result.convert("RGB")
    out.info["missing"] = gaps
    return out  # type: ignore[no-any-return]


def grid(
    images: Iterable[PILImage.Image],
    cols: int = 4,
    *,
    size: int | None = None,
    pad: int = 4,
    background: str | tuple[int, int, int] = (255, 255, 255),
    captions: Sequence[str] | None = None,
) -> PILImage.Image:
    """Lay images out in a grid, row by row, each centred in a cell.

    Args:
        images: The images (any sizes).
        cols: Cells per row.
        size: Scale each image so its longest side is ``size`` first; cells fit the largest image.
        pad: Pixels between cells and around the grid.
        background: The colour between and behind the images.
        captions: One text per image, written under it.

    Returns:
        One RGB image (a 1x1 cell of background when ``images`` is empty).

    Raises:
        ValueError: ``cols`` is below 1.
    """
    if cols < 1:
        raise ValueError(f"cols must be at least 1, got {cols}")
    pil = require_pillow()
    from PIL import ImageDraw

    tiles = [im.convert("RGB") for im in images]
    if size is not None:
        for i, tile in enumerate(tiles):
            if max(tile.size) != size:
                tiles[i] = tile.resize(_target_size(*tile.size, size), pil.Resampling.BILINEAR)
    cell_w = max((t.size[0] for t in tiles), default=size or 1)
    cell_h = max((t.size[1] for t in tiles), default=size or 1)
    font = _font(max(10, cell_w // 20))
    caption_h = 0
    if captions:
        probe = ImageDraw.Draw(pil.new("RGB", (1, 1)))
        caption_h = int(probe.textbbox((0, 0), "Ag", font=font)[3]) + 4
    rows = max(1, -(-len(tiles) // cols))
    used_cols = min(cols, max(1, len(tiles)))
    sheet = pil.new(
        "RGB",
        (pad + used_cols * (cell_w + pad), pad + rows * (cell_h + caption_h + pad)),
        background,
    )
    draw = ImageDraw.Draw(sheet)
    for i, tile in enumerate(tiles):
        row, col = divmod(i, cols)
        x = pad + col * (cell_w + pad)
        y = pad + row * (cell_h + caption_h + pad)
        sheet.paste(tile, (x + (cell_w - tile.size[0]) // 2, y + (cell_h - tile.size[1]) // 2))
        if captions and i < len(captions):
            draw.text((x, y + cell_h + 2), captions[i], fill=(0, 0, 0), font=font)
    return sheet  # type: ignore[no-any-return]
