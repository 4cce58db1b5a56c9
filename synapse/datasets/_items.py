"""What a dataset item is made of: listing a source into items, and an item's objects into a target.

An item is one image file of one task (or ground-truth event) and the objects drawn on it, kept
in a compact, JSON-ready shape in the dataset's manifest, so that serving an item needs the file
and the manifest only::

    {"task_id": 12, "ground_truth_id": None, "data_unit": 12, "category": None, "media_id": "image",
     "file": "<checksum>.png", "checksum": "<hex>", "size": [320, 240],
     "objects": [{"label": "car", "box": [x1, y1, x2, y2], "polygon": [[x, y], ...] | None,
                  "mask": {"indices": [...], "encoding": "dm_rle", "width": w, "height": h} | None,
                  "group": "g1" | None}],
     "keypoints": [{"label": "head", "xy": [x, y], "v": 2, "group": "g1"}]}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from synapse.annotations import BoundingBox, Document, Keypoint, LabelSchema, Mask, Polygon
from synapse.services import filecache
from synapse.services.previews import primary_file

__all__ = ["DETECTION_TOOLS", "Listing", "item_objects", "list_events", "list_tasks"]

#: The tools whose objects become detections (a box and a label each).
DETECTION_TOOLS = ("bounding_box", "polygon", "segmentation")
_DELETED = ("delete", "remove")


class Listing:
    """The items of a source, plus what download needs and the manifest does not keep (URLs).

    Attributes:
        items: The items, in dataset order.
        urls: File name -> ``(url, checksum)`` of every file the items use.
        seen: Class codes of detections met, for the label map.
        skipped: ``{reason: count}`` of rows that gave no item.
    """

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.urls: dict[str, tuple[str, str | None]] = {}
        self.seen: set[str] = set()
        self.skipped: dict[str, int] = {}

    def skip(self, reason: str) -> None:
        """Count one row that gave no item."""
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def add(self, data: Any, files: Any, **ident: Any) -> None:
        """Add the item of one row: its primary image and the objects drawn on it."""
        if data is None:
            self.skip("no annotation")
            return
        chosen = primary_file(files)
        if chosen is None:
            self.skip("no image file")
            return
        spec, entry = chosen
        url = str(entry["url"])
        checksum = entry.get("checksum") if isinstance(entry.get("checksum"), str) else None
        name = filecache.cache_name(checksum, url)
        document = Document.from_dm(data) if data else Document()
        media = spec if spec in document.media else _only_media(document)
        objects, keypoints = item_objects(document, media)
        self.seen.update(o["label"] for o in objects)
        size = document.size(media) if media is not None else None
        self.items.append({
            **ident,
            "media_id": media,
            "file": name,
            "checksum": checksum,
            "size": list(size) if size else None,
            "objects": objects,
            "keypoints": keypoints,
        })
        self.urls[name] = (url, checksum)


def _only_media(document: Document) -> str | None:
    annotated = [m for m in document.media_ids if document.media[m]]
    return annotated[0] if len(annotated) == 1 else None


def item_objects(document: Document, media: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The detections and keypoints of one media item in the manifest's compact shape."""
    objects: list[dict[str, Any]] = []
    keypoints: list[dict[str, Any]] = []
    if media is None:
        return objects, keypoints
    size = document.size(media)
    for obj in document.objects(media):
        if obj.label is None:
            continue
        if isinstance(obj, Keypoint):
            point = {"label": obj.label, "xy": [obj.x, obj.y], "v": obj.visibility, "group": obj.group}
            keypoints.append(point)
            continue
        record: dict[str, Any] = {"label": obj.label, "group": obj.group, "polygon": None, "mask": None}
        try:
            if isinstance(obj, BoundingBox):
                record["box"] = list(obj.bounds())
                if obj.is_rotated:
                    record["polygon"] = [list(p) for p in obj.corners()]
            elif isinstance(obj, Polygon):
                if len(obj.points) < 3:
                    continue
                record["box"] = list(obj.bounds())
                record["polygon"] = [list(p) for p in obj.points]
            elif isinstance(obj, Mask):
                width = obj.width or (size[0] if size else None)
                height = obj.height or (size[1] if size else None)
                record["box"] = list(obj.bounds(width))
                record["mask"] = {"indices": list(obj.to_runs()), "encoding": "dm_rle", "width": width,
                                  "height": height}
            else:
                continue
        except ValueError:  # an empty mask or a mask without a known width: nothing to box
            continue
        record["box"] = [float(v) for v in record["box"]]
        objects.append(record)
    return objects, keypoints


def list_tasks(rows: Iterable[Any]) -> Listing:
    """List task rows (fetched with ``expand=data_unit``) into items."""
    listing = Listing()
    for task in rows:
        unit = task.data_unit
        listing.add(task.data, unit.files if unit is not None else None, task_id=task.id,
                    ground_truth_id=None, data_unit=task.data_unit_id, category=None)
    return listing


def _latest(events: Iterable[Any]) -> Iterator[Any]:
    """The last event of each ground truth (by ``pgh_id``), in ground-truth id order, deletions dropped."""
    latest: dict[Any, Any] = {}
    for event in events:
        known = latest.get(event.id)
        if known is None or event.pgh_id > known.pgh_id:
            latest[event.id] = event
    for key in sorted(latest, key=lambda k: (k is None, k if isinstance(k, int) else str(k))):
        event = latest[key]
        label = str(event.pgh_label or "").lower()
        if not label.endswith(_DELETED):
            yield event


def list_events(events: Iterable[Any]) -> Listing:
    """List ground-truth events into items: the latest state of each ground truth, by id."""
    listing = Listing()
    for event in _latest(events):
        listing.add(event.data, event.files, task_id=None, ground_truth_id=event.id,
                    data_unit=event.data_unit_id, category=event.category)
    return listing


def schema_of(configuration: Mapping[str, Any] | None) -> LabelSchema | None:
    """The label schema of a project configuration (None when there is none)."""
    return LabelSchema.from_configuration(configuration) if configuration else None
