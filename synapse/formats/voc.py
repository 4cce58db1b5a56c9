"""Pascal VOC: ``JPEGImages/``, ``Annotations/<stem>.xml``, ``ImageSets/Main/<split>.txt``, ``labelmap.txt``.

Each object is written with its class name and its axis-aligned ``bndbox`` (pixel coordinates as
floats, ``xmax = x + width``, the convention COCO boxes use) and its attributes under
``<attributes>``. With ``masks=True`` polygons and masks are also painted into
``SegmentationObject/<stem>.png`` (the object's index in the XML, from 1) and
``SegmentationClass/<stem>.png`` (its class id, from 1), palette PNGs; the class PNGs are drawn at
:meth:`VocWriter.close`, when the class ids are known. Reading is
:func:`synapse.formats.voc_read.read_voc`.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import PurePath
from typing import IO, Any

import synapse.annotations as ann
from synapse.formats import geometry, libraries
from synapse.formats.base import Item, LabelsArg, SchemaArg
from synapse.formats.writing import BaseWriter

MAX_INSTANCES = 254
"""Objects a ``SegmentationObject`` PNG can index (255 is VOC's boundary value)."""

DEFAULT_SPLIT = "default"
"""The image-set name of items without a split (``ImageSets/Main/default.txt``)."""


def voc_palette() -> list[int]:
    """The 256-colour Pascal VOC palette as a flat ``[r, g, b, ...]`` list."""
    palette = []
    for index in range(256):
        r = g = b = 0
        value = index
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette += [r, g, b]
    return palette


def number(value: float) -> str:
    """A coordinate as the XML holds it: an integer when whole, else Python's shortest float text."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def attribute_text(value: Any) -> str:
    """An attribute value as text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _flag(value: Any) -> str:
    return "1" if value in (True, 1, "1", "yes", "true") else "0"


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


class VocWriter(BaseWriter):
    """Writes a Pascal VOC folder (with segmentation PNGs when ``masks=True``)."""

    format = "voc"

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        labels: LabelsArg = None,
        schema: SchemaArg = None,
        media: bool = True,
        masks: bool = False,
    ) -> None:
        """Start a VOC folder at ``dest``.

        Args:
            dest: The destination folder.
            labels: An explicit class order (ids from 1); classes outside it are skipped.
            schema: The project's label schema (or configuration): its classes and colours come first.
            media: Copy the images into ``JPEGImages/`` (as they are: no re-encoding).
            masks: Paint polygons and masks into ``SegmentationClass/`` and ``SegmentationObject/``.
        """
        super().__init__(dest, labels=labels, schema=schema, media=media)
        self.masks = masks
        self._seen: set[str] = set()
        self._sets: dict[tuple[str, str], IO[str]] = {}
        self._spool_path = self.parts() / "segmentation.jsonl"
        self._spool: IO[str] = self._spool_path.open("w", encoding="utf-8")

    def add(self, item: Item) -> None:
        """Write the item's image and XML (and its object PNG), and list it in its image set."""
        size = item.size()
        if size is None:
            whole: list[ann.Annotation | None] = [None]
            for obj in item.objects or whole:
                self.audit(item, obj, "skipped", "unknown_image_size", f"{item.name}: no width/height")
            return
        width, height = size
        suffix = PurePath(item.name).suffix
        stem = self.names.claim("Annotations", item.name[: len(item.name) - len(suffix)], item)
        self.copy_media(item, self.dest / "JPEGImages" / (stem + suffix))
        root = ET.Element("annotation")
        _sub(root, "folder", "JPEGImages")
        _sub(root, "filename", stem + suffix)
        size_element = _sub(root, "size")
        for tag, value in (("width", width), ("height", height), ("depth", 3)):
            _sub(size_element, tag, str(value))
        segmented = _sub(root, "segmented", "0")
        canvas = libraries.numpy().zeros((height, width), dtype="uint8") if self.masks else None
        codes: list[str] = []  # class code per XML object, in order
        painted: dict[int, ann.Annotation | None] = {}
        for obj in item.objects:
            bounds = self._bounds(item, obj, width)
            if bounds is None:
                continue
            codes.append(str(obj.label))
            self._seen.add(str(obj.label))
            _object(root, obj, bounds)
            if canvas is not None and isinstance(obj, (ann.Polygon, ann.Mask)):
                self._paint(item, obj, canvas, len(codes), painted, size)
        if canvas is not None and painted:
            segmented.text = "1"
            path = self.dest / "SegmentationObject" / f"{stem}.png"
            libraries.save_png(canvas, path, voc_palette())
            self.record(path, item)
            self._spool.write(json.dumps([stem, codes, [item.task_id, item.unit_id, item.media_id]]) + "\n")
        ET.indent(root)
        xml = ET.tostring(root, encoding="unicode") + "\n"
        self.write_text(self.dest / "Annotations" / f"{stem}.xml", xml, item)
        self._list(item, "Main", stem)
        if canvas is not None and painted:
            self._list(item, "Segmentation", stem)

    def _bounds(self, item: Item, obj: ann.Annotation, width: int) -> ann.Bounds | None:
        if not isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask)):
            self.unsupported(item, obj)
            return None
        if obj.label is None:
            self.audit(item, obj, "skipped", "no_label", f"a {obj.tool} without a class has no name")
            return None
        if self.labels is not None and obj.label not in self.labels:
            self.audit(item, obj, "skipped", "unknown_class", f"{obj.label!r} is not in labels=")
            return None
        try:
            bounds = obj.bounds(width) if isinstance(obj, ann.Mask) else obj.bounds()
        except ValueError as exc:
            self.audit(item, obj, "skipped", "empty_geometry", str(exc))
            return None
        if isinstance(obj, ann.BoundingBox) and obj.is_rotated:
            self.audit(item, obj, "lossy", "rotated_box", "written as its axis-aligned hull")
        elif isinstance(obj, ann.Polygon):
            reason = "polygon_as_mask" if self.masks else "polygon_as_box"
            self.audit(item, obj, "lossy", reason, "VOC objects are boxes (and pixels in the PNGs)")
        elif isinstance(obj, ann.Mask) and not self.masks:
            self.audit(item, obj, "lossy", "mask_as_box", "written as its bounding box (masks=False)")
        return bounds

    def _paint(
        self, item: Item, obj: ann.Polygon | ann.Mask, canvas: Any, index: int,
        painted: dict[int, ann.Annotation | None], size: tuple[int, int],
    ) -> None:  # fmt: skip
        if index > MAX_INSTANCES:
            self.audit(item, obj, "lossy", "mask_as_box", f"a PNG indexes {MAX_INSTANCES} objects")
            return
        if isinstance(obj, ann.Mask):
            pixels = obj.to_array(*size)
        else:
            pixels = geometry.polygon_mask(obj.points, *size)
        for covered in sorted({int(v) for v in canvas[pixels]} - {0}):
            earlier = painted.get(covered)
            if earlier is not None:  # reported once, however often it is painted over
                self.audit(item, earlier, "lossy", "mask_overlap", "partly painted over by a later object")
                painted[covered] = None
        canvas[pixels] = index
        painted[index] = obj

    def _list(self, item: Item, kind: str, stem: str) -> None:
        key = (kind, item.split or DEFAULT_SPLIT)
        if key not in self._sets:
            path = self.dest / "ImageSets" / kind / f"{key[1]}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            self._sets[key] = path.open("w", encoding="utf-8", newline="\n")
            self.record(path)
        self._sets[key].write(stem + "\n")

    # ------------------------------------------------------------ close

    def finish(self) -> None:
        """Close the image sets, draw the class PNGs and write ``labelmap.txt``."""
        for handle in self._sets.values():
            handle.close()
        self._spool.close()
        labels = self._label_map()
        np_ = libraries.numpy()
        palette = voc_palette()
        with self._spool_path.open(encoding="utf-8") as spool:
            for line in spool:
                stem, codes, (task, unit, media_id) = json.loads(line)
                lookup = np_.zeros(256, dtype="uint8")
                for index, code in enumerate(codes[:MAX_INSTANCES], 1):
                    lookup[index] = labels.index(code, 1)
                objects = libraries.load_png(self.dest / "SegmentationObject" / f"{stem}.png")
                path = self.dest / "SegmentationClass" / f"{stem}.png"
                libraries.save_png(lookup[objects], path, palette)
                self.record(path, Item(stem=stem, media_id=media_id, task_id=task, unit_id=unit))
        lines = ["# label:color_rgb:parts:actions", "background:0,0,0::"]
        for index, code in labels.to_dict(1).items():
            lines.append(f"{code}:{self._colour(code, palette, index)}::")
        self.write_text(self.dest / "labelmap.txt", "\n".join(lines) + "\n")

    def _label_map(self) -> ann.LabelMap:
        if self.labels is not None:
            return self.labels
        tools = [t for t in self.schema.tool_names if t != "keypoint"] if self.schema else None
        return ann.LabelMap.build(self.schema, self._seen, tools=tools)

    def _colour(self, code: str, palette: list[int], index: int) -> str:
        declared = self.schema.color(code) if self.schema else None
        if declared and len(declared) == 7 and declared.startswith("#"):
            return ",".join(str(int(declared[i : i + 2], 16)) for i in (1, 3, 5))
        return ",".join(str(v) for v in palette[3 * index : 3 * index + 3])


def _object(root: ET.Element, obj: ann.Annotation, bounds: ann.Bounds) -> None:
    element = _sub(root, "object")
    _sub(element, "name", str(obj.label))
    _sub(element, "pose", "Unspecified")
    for flag in ("truncated", "difficult", "occluded"):
        _sub(element, flag, _flag(obj.attrs.get(flag)))
    box = _sub(element, "bndbox")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), bounds, strict=True):
        _sub(box, tag, number(value))
    if obj.attrs:
        attributes = _sub(element, "attributes")
        for name, value in obj.attrs.items():
            attribute = _sub(attributes, "attribute")
            _sub(attribute, "name", name)
            _sub(attribute, "value", attribute_text(value))
