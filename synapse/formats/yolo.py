"""YOLO: ``images/<split>/``, ``labels/<split>/<stem>.txt`` and ``data.yaml``, for one task.

``task`` chooses the row every object becomes (ANNOTATIONS.md §4): ``detect`` (``cls cx cy w h``),
``segment`` (``cls x1 y1 x2 y2 ...``), ``pose`` (a detect row followed by the group's keypoints as
``x y v`` triplets) or ``obb`` (``cls`` and the box's 4 corners). Coordinates are normalised to the
image size and clipped to 0..1. Rows go to a part file with their class codes and become label
files at :meth:`YoloWriter.close`, when the class ids (from 0) are known. Reading is
:func:`synapse.formats.yolo_read.read_yolo`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import PurePath
from typing import IO, Any, Literal

import synapse.annotations as ann
from synapse.formats import geometry, libraries
from synapse.formats.base import POSE_CLASS, Item, LabelsArg, SchemaArg
from synapse.formats.writing import BaseWriter, keypoint_groups, keypoint_order, pose_label_map

Task = Literal["detect", "segment", "pose", "obb"]
TASKS: tuple[Task, ...] = ("detect", "segment", "pose", "obb")


def number(value: float) -> str:
    """A coordinate as label files hold it: fixed point, 12 decimals, trailing zeros dropped."""
    text = f"{value:.12f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _flat(points: Sequence[ann.Point]) -> list[float]:
    return [c for p in points for c in p]


class YoloWriter(BaseWriter):
    """Writes a YOLO folder for one task; label files are written from a part file at :meth:`close`."""

    format = "yolo"

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        labels: LabelsArg = None,
        schema: SchemaArg = None,
        media: bool = True,
        task: Task = "detect",
    ) -> None:
        """Start a YOLO folder at ``dest``.

        Args:
            dest: The destination folder.
            labels: An explicit class order (ids from 0); classes outside it are skipped.
            schema: The project's label schema (or configuration): its classes come first.
            media: Copy the images into ``images/<split>/``.
            task: ``detect``, ``segment``, ``pose`` or ``obb``.
        """
        super().__init__(dest, labels=labels, schema=schema, media=media)
        if task not in TASKS:
            raise ValueError(f"YOLO task must be one of {TASKS}, not {task!r}")
        self.task: Task = task
        self._spool_path = self.parts() / "labels.jsonl"
        self._spool: IO[str] = self._spool_path.open("w", encoding="utf-8")
        self._seen: set[str] = set()
        self._keypoint_names: set[str] = set()
        self._splits: set[str | None] = set()

    def add(self, item: Item) -> None:
        """Copy the item's image and spool its label rows."""
        size = item.size()
        if size is None:
            whole: list[ann.Annotation | None] = [None]
            for obj in item.objects or whole:
                self.audit(item, obj, "skipped", "unknown_image_size", f"{item.name}: no width/height")
            return
        self._splits.add(item.split)
        sub = f"/{item.split}" if item.split else ""
        suffix = PurePath(item.name).suffix
        stem = self.names.claim(f"labels{sub}", item.name[: len(item.name) - len(suffix)], item)
        self.copy_media(item, self.dest / f"images{sub}" / (stem + suffix))  # paired with its label by stem
        rows: list[Any] = []
        lenders: dict[str, list[Any]] = {}
        for obj in item.objects:
            row = self._row(item, obj, size)
            if row is not None:
                rows.append(row)
                if obj.group is not None:
                    lenders.setdefault(obj.group, row)
        if self.task == "pose":
            for group, points in keypoint_groups(item.objects).items():
                self._pose(item, points, lenders.get(group) if group else None, rows, size)
        record = [item.split, stem, rows, [item.task_id, item.unit_id, item.media_id]]
        self._spool.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.record(self.dest / f"labels{sub}" / f"{stem}.txt", item)

    def _row(self, item: Item, obj: ann.Annotation, size: tuple[int, int]) -> list[Any] | None:
        if isinstance(obj, ann.Keypoint):
            if self.task != "pose":
                self.audit(item, obj, "skipped", "not_in_task", f"a YOLO {self.task} row has no keypoints")
            return None
        if not isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask)):
            self.unsupported(item, obj)
            return None
        if obj.label is None:
            self.audit(item, obj, "skipped", "no_label", f"a {obj.tool} without a class has no class id")
            return None
        shapes = self._shapes(item, obj, size)
        if not shapes:
            return None
        if obj.attrs:
            self.audit(item, obj, "lossy", "attributes_dropped", "YOLO rows have no attributes")
        width, height = size
        normalised: list[list[float]] = []
        clipped = False
        for shape in shapes:
            row = []
            for i, value in enumerate(shape):
                scaled = value / (width if i % 2 == 0 else height)
                kept = min(1.0, max(0.0, scaled))
                clipped |= abs(kept - scaled) > 1e-12
                row.append(kept)
            normalised.append(row)
        if clipped:
            self.audit(item, obj, "lossy", "clipped", "coordinates outside the image were clipped to it")
        self._seen.add(obj.label)
        return [obj.label, normalised, None, [obj.id]]

    def _shapes(self, item: Item, obj: ann.Annotation, size: tuple[int, int]) -> list[list[float]]:
        """The pixel coordinates of the rows ``obj`` becomes (``cx cy w h`` for detect and pose)."""
        if isinstance(obj, ann.Polygon) and len(obj.points) < 3:
            self.audit(item, obj, "skipped", "empty_geometry", "a polygon needs 3 points")
            return []
        if isinstance(obj, ann.Mask):
            try:
                array = obj.to_array(*size)
            except ValueError as exc:
                self.audit(item, obj, "skipped", "empty_geometry", str(exc))
                return []
            if not array.any():
                self.audit(item, obj, "skipped", "empty_geometry", "a mask without pixels")
                return []
            if self.task == "segment":
                outer, holes = geometry.mask_outlines(array)
                if holes:
                    detail = f"{len(holes)} hole(s) filled: only outer contours are written"
                    self.audit(item, obj, "lossy", "mask_holes", detail)
                return [_flat(ring) for ring in outer]
            self.audit(item, obj, "lossy", "mask_as_box", f"a YOLO {self.task} row is a box")
            x0, y0, x1, y1 = obj.bounds(size[0])
        elif isinstance(obj, ann.BoundingBox):
            if self.task == "segment":
                self.audit(item, obj, "lossy", "box_as_polygon", "a YOLO segment row is a polygon")
                return [_flat(obj.corners())]
            if self.task == "obb":
                return [_flat(obj.corners())]
            if obj.is_rotated:
                self.audit(item, obj, "lossy", "rotated_box", "written as its axis-aligned hull")
            x0, y0, x1, y1 = obj.bounds()
        else:
            assert isinstance(obj, ann.Polygon)
            if self.task == "segment":
                return [obj.flat()]
            self.audit(item, obj, "lossy", "polygon_as_box", f"a YOLO {self.task} row is a box")
            x0, y0, x1, y1 = obj.bounds()
        if self.task == "obb":
            return [[x0, y0, x1, y0, x1, y1, x0, y1]]
        return [[(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0]]

    def _pose(
        self, item: Item, points: list[ann.Keypoint], lender: list[Any] | None, rows: list[Any],
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        width, height = size
        named: dict[str, list[float]] = {}
        for point in points:
            if point.label is None:
                self.audit(item, point, "skipped", "no_label", "a keypoint without a name has no slot")
            elif point.label in named:
                detail = f"a second {point.label!r} in its group"
                self.audit(item, point, "lossy", "duplicate_keypoint", detail)
            else:
                nx, ny = point.x / width, point.y / height
                named[point.label] = [min(1.0, max(0.0, nx)), min(1.0, max(0.0, ny)), point.visibility]
                if (nx, ny) != tuple(named[point.label][:2]):
                    self.audit(item, point, "lossy", "clipped", "a keypoint outside the image was clipped")
                if point.attrs:
                    self.audit(item, point, "lossy", "attributes_dropped", "YOLO rows have no attributes")
        if not named:
            return
        self._keypoint_names.update(named)
        if lender is not None:
            lender[2] = named
            lender[3] += [p.id for p in points]
            return
        xs = [p[0] for p in named.values()]
        ys = [p[1] for p in named.values()]
        box = [(min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys)]
        self._seen.add(POSE_CLASS)
        rows.append([POSE_CLASS, [box], named, [p.id for p in points]])

    # ------------------------------------------------------------ close

    def finish(self) -> None:
        """Write every label file from the part file, then ``data.yaml``."""
        self._spool.close()
        labels = self._label_map()
        names = self._keypoint_order()
        with self._spool_path.open(encoding="utf-8") as spool:
            for line in spool:
                split, stem, rows, (task, unit, media_id) = json.loads(line)
                item = Item(stem=stem, split=split, task_id=task, unit_id=unit, media_id=media_id)
                text = "".join(self._render(item, row, labels, names) for row in rows)
                sub = f"/{split}" if split else ""
                path = self.dest / f"labels{sub}" / f"{stem}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
        self.write_text(self.dest / "data.yaml", self._data_yaml(labels, names))

    def _render(self, item: Item, row: list[Any], labels: ann.LabelMap, names: list[str]) -> str:
        code, shapes, named, ids = row
        if code not in labels:
            for annotation_id in ids:
                obj = ann.Classification(id=annotation_id)
                self.audit(item, obj, "skipped", "unknown_class", f"{code!r} is not in labels=")
            return ""
        out = []
        for shape in shapes:
            values = [number(v) for v in shape]
            if self.task == "pose":
                for name in names:
                    x, y, v = (named or {}).get(name, (0, 0, 0))
                    values += [number(x), number(y), str(int(v))]
            out.append(" ".join([str(labels.index(code)), *values]) + "\n")
        return "".join(out)

    def _label_map(self) -> ann.LabelMap:
        return pose_label_map(self.labels, self.schema, self._seen)

    def _keypoint_order(self) -> list[str]:
        return keypoint_order(self.schema, self._keypoint_names)

    def _data_yaml(self, labels: ann.LabelMap, names: list[str]) -> str:
        def quoted(text: str) -> str:
            return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar

        flat = self._splits == {None}
        lines = [f"path: {quoted(str(self.dest.resolve()))}"]
        for split in ("train", "val", "test"):
            if flat and split != "test":
                lines.append(f"{split}: images")
            else:
                lines.append(f"{split}: images/{split}" if split in self._splits else f"{split}: null")
        lines.append(f"task: {self.task}")
        lines.append("names:")
        lines += [f"  {i}: {quoted(code)}" for i, code in labels.to_dict(0).items()]
        if self.task == "pose":
            lines.append(f"kpt_shape: [{len(names)}, 3]")
            lines.append("kpt_names:")
            for i in labels.to_dict(0):
                lines.append(f"  {i}: [{', '.join(quoted(n) for n in names)}]")
        return "\n".join(lines) + "\n"


def read_data_yaml(text: str) -> dict[str, Any]:
    """Parse a ``data.yaml`` with PyYAML (a mapping, else an empty dict)."""
    data = libraries.yaml_load(text)
    return data if isinstance(data, dict) else {}
