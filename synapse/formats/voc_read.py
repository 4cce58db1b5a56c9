"""Reading Pascal VOC folders: ``Annotations/*.xml`` with ``JPEGImages/`` and ``ImageSets/Main/<split>.txt``.

An object is a box, or a mask when ``SegmentationObject/<stem>.png`` has pixels of its index (its
position in the XML, from 1). Attributes come from ``<attributes>``, else the ``truncated``,
``difficult`` and ``occluded`` flags that are set.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import synapse.annotations as ann
from synapse.formats import libraries
from synapse.formats.base import Item, find_image, iter_sorted_files
from synapse.formats.voc import DEFAULT_SPLIT

_SETS = {"train": "train", "val": "val", "test": "test", "trainval": None, DEFAULT_SPLIT: None}


def _splits(root: Path) -> dict[str, str | None]:
    """Stem -> split, from ``ImageSets/Main/<set>.txt`` (train, val and test win over trainval)."""
    found: dict[str, str | None] = {}
    for name, split in _SETS.items():
        path = root / "ImageSets" / "Main" / f"{name}.txt"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.split():
                    found.setdefault(line.split()[0], split)
    return found


def _value(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return text if isinstance(value, str) else value


def read_voc(src: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a Pascal VOC folder: one item per XML file, in name order.

    Args:
        src: The folder holding ``Annotations/`` and ``JPEGImages/``.

    Raises:
        FileNotFoundError: No ``Annotations/`` folder.
        synapse.annotations.FormatError: An XML file that is not a VOC annotation.
    """
    root = Path(src)
    if not (root / "Annotations").is_dir():
        raise FileNotFoundError(f"{root} holds no VOC Annotations/ folder")
    splits = _splits(root)
    for path in iter_sorted_files(root / "Annotations", [".xml"]):
        yield _item(root, path, splits.get(path.stem))


def _number(element: ET.Element | None, tag: str, where: Path) -> float:
    text = element.findtext(tag) if element is not None else None
    try:
        return float(text or "")
    except ValueError:
        raise ann.FormatError(f"{where}: <{tag}> is not a number: {text!r}") from None


def _item(root: Path, path: Path, split: str | None) -> Item:
    try:
        tree = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ann.FormatError(f"{path}: {exc}") from None
    file_name = tree.findtext("filename") or f"{path.stem}.jpg"
    image: Path | None = root / "JPEGImages" / file_name
    if image is None or not image.is_file():
        image = find_image(root / "JPEGImages", path.stem)
    size_element = tree.find("size")
    width = int(_number(size_element, "width", path)) if size_element is not None else 0
    height = int(_number(size_element, "height", path)) if size_element is not None else 0
    if (not width or not height) and image is not None:
        width, height = libraries.image_size(image)
    masks = root / "SegmentationObject" / f"{path.stem}.png"
    instances = libraries.load_png(masks) if masks.is_file() else None
    objects: list[ann.Annotation] = []
    for index, element in enumerate(tree.findall("object"), 1):
        label = element.findtext("name")
        attrs = _attributes(element)
        if instances is not None and index < 255 and (instances == index).any():
            mask = ann.Mask.from_array(instances == index, encoding="dm_rle", label=label, attrs=attrs)
            objects.append(mask)
            continue
        box = element.find("bndbox")
        x0, y0 = _number(box, "xmin", path), _number(box, "ymin", path)
        x1, y1 = _number(box, "xmax", path), _number(box, "ymax", path)
        objects.append(ann.BoundingBox(label=label, x=x0, y=y0, width=x1 - x0, height=y1 - y0, attrs=attrs))
    extra = {"image_1": {"width": width, "height": height}} if width and height else {}
    document = ann.Document(media={"image_1": objects}, extra=extra)
    return Item(stem=path.stem, document=document, image=image, file_name=image.name if image else file_name,
                width=width or None, height=height or None, split=split)  # fmt: skip


def _attributes(element: ET.Element) -> dict[str, Any]:
    listed = element.find("attributes")
    if listed is not None:
        return {
            a.findtext("name") or "": _value(a.findtext("value") or "") for a in listed.findall("attribute")
        }
    return {flag: True for flag in ("truncated", "difficult", "occluded") if element.findtext(flag) == "1"}
