"""COCO: ``images/`` and ``annotations/instances_<split>.json`` (+ ``person_keypoints_<split>.json``).

Written streaming: each item's image and annotation records go to part files (one JSON line each,
with class codes), and :meth:`CocoWriter.close` writes the final JSON files from them line by
line, once the class ids are known (ANNOTATIONS.md §4: configuration order, then the classes seen,
sorted; or ``labels=``). Boxes have an empty ``segmentation``; polygons a polygon; masks a
compressed RLE from pycocotools. A keypoint group becomes one keypoint record in
``person_keypoints_<split>.json`` that shares its ``id`` with the instance record of the box,
polygon or mask of its group (as the COCO dataset itself does). Reading is
:func:`synapse.formats.coco_read.read_coco`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import synapse.annotations as ann
from synapse.formats import libraries
from synapse.formats.base import POSE_CLASS, Item, LabelsArg, SchemaArg
from synapse.formats.writing import BaseWriter, json_encoder, keypoint_groups, keypoint_order, pose_label_map

DEFAULT_SPLIT = "default"
"""The name of the split of items without one (``instances_default.json``)."""

INFO = {"description": "written by synapse.formats", "version": "1.0"}


class _Parts:
    """The part files of one split (three JSON-lines files) and its id counters."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.images_path = folder / "images.jsonl"
        self.instances_path = folder / "instances.jsonl"
        self.keypoints_path = folder / "keypoints.jsonl"
        self.images: IO[str] = self.images_path.open("w", encoding="utf-8")
        self.instances: IO[str] = self.instances_path.open("w", encoding="utf-8")
        self.keypoints: IO[str] = self.keypoints_path.open("w", encoding="utf-8")
        self.image_id = 0
        self.annotation_id = 0
        self.has_keypoints = False

    def close(self) -> None:
        for f in (self.images, self.instances, self.keypoints):
            f.close()


_part = json_encoder(default=str)
"""The encoder of part records (built once: ``json.dumps`` with options builds one a call)."""

_final = json_encoder()
"""The encoder of the final files' records."""


def _line(record: dict[str, Any]) -> str:
    return _part(record) + "\n"


def _bbox(bounds: tuple[float, float, float, float]) -> list[float]:
    return [bounds[0], bounds[1], bounds[2] - bounds[0], bounds[3] - bounds[1]]


def _write_list(out: IO[str], records: Iterable[str]) -> None:
    """Write JSON texts as the items of a list, one a line (a newline before each, commas between)."""
    batch: list[str] = []
    first = True
    for record in records:
        batch.append(record)
        if len(batch) == 1024:
            out.write(("\n" if first else ",\n") + ",\n".join(batch))
            batch, first = [], False
    if batch:
        out.write(("\n" if first else ",\n") + ",\n".join(batch))


