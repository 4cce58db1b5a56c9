"""DM v2 codec: the normalised per-media shape used for datasets on disk (ANNOTATIONS.md §3).

A v2 document has no media ids; the SDK writes them beside it, under ``media_ids`` (plural media
type -> the v1 ids in list order), together with the v1 ``extra``, ``assignmentId`` and other
top-level keys, so that v1 -> v2 -> v1 restores everything but what v2 has no place for: the v1
flags, the meta row's ``label`` list, polygon vertex ids and unknown keys inside rows. Within a
media item v2 lists annotations tool by tool, so reading v2 gives them in that order.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from synapse.annotations.dm_v1 import with_ids
from synapse.annotations.document import Document
from synapse.annotations.objects import (
    Annotation,
    BoundingBox,
    Classification,
    Keypoint,
    Mask,
    Polygon,
    Polyline,
    RawAnnotation,
    Relation,
)
from synapse.errors import FormatError

MEDIA_TYPES: dict[str, str] = {
    "image": "images",
    "video": "videos",
    "pcd": "pcds",
    "text": "texts",
    "audio": "audios",
    "prompt": "prompts",
    "data": "datas",
}
"""v1 media-id prefix -> v2 plural list name."""

RESERVED = ("classification", "media_ids", "extra", "assignmentId")
_NUMBERED = re.compile(r"^(.*?)_?(\d+)$")


def media_type(media_id: str) -> str:
    """The v2 list a v1 media id goes to: ``image_3`` -> ``images``, ``pcd_1`` -> ``pcds``."""
    match = _NUMBERED.match(media_id)
    prefix = match.group(1) if match and match.group(1) else media_id
    return MEDIA_TYPES.get(prefix, prefix + "s")


def _singular(plural: str) -> str:
    for prefix, name in MEDIA_TYPES.items():
        if name == plural:
            return prefix
    return plural[:-1] if plural.endswith("s") else plural


# ---------------------------------------------------------------- writing


def write_item(obj: Annotation) -> dict[str, Any]:
    """One v2 annotation (``id``, ``classification``, ``attrs``, ``data`` ...) of an object with an id."""
    attrs = [{"name": k, "value": v} for k, v in obj.attrs.items()]
    data: Any
    item: dict[str, Any] = {"id": obj.id, "classification": obj.label}
    if isinstance(obj, BoundingBox):
        attrs.insert(0, {"name": "rotation", "value": obj.rotation})
        data = [obj.x, obj.y, obj.width, obj.height]
    elif isinstance(obj, (Polygon, Polyline)):
        data = [[x, y] for x, y in obj.points]
    elif isinstance(obj, Keypoint):
        data = [obj.x, obj.y]
        item["visibility"] = obj.visibility
    elif isinstance(obj, Mask):
        data = list(obj.indices)
        item["encoding"] = obj.encoding
    elif isinstance(obj, Relation):
        data = [obj.source, obj.target]
    elif isinstance(obj, RawAnnotation):
        # a v2 item whose data was not a mapping was read as {"data": <it>}
        data = copy.deepcopy(obj.geometry["data"] if set(obj.geometry) == {"data"} else obj.geometry)
    else:
        data = {}
    item["attrs"], item["data"] = attrs, data
    if obj.group is not None or isinstance(obj, Keypoint):
        item["group_id"] = obj.group
    return item


def write_document(doc: Document, *, keep_media_ids: bool = True) -> dict[str, Any]:
    """The DM v2 dict of a document (see the module docstring for the keys added beside it)."""
    origin = doc.origin
    if isinstance(origin, dict) and not _v1(origin) and read_document(origin) == doc:
        return copy.deepcopy(origin)
    classes: dict[str, list[str]] = {}
    lists: dict[str, list[dict[str, Any]]] = {}
    ids: dict[str, list[str]] = {}
    for media_id in doc.media_ids:
        entry: dict[str, list[dict[str, Any]]] = {}
        for obj in with_ids(media_id, doc.objects(media_id)):
            tool = obj.tool or "unknown"
            entry.setdefault(tool, []).append(write_item(obj))
            if obj.label is not None and obj.label not in classes.setdefault(tool, []):
                classes[tool].append(obj.label)
        plural = media_type(media_id)
        lists.setdefault(plural, []).append(entry)
        ids.setdefault(plural, []).append(media_id)
    out: dict[str, Any] = {"classification": classes, **lists}
    if keep_media_ids:
        out["media_ids"] = ids
        if doc.extra:
            out["extra"] = copy.deepcopy(doc.extra)
        if doc.assignment_id is not None:
            out["assignmentId"] = doc.assignment_id
        out.update({k: copy.deepcopy(v) for k, v in doc.other.items() if k not in out})
    return out


def _v1(raw: Mapping[str, Any]) -> bool:
    from synapse.annotations.dm_v1 import is_v1

    return is_v1(raw)


# ---------------------------------------------------------------- reading


def _dict_at(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def _media_lists(raw: Mapping[str, Any]) -> list[str]:
    named = _dict_at(raw, "media_ids")
    known = [p for p in MEDIA_TYPES.values() if isinstance(raw.get(p), list)]
    return known + [p for p in named if p not in known and isinstance(raw.get(p), list)]


def read_document(raw: Mapping[str, Any], *, media_ids: Iterable[str] | None = None) -> Document:
    """Read a DM v2 dict into a :class:`Document`.

    Media ids come from its ``media_ids`` key, else from ``media_ids``, else ``<type>_1``,
    ``<type>_2`` ... per media type.
    """
    origin = copy.deepcopy(dict(raw))
    named = _dict_at(origin, "media_ids")
    given = iter(media_ids or ())
    extra = _dict_at(origin, "extra")
    media: dict[str, tuple[Annotation, ...]] = {}
    plurals = _media_lists(origin)
    for plural in plurals:
        names = named.get(plural) or []
        for index, entry in enumerate(origin[plural]):
            media_id = names[index] if index < len(names) else next(given, f"{_singular(plural)}_{index + 1}")
            media_id = str(media_id)
            size = Document.size_from_extra(extra.get(media_id))
            objects: list[Annotation] = []
            if not isinstance(entry or {}, dict):
                raise FormatError(f"DM v2 {plural}[{index}] must map tools to lists of objects")
            for tool, items in (entry or {}).items():
                if not isinstance(items or [], list) or not all(isinstance(i, dict) for i in items or ()):
                    raise FormatError(f"DM v2 {plural}[{index}].{tool} must be a list of objects")
                objects += [read_item(str(tool), item, size=size) for item in items or ()]
            media[media_id] = tuple(objects)
    skip = {*RESERVED, *plurals}
    other = {k: v for k, v in origin.items() if k not in skip}
    return Document(
        media=media, extra=extra, assignment_id=origin.get("assignmentId"), other=other, origin=origin
    )


def read_item(tool: str, item: Mapping[str, Any], *, size: tuple[int, int] | None = None) -> Annotation:
    """Build the object of one v2 annotation found under ``tool``.

    Args:
        tool: The key the annotation was listed under (``bounding_box`` ...).
        item: The v2 annotation.
        size: The media's ``(width, height)``, given to masks.
    """
    label = item.get("classification")
    given = item.get("attrs")
    listed: list[Any] = given if isinstance(given, list) else []
    attrs = {str(a["name"]): a.get("value") for a in listed if isinstance(a, Mapping) and "name" in a}
    common: dict[str, Any] = {
        "id": None if item.get("id") is None else str(item["id"]),
        "label": None if label is None else str(label),
        "group": None if item.get("group_id") is None else str(item["group_id"]),
    }
    data = item.get("data")
    try:
        if tool == "bounding_box":
            rotation: Any = attrs.pop("rotation", 0.0)
            x, y, w, h = data  # type: ignore[misc]
            return BoundingBox(x=x, y=y, width=w, height=h, rotation=rotation, attrs=attrs, **common)
        if tool == "polygon":
            return Polygon(points=data, attrs=attrs, **common)  # type: ignore[arg-type]
        if tool == "polyline":
            return Polyline(points=data, attrs=attrs, **common)  # type: ignore[arg-type]
        if tool == "keypoint":
            x, y = data  # type: ignore[misc]
            return Keypoint(x=x, y=y, visibility=item.get("visibility", 2), attrs=attrs, **common)
        if tool == "segmentation" and "encoding" in item:
            width, height = size if size else (None, None)
            return Mask(
                indices=data, encoding=item["encoding"], width=width, height=height, attrs=attrs, **common  # type: ignore[arg-type]
            )
        if tool == "classification":
            return Classification(attrs=attrs, **common)
        if tool == "relation":
            source, target = data  # type: ignore[misc]
            return Relation(source=str(source), target=str(target), attrs=attrs, **common)
    except (TypeError, ValueError, KeyError, IndexError):
        pass
    geometry = dict(data) if isinstance(data, Mapping) else {"data": data}
    return RawAnnotation(tool=tool, attrs=attrs, geometry=geometry, **common)
