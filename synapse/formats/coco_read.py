"""Reading COCO folders: ``annotations/instances_<split>.json`` (and keypoints), or ``instances.json``.

Each image becomes one item whose document holds one media item, ``image_1``. An instance record
gives a box (empty ``segmentation``), one polygon per part, or a mask (RLE, decoded by pycocotools);
a record with keypoints gives named :class:`~synapse.annotations.Keypoint` objects. A keypoint
record sharing its ``id`` with an instance record joins that instance's group.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import synapse.annotations as ann
from synapse.formats import libraries
from synapse.formats.base import POSE_CLASS, Item
from synapse.formats.coco import DEFAULT_SPLIT

_FILE = re.compile(r"^(instances|person_keypoints)(?:_(.+))?\.json$")


def _split_name(raw: str | None) -> str | None:
    if raw is None or raw == DEFAULT_SPLIT:
        return None
    for name in ("train", "val", "test"):
        if raw.startswith(name):
            return name
    return raw


def _annotation_files(root: Path) -> dict[str, dict[str, Path]]:
    """Split as written in the file name -> {"instances": path, "person_keypoints": path}."""
    found: dict[str, dict[str, Path]] = {}
    if root.is_file():
        return {DEFAULT_SPLIT: {"instances": root}}
    for folder in (root, root / "annotations"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            match = _FILE.match(path.name)
            if match and path.is_file():
                found.setdefault(match[2] or DEFAULT_SPLIT, {}).setdefault(match[1], path)
    return found


def read_coco(src: str | os.PathLike[str]) -> Iterator[Item]:
    """Read a COCO folder (or one COCO JSON file): one item per image, in file order.

    Args:
        src: The folder (``annotations/instances_<split>.json`` or ``instances.json`` at its root), or
            a COCO JSON file.

    Raises:
        FileNotFoundError: No annotation file.
    """
    root = Path(src)
    files = _annotation_files(root)
    if not files:
        raise FileNotFoundError(f"{root} holds no COCO instances_<split>.json")
    base = root.parent if root.is_file() else root
    for raw_split in sorted(files, key=lambda s: (s != "train", s != "val", s)):
        yield from _read_split(base, raw_split, files[raw_split])


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ann.FormatError(f"{path}: a COCO file is a JSON object")
    return data


def _read_split(root: Path, raw_split: str, paths: dict[str, Path]) -> Iterator[Item]:
    instances = _load(paths.get("instances"))
    keypoints = _load(paths.get("person_keypoints"))
    categories = {c["id"]: c for c in [*instances.get("categories", ()), *keypoints.get("categories", ())]}
    by_image: dict[Any, list[dict[str, Any]]] = {}
    for record in instances.get("annotations", ()):
        by_image.setdefault(record.get("image_id"), []).append(record)
    poses: dict[Any, list[dict[str, Any]]] = {}
    for record in keypoints.get("annotations", ()):
        poses.setdefault(record.get("image_id"), []).append(record)
    images = {im["id"]: im for im in [*instances.get("images", ()), *keypoints.get("images", ())]}
    has_instances = "instances" in paths
    for image_id, image in images.items():
        width, height = int(image["width"]), int(image["height"])
        records = by_image.get(image_id, [])
        pose_records = poses.get(image_id, [])
        posed = {r.get("id") for r in pose_records} | {r.get("id") for r in records if _has_points(r)}
        objects: list[ann.Annotation] = []
        instance_ids = set()
        for record in records:
            instance_ids.add(record.get("id"))
            group = f"coco-{record.get('id')}" if record.get("id") in posed else None
            objects += _geometry(record, categories, width, height, group)
            if _has_points(record):
                objects += _points(record, categories, group)
        for record in pose_records:
            if record.get("id") in instance_ids:
                group = f"coco-{record.get('id')}"
                if not any(_has_points(r) for r in records if r.get("id") == record.get("id")):
                    objects += _points(record, categories, group)
                continue
            group = f"coco-{record.get('id')}"
            label = categories.get(record.get("category_id"), {}).get("name")
            if not has_instances and label != POSE_CLASS:
                objects += _geometry(record, categories, width, height, group)
            objects += _points(record, categories, group)
        file_name = str(image["file_name"])
        document = ann.Document(
            media={"image_1": objects}, extra={"image_1": {"width": width, "height": height}}
        )
        yield Item(
            stem=Path(file_name).stem, document=document, image=_image_path(root, raw_split, file_name),
            file_name=Path(file_name).name, width=width, height=height, split=_split_name(raw_split),
        )  # fmt: skip


def _has_points(record: dict[str, Any]) -> bool:
    return any(v for v in record.get("keypoints") or ())


def _image_path(root: Path, raw_split: str, file_name: str) -> Path | None:
    for folder in (root / "images", root / "images" / raw_split, root / raw_split, root):
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    return None


def _common(record: dict[str, Any], categories: dict[Any, Any], group: str | None) -> dict[str, Any]:
    attrs = dict(record.get("attributes") or {})
    if record.get("iscrowd"):
        attrs["iscrowd"] = record["iscrowd"]
    label = categories.get(record.get("category_id"), {}).get("name")
    return {"label": None if label is None else str(label), "attrs": attrs, "group": group}


def _geometry(
    record: dict[str, Any], categories: dict[Any, Any], width: int, height: int, group: str | None
) -> list[ann.Annotation]:
    common = _common(record, categories, group)
    segmentation = record.get("segmentation")
    if isinstance(segmentation, dict):
        array = libraries.rle_decode(segmentation, height, width)
        return [ann.Mask.from_array(array, encoding="dm_rle", **common)]
    if isinstance(segmentation, list) and segmentation:
        parts = [p for p in segmentation if isinstance(p, list) and len(p) >= 6]
        if len(parts) > 1 and group is None:
            common["group"] = f"coco-{record.get('id')}"
        return [ann.Polygon(points=list(zip(p[::2], p[1::2], strict=False)), **common) for p in parts]
    bbox = record.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        x, y, w, h = bbox
        return [ann.BoundingBox(x=x, y=y, width=w, height=h, **common)]
    return []


def _points(record: dict[str, Any], categories: dict[Any, Any], group: str | None) -> list[ann.Annotation]:
    names = categories.get(record.get("category_id"), {}).get("keypoints") or []
    flat = record.get("keypoints") or []
    out: list[ann.Annotation] = []
    for index, name in enumerate(names):
        x, y, v = flat[3 * index : 3 * index + 3] or (0, 0, 0)
        if x == 0 and y == 0 and v == 0:
            continue  # COCO's "not labelled"
        out.append(ann.Keypoint(label=str(name), x=x, y=y, visibility=int(v), group=group))
    return out
