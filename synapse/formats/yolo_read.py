"""Reading YOLO folders: ``images/<split>/`` + ``labels/<split>/`` or ``<split>/images`` + ``<split>/labels``.

Class names come from ``data.yaml`` (``names`` as a list or an id -> name map) or ``classes.txt``;
image sizes from the image files (Pillow), since label rows are normalised. The row kind follows
the ``task`` argument, else ``data.yaml``'s ``task``, else ``kpt_shape`` (pose), else the arity of
each row: 5 values a box, more a polygon.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import synapse.annotations as ann
from synapse.formats import libraries
from synapse.formats.base import IMAGE_SUFFIXES, POSE_CLASS, Item, iter_sorted_files
from synapse.formats.geometry import box_from_corners
from synapse.formats.yolo import TASKS, read_data_yaml

_SPLIT_FOLDERS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def _metadata(root: Path) -> dict[str, Any]:
    for name in ("data.yaml", "data.yml", "dataset.yaml"):
        if (root / name).is_file():
            return read_data_yaml((root / name).read_text(encoding="utf-8"))
    return {}


def _names(root: Path, data: dict[str, Any]) -> dict[int, str]:
    names = data.get("names")
    if isinstance(names, dict):
        return {int(k): str(v) for k, v in names.items()}
    if isinstance(names, list):
        return {i: str(v) for i, v in enumerate(names)}
    for candidate in (root / "classes.txt", root / "labels" / "classes.txt"):
        if candidate.is_file():
            lines = [line.strip() for line in candidate.read_text(encoding="utf-8").splitlines()]
            return {i: line for i, line in enumerate(line for line in lines if line)}
    return {}


def _folders(root: Path) -> list[tuple[Path, Path, str | None]]:
    """(images folder, labels folder, split) for every split found."""
    found: list[tuple[Path, Path, str | None]] = []
    for folder, split in _SPLIT_FOLDERS.items():
        if (root / "images" / folder).is_dir():
            found.append((root / "images" / folder, root / "labels" / folder, split))
        elif (root / folder / "images").is_dir():
            found.append((root / folder / "images", root / folder / "labels", split))
    if not found and (root / "images").is_dir():
        found.append((root / "images", root / "labels", None))
    return found


def read_yolo(src: str | os.PathLike[str], *, task: str | None = None) -> Iterator[Item]:
    """Read a YOLO folder: one item per image, with the objects of its label file.

    Args:
        src: The folder holding ``data.yaml`` (or ``classes.txt``), ``images/`` and ``labels/``.
        task: ``detect``, ``segment``, ``pose`` or ``obb``; by default from ``data.yaml``, else guessed
            per row (5 values: a box; more: a polygon).

    Raises:
        FileNotFoundError: No ``images/`` folder.
        synapse.annotations.FormatError: A label row that cannot be read.
    """
    root = Path(src)
    data = _metadata(root)
    names = _names(root, data)
    task = task or (str(data["task"]) if data.get("task") in TASKS else None)
    shape = data.get("kpt_shape")
    if task is None and shape:
        task = "pose"
    points = [int(v) for v in shape] if isinstance(shape, list) and len(shape) == 2 else [0, 3]
    point_names = _point_names(data, points[0])
    folders = _folders(root)
    if not folders:
        raise FileNotFoundError(f"{root} holds no YOLO images/ folder")
    for images, labels, split in folders:
        for path in iter_sorted_files(images, IMAGE_SUFFIXES):
            width, height = libraries.image_size(path)
            label_file = labels / f"{path.stem}.txt"
            text = label_file.read_text(encoding="utf-8") if label_file.is_file() else ""
            objects: list[ann.Annotation] = []
            for number, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    where = f"{label_file}:{number}"
                    objects += _objects(line, where, names, task, points, point_names, (width, height))
            document = ann.Document(
                media={"image_1": objects}, extra={"image_1": {"width": width, "height": height}}
            )
            yield Item(stem=path.stem, document=document, image=path, file_name=path.name, width=width,
                       height=height, split=split)  # fmt: skip


def _point_names(data: dict[str, Any], count: int) -> list[str]:
    given = data.get("kpt_names")
    if isinstance(given, dict) and given:
        first = next(iter(given.values()))
        if isinstance(first, list) and len(first) == count:
            return [str(n) for n in first]
    return [f"kp{i}" for i in range(count)]


def _objects(
    line: str, where: str, names: dict[int, str], task: str | None, points: list[int], point_names: list[str],
    size: tuple[int, int],
) -> list[ann.Annotation]:  # fmt: skip
    width, height = size
    try:
        cls, *values = line.split()
        class_id = int(cls)
        numbers = [float(v) for v in values]
    except ValueError:
        raise ann.FormatError(f"{where}: not a YOLO label row: {line!r}") from None
    label = names.get(class_id, str(class_id))
    xy = [v * (width if i % 2 == 0 else height) for i, v in enumerate(numbers)]
    kind = task or ("detect" if len(numbers) == 4 else "segment")
    if kind in ("detect", "pose"):
        if len(numbers) < 4:
            raise ann.FormatError(f"{where}: a {kind} row has at least 4 values")
        cx, cy, w, h = xy[:4]
        out: list[ann.Annotation] = []
        if label != POSE_CLASS or kind == "detect":
            out.append(ann.BoundingBox(label=label, x=cx - w / 2, y=cy - h / 2, width=w, height=h))
        if kind == "pose":
            out += _keypoints(numbers[4:], where, points, point_names, size)
            if len(out) > 1 or label == POSE_CLASS:
                group = f"yolo-{where.rsplit(':', 1)[1]}"
                out = [o.replace(group=group) for o in out]
        return out
    pairs = list(zip(xy[::2], xy[1::2], strict=False))
    if kind == "obb":
        if len(pairs) != 4:
            raise ann.FormatError(f"{where}: an obb row has 4 corners")
        return [box_from_corners(pairs).replace(label=label)]
    if len(pairs) < 3:
        raise ann.FormatError(f"{where}: a segment row has at least 3 points")
    return [ann.Polygon(label=label, points=pairs)]


def _keypoints(
    values: list[float], where: str, points: list[int], names: list[str], size: tuple[int, int]
) -> list[ann.Annotation]:
    count, dims = points
    if len(values) != count * dims:
        raise ann.FormatError(f"{where}: a pose row of kpt_shape {points} has {4 + count * dims} values")
    out: list[ann.Annotation] = []
    for i in range(count):
        x, y = values[i * dims], values[i * dims + 1]
        visibility = int(values[i * dims + 2]) if dims == 3 else 2
        if x == 0 and y == 0 and (dims == 2 or visibility == 0):
            continue  # not labelled
        out.append(ann.Keypoint(label=names[i], x=x * size[0], y=y * size[1], visibility=visibility))
    return out