class CocoWriter(BaseWriter):
    """Writes a COCO folder; annotation JSON files are assembled from part files at :meth:`close`."""

    format = "coco"

    def __init__(
        self,
        dest: str | os.PathLike[str],
        *,
        labels: LabelsArg = None,
        schema: SchemaArg = None,
        media: bool = True,
    ) -> None:
        """Start a COCO folder at ``dest``.

        Args:
            dest: The destination folder.
            labels: An explicit class order (ids from 1); classes outside it are skipped.
            schema: The project's label schema (or configuration): its classes come first.
            media: Copy the images into ``images/``.
        """
        super().__init__(dest, labels=labels, schema=schema, media=media)
        self._splits: dict[str, _Parts] = {}
        self._seen: set[str] = set()
        self._keypoint_names: set[str] = set()
        self._code_texts: dict[str, str] = {}

    def _parts_of(self, split: str | None) -> _Parts:
        name = split or DEFAULT_SPLIT
        if name not in self._splits:
            self._splits[name] = _Parts(self.parts() / name)
        return self._splits[name]

    def add(self, item: Item) -> None:
        """Write the item's image, and its image and annotation records to the part files."""
        size = item.size()
        if size is None:
            whole: list[ann.Annotation | None] = [None]
            for obj in item.objects or whole:
                self.audit(item, obj, "skipped", "unknown_image_size", f"{item.name}: no width/height")
            return
        width, height = size
        parts = self._parts_of(item.split)
        parts.image_id += 1
        name = self.names.claim("images", item.name, item)
        if self.media and item.image is not None:
            self.copy_media(item, self.dest / "images" / name)
        parts.images.write(_line({"id": parts.image_id, "file_name": name, "width": width, "height": height}))
        lenders: dict[str, dict[str, Any]] = {}  # group -> the instance record lending it class, id, box
        objects = item.objects
        source: str | None = None
        lines = []
        image_id = parts.image_id
        for obj in objects:
            geometry = self._instance(item, obj, width, height)
            if geometry is None:
                continue
            code, bbox, area, segmentation = geometry
            parts.annotation_id += 1
            if source is None:
                source = _part([item.task_id, item.unit_id, item.media_id])[:-1]
            # One line: class code, source, then the record's keys before and after ``category_id``
            # (key-sorted JSON each; the class id is put between them at close, see _instances).
            head = {"area": area, "bbox": bbox}
            if obj.attrs:
                head["attributes"] = obj.attrs
            lines.append(
                f"{self._code_text(code)}\t{source}, [{_part(obj.id)}]]\t{_part(head)}\t"
                f'{{"id": {parts.annotation_id}, "image_id": {image_id}, "iscrowd": 0, "segmentation": '
                f"{_part(segmentation) if segmentation else '[]'}}}\n"
            )
            self._seen.add(code)
            if obj.group is not None and obj.group not in lenders:
                lenders[obj.group] = {"id": parts.annotation_id, "category": code, "bbox": bbox, "area": area}
        if lines:
            parts.instances.write("".join(lines))
        for group, points in keypoint_groups(objects).items():
            self._pose(item, parts, points, lenders.get(group) if group else None)

    def _code_text(self, code: str) -> str:
        text = self._code_texts.get(code)
        if text is None:
            text = self._code_texts[code] = _part(code)
        return text

    def _instance(
        self, item: Item, obj: ann.Annotation, width: int, height: int
    ) -> tuple[str, list[float], float, Any] | None:
        """``(class code, bbox, area, segmentation)`` of an instance record, or None (reported)."""
        if isinstance(obj, ann.Keypoint):
            return None
        if not isinstance(obj, (ann.BoundingBox, ann.Polygon, ann.Mask)):
            self.unsupported(item, obj)
            return None
        if obj.label is None:
            self.audit(item, obj, "skipped", "no_label", f"a {obj.tool} without a class has no category")
            return None
        if isinstance(obj, ann.BoundingBox):
            if not obj.is_rotated:  # a full turn is no turn
                return (obj.label, [obj.x, obj.y, obj.width, obj.height], obj.area(), [])
            self.audit(item, obj, "lossy", "rotated_box", "written as the polygon of its 4 corners")
            corners = ann.Polygon(points=obj.corners())
            return (obj.label, _bbox(corners.bounds()), obj.area(), [corners.flat()])
        if isinstance(obj, ann.Polygon):
            if len(obj.points) < 3:
                self.audit(item, obj, "skipped", "empty_geometry", "a polygon needs 3 points")
                return None
            return (obj.label, _bbox(obj.bounds()), obj.area(), [obj.flat()])
        try:
            array = obj.to_array(width, height)
        except ValueError as exc:
            self.audit(item, obj, "skipped", "empty_geometry", str(exc))
            return None
        if not array.any():
            self.audit(item, obj, "skipped", "empty_geometry", "a mask without pixels")
            return None
        rle = libraries.rle_encode(array)
        return (obj.label, libraries.rle_bbox(rle), libraries.rle_area(rle), rle)

    def _pose(
        self, item: Item, parts: _Parts, points: list[ann.Keypoint], lender: dict[str, Any] | None
    ) -> None:
        named: dict[str, list[float]] = {}
        for point in points:
            if point.label is None:
                self.audit(item, point, "skipped", "no_label", "a keypoint without a name has no slot")
            elif point.label in named:
                detail = f"a second {point.label!r} in its group"
                self.audit(item, point, "lossy", "duplicate_keypoint", detail)
            else:
                named[point.label] = [point.x, point.y, point.visibility]
                if point.attrs:
                    detail = "keypoint attributes have no place"
                    self.audit(item, point, "lossy", "attributes_dropped", detail)
        if not named:
            return
        self._keypoint_names.update(named)
        parts.has_keypoints = True
        if lender is not None:
            record = {k: lender[k] for k in ("id", "category", "bbox", "area")}
        else:
            xs = [p[0] for p in named.values()]
            ys = [p[1] for p in named.values()]
            bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            parts.annotation_id += 1
            area = bbox[2] * bbox[3]
            record = {"id": parts.annotation_id, "category": POSE_CLASS, "bbox": bbox, "area": area}
            self._seen.add(POSE_CLASS)
        record.update(image_id=parts.image_id, iscrowd=0, segmentation=[], named=named)
        record["_src"] = [item.task_id, item.unit_id, item.media_id, [p.id for p in points]]
        parts.keypoints.write(_line(record))

    # ------------------------------------------------------------ close

    def finish(self) -> None:
        """Write ``annotations/instances_<split>.json`` (and the keypoint files) from the parts."""
        for parts in self._splits.values():
            parts.close()
        labels = self._label_map()
        names = self._keypoint_order()
        edges = [(a, b) for a, b in self._skeleton() if a in names and b in names]
        skeleton = [[names.index(a) + 1, names.index(b) + 1] for a, b in edges]
        categories = [{"id": i, "name": code, "supercategory": ""} for i, code in labels.to_dict(1).items()]
        pose_categories = [c | {"keypoints": names, "skeleton": skeleton} for c in categories]
        for split, parts in sorted(self._splits.items()):
            self._assemble(f"instances_{split}.json", parts, self._instances(parts.instances_path, labels),
                           categories)  # fmt: skip
            if parts.has_keypoints:
                name = f"person_keypoints_{split}.json"
                poses = self._translate(parts.keypoints_path, labels, names)
                self._assemble(name, parts, poses, pose_categories)

    def _label_map(self) -> ann.LabelMap:
        return pose_label_map(self.labels, self.schema, self._seen)

    def _keypoint_order(self) -> list[str]:
        return keypoint_order(self.schema, self._keypoint_names)

    def _skeleton(self) -> tuple[tuple[str, str], ...]:
        return self.schema.skeleton("keypoint") if self.schema else ()

    def _assemble(
        self,
        file_name: str,
        parts: _Parts,
        records: Iterator[str],
        categories: list[dict[str, Any]],
    ) -> None:
        path = self.dest / "annotations" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as out:
            out.write('{"annotations": [')
            _write_list(out, records)
            out.write('\n], "categories": ' + _final(categories))
            out.write(', "images": [')
            with parts.images_path.open(encoding="utf-8") as images:
                _write_list(out, (line.rstrip("\n") for line in images))
            out.write('\n], "info": ' + _final(INFO) + ', "licenses": []}\n')
        self.record(path)

    def _instances(self, records: Path, labels: ann.LabelMap) -> Iterator[str]:
        """The final texts of the instance records of a part file (unknown classes reported)."""
        ids: dict[str, str | None] = {}  # class code's JSON -> the class id's text (None: not in labels)
        with records.open(encoding="utf-8") as lines:
            for line in lines:
                code_text, source, head, tail = line.rstrip("\n").split("\t", 3)
                if code_text not in ids:
                    code = json.loads(code_text)
                    ids[code_text] = str(labels.index(code, 1)) if code in labels else None
                category_id = ids[code_text]
                if category_id is None:
                    task, unit, media_id, annotation_ids = json.loads(source)
                    for annotation_id in annotation_ids:
                        self._audit_raw(task, unit, media_id, annotation_id, json.loads(code_text))
                    continue
                yield f"{head[:-1]}, \"category_id\": {category_id}, {tail[1:]}"

    def _translate(self, records: Path, labels: ann.LabelMap, names: list[str]) -> Iterator[str]:
        with records.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                task, unit, media_id, ids = record.pop("_src")
                code = record.pop("category")
                if code not in labels:
                    for annotation_id in ids:
                        self._audit_raw(task, unit, media_id, annotation_id, code)
                    continue
                record["category_id"] = labels.index(code, 1)
                named = record.pop("named", None)
                if named is not None:
                    flat = [0.0] * (3 * len(names))
                    for name, triplet in named.items():
                        flat[3 * names.index(name) : 3 * names.index(name) + 3] = triplet
                    record["keypoints"] = flat
                    record["num_keypoints"] = sum(1 for v in flat[2::3] if v > 0)
                yield _final(record)

    def _audit_raw(self, task: Any, unit: Any, media_id: str, annotation_id: str | None, code: str) -> None:
        item = Item(stem="", media_id=media_id, task_id=task, unit_id=unit)
        obj = ann.Classification(id=annotation_id)
        self.audit(item, obj, "skipped", "unknown_class", f"{code!r} is not in labels=")
