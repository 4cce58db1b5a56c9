"""DM v1 codec: the meta row and geometry row of each annotation <-> typed objects (ANNOTATIONS.md §1).

Reading is tolerant: a row whose geometry does not have its tool's shape becomes a
:class:`RawAnnotation` that keeps both rows, and :func:`synapse.annotations.validate` says what is
wrong. Writing is lossless: an object (or document) equal to what its rows read as is written back
as those very rows; a changed one is written over its rows, so unknown keys survive.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from copy import deepcopy as _deepcopy
from typing import Any

from attrs import evolve

from synapse.annotations.document import Document, natural_key
from synapse.annotations.objects import (
    VISIBILITY_NAMES,
    Annotation,
    BoundingBox,
    Classification,
    Keypoint,
    Mask,
    Polygon,
    Polyline,
    RawAnnotation,
    Relation,
    RowSource,
    _fast_builder,
    _visibility,
)
from synapse.errors import FormatError

FLAGS: dict[str, str] = {
    "isLocked": "is_locked",
    "isVisible": "is_visible",
    "isValid": "is_valid",
    "isDrawCompleted": "is_draw_completed",
}
"""v1 meta-row flag -> object field."""

# Unchecked constructors: the reader checks and converts every value itself (see _read_typed).
_BOX = _fast_builder(BoundingBox)
_POLYGON = _fast_builder(Polygon)
_POLYLINE = _fast_builder(Polyline)
_KEYPOINT = _fast_builder(Keypoint)
_MASK = _fast_builder(Mask)
_CLASSIFICATION = _fast_builder(Classification)
_RELATION = _fast_builder(Relation)
_RAW = _fast_builder(RawAnnotation)
_DOCUMENT = _fast_builder(Document)

TOP_LEVEL = ("assignmentId", "extra", "annotations", "annotationsData", "annotationGroups")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _Unreadable(Exception):
    """The geometry row has not the shape of its tool (the object is kept raw)."""


def make_id(seed: str, length: int = 10) -> str:
    """A deterministic alphanumeric id of ``length`` characters derived from ``seed``."""
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def split_classification(raw: Any) -> tuple[str | None, dict[str, Any]]:
    """Split a v1 ``classification`` into ``(class code, other keys)``; non-mappings give no class."""
    if not isinstance(raw, Mapping):
        return None, {}
    code = raw.get("class")
    return (None if code is None else str(code)), {k: v for k, v in raw.items() if k != "class"}


def join_classification(label: str | None, attrs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The v1 ``classification`` for a class code and attributes (None when both are empty)."""
    if label is None and not attrs:
        return None
    return ({"class": label} if label is not None else {}) | dict(attrs)


def _num(value: Any) -> float:
    kind = type(value)
    if kind is int or kind is float:  # the common case, first (a bool is not one)
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Unreadable(f"{value!r} is not a number")
    return value


def _str_id(value: Any) -> str | None:
    return None if value is None else str(value)


# ---------------------------------------------------------------- reading


def read_object(
    meta: dict[str, Any] | None,
    data: dict[str, Any] | None,
    *,
    size: tuple[int, int] | None = None,
    group: str | None = None,
) -> Annotation:
    """Build the object of one annotation from its v1 rows (either may be None when missing).

    Args:
        meta: The ``annotations`` row.
        data: The ``annotationsData`` row.
        size: The media's ``(width, height)``, given to masks.
        group: The id of the annotation's group.
    """
    row = meta if meta is not None else {}
    tool = str(row.get("tool", "")) if meta is not None else ""
    raw = row.get("classification")
    label: str | None
    attrs: dict[str, Any]
    if type(raw) is dict and len(raw) == 1 and "class" in raw:  # the common case: a class alone
        code = raw["class"]
        label, attrs = (None if code is None else str(code)), {}
    else:
        label, attrs = split_classification(raw)
    labels = row.get("label")
    ident = row.get("id", (data if data is not None else {}).get("id"))
    locked, visible, valid, drawn = (row.get("isLocked"), row.get("isVisible"), row.get("isValid"),
                                     row.get("isDrawCompleted"))
    base = (
        None if ident is None else str(ident), label, group,
        locked if locked is True or locked is False else None,
        visible if visible is True or visible is False else None,
        valid if valid is True or valid is False else None,
        drawn if drawn is True or drawn is False else None,
        tuple(labels) if isinstance(labels, list) else None,
        RowSource(meta, data),
    )  # fmt: skip
    if meta is not None and data is not None:
        try:
            return _read_typed(tool, attrs, data, size, base)
        except (_Unreadable, KeyError, TypeError, ValueError, IndexError):
            pass
    geometry = {k: v for k, v in (data or {}).items() if k != "id"}
    return _RAW(base, attrs, tool, geometry)


def _read_typed(
    tool: str, attrs: dict[str, Any], data: dict[str, Any], size: tuple[int, int] | None,
    base: tuple[Any, ...],
) -> Annotation:
    # Every value is checked (and converted) here, so the objects are built without the attrs
    # converters and validators running the same checks again (the public constructors still do).
    if tool == "bounding_box":
        c = data["coordinate"]
        rotation = _num(c["rotation"]) if "rotation" in c else 0.0
        return _BOX(base, attrs, _num(c["x"]), _num(c["y"]), _num(c["width"]), _num(c["height"]), rotation)
    if tool in ("polygon", "polyline"):
        coordinate = data["coordinate"]
        if not isinstance(coordinate, list):
            raise _Unreadable("coordinate is not a list")
        points = tuple([(_num(p["x"]), _num(p["y"])) for p in coordinate])
        return (_POLYGON if tool == "polygon" else _POLYLINE)(base, attrs, points)
    if tool == "keypoint":
        c = data["coordinate"]
        attrs = dict(attrs)
        visibility = _visibility(attrs.pop("visibility", 2))
        return _KEYPOINT(base, attrs, _num(c["x"]), _num(c["y"]), visibility)
    if tool == "segmentation" and "pixel_indices" in data:
        compressed = data.get("isCompressed") is True
        if compressed and data.get("compressionFormat", "rle") != "rle":
            raise _Unreadable("unknown compression format")
        indices = tuple(_flat_indices(data["pixel_indices"]))
        width, height = size if size else (None, None)
        return _MASK(base, attrs, indices, "dm_rle" if compressed else "raw_indices", width, height)
    if tool == "classification":
        return _CLASSIFICATION(base, attrs)
    if tool == "relation":
        source, target = data["annotationId"], data["targetAnnotationId"]
        if source is None or target is None:
            raise _Unreadable("relation without ends")
        return _RELATION(base, attrs, str(source), str(target))
    raise _Unreadable(f"untyped tool {tool!r}")


def _flat_indices(value: Any) -> Iterable[int]:
    if not isinstance(value, list):
        raise _Unreadable("pixel_indices is not a list")
    for item in value:
        for number in item if isinstance(item, list) else (item,):  # runs may come as pairs
            if isinstance(number, bool) or not isinstance(number, int):
                raise _Unreadable(f"{number!r} is not a pixel index")
            yield number


def read_document(raw: Mapping[str, Any], *, copy: bool = True) -> Document:
    """Read a DM v1 document (already known to be a mapping) into a :class:`Document`.

    Args:
        raw: The document.
        copy: Read a deep copy of ``raw`` (the default), so later changes to it do not reach the
            document. False: the document keeps ``raw``'s rows and values (no copy, faster); for a
            dict the caller owns and will not change, such as one it has just decoded.
    """
    raw = _deepcopy(dict(raw)) if copy else raw if type(raw) is dict else dict(raw)
    meta_rows, data_rows = _per_media(raw, "annotations"), _per_media(raw, "annotationsData")
    groups_raw, extra_raw = _per_media(raw, "annotationGroups"), raw.get("extra")
    extra = {str(k): v for k, v in extra_raw.items()} if isinstance(extra_raw, dict) else {}
    relations = raw.get("relations")
    listed = relations if isinstance(relations, dict) else {}
    media_ids = {*meta_rows, *data_rows, *groups_raw, *extra, *map(str, listed)}
    media: dict[str, tuple[Annotation, ...]] = {}
    for media_id in sorted(media_ids, key=natural_key) if len(media_ids) > 1 else media_ids:
        size = Document.size_from_extra(extra.get(media_id))
        member_of: dict[str, str] = {}
        for group in groups_raw.get(media_id, []):
            for member in group.get("annotationIds") or ():
                member_of.setdefault(str(member), str(group.get("id")))
        # Each meta row takes the first geometry row of its id not taken yet; an id has one as a rule.
        first: dict[str, dict[str, Any]] = {}
        more: dict[str, list[dict[str, Any]]] = {}
        for row in data_rows.get(media_id, ()):
            key = _key(row.get("id"))
            if key in first:
                more.setdefault(key, []).append(row)
            else:
                first[key] = row
        order = list(first)
        objects = []
        for meta in meta_rows.get(media_id, ()):
            key = _key(meta.get("id"))
            data = first.pop(key, None)
            if data is None and more.get(key):
                data = more[key].pop(0)
            objects.append(read_object(meta, data, size=size, group=member_of.get(key)))
        if first or more:  # geometry rows without a meta row, kept in place
            for key in order:
                rows = ([first[key]] if key in first else []) + more.get(key, [])
                objects += [read_object(None, row, size=size, group=member_of.get(key)) for row in rows]
        media[media_id] = tuple(objects)
    other = {k: v for k, v in raw.items() if k not in TOP_LEVEL}
    if "extra" in raw and not isinstance(extra_raw, dict):
        other["extra"] = extra_raw
    # Every value has the type the converters would give it: built without them.
    return _DOCUMENT(media, extra, raw.get("assignmentId"), other, raw)


def _key(value: Any) -> str:
    return value if type(value) is str else str(value)


def _per_media(raw: Mapping[str, Any], key: str) -> dict[str, list[dict[str, Any]]]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FormatError(f"DM v1 {key!r} must map media ids to lists, not {type(value).__name__}")
    out = {}
    for media_id, rows in value.items():
        rows = rows or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise FormatError(f"DM v1 {key}.{media_id} must be a list of objects")
        out[_key(media_id)] = rows
    return out


# ---------------------------------------------------------------- writing


Rows = tuple[dict[str, Any] | None, dict[str, Any] | None]


def write_object(obj: Annotation, *, size: tuple[int, int] | None = None) -> Rows:
    """The ``(meta row, geometry row)`` of an object whose id is set.

    A row is None only when the object was read without it and is unchanged.
    """
    origin = obj.origin
    if origin is not None and read_object(origin.meta, origin.data, size=size, group=obj.group) == obj:
        return (origin.meta, origin.data)
    fresh_meta = not (origin and origin.meta)
    meta = dict(origin.meta) if origin and origin.meta else {}
    data = dict(origin.data) if origin and origin.data else {}
    meta["id"] = data["id"] = obj.id
    meta["tool"] = obj.tool
    for key, name in FLAGS.items():
        value = getattr(obj, name)
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    if obj.labels is None:
        meta.pop("label", None)
    else:
        meta["label"] = list(obj.labels)
    attrs = dict(obj.attrs)
    if isinstance(obj, Keypoint):
        before = split_classification(meta.get("classification"))[1]
        old = before.get("visibility")
        as_number = isinstance(old, int) and not isinstance(old, bool)
        # a keypoint read without a visibility (visible by default) is written without one
        if obj.visibility != 2 or "visibility" in before or fresh_meta:
            attrs["visibility"] = obj.visibility if as_number else VISIBILITY_NAMES[obj.visibility]
    if "classification" not in meta or split_classification(meta["classification"]) != (obj.label, attrs):
        meta["classification"] = join_classification(obj.label, attrs)
    _write_geometry(obj, data, fresh=not (origin and origin.data))
    return (meta, data)


def _write_geometry(obj: Annotation, data: dict[str, Any], fresh: bool) -> None:
    if isinstance(obj, BoundingBox):
        old = data.get("coordinate")
        c = dict(old) if isinstance(old, dict) else {}
        c.update(x=obj.x, y=obj.y, width=obj.width, height=obj.height)
        # a new box states its rotation; a box read without one gets it only when turned
        if obj.rotation != 0 or "rotation" in c or not isinstance(old, dict):
            c["rotation"] = obj.rotation
        data["coordinate"] = c
    elif isinstance(obj, (Polygon, Polyline)):
        given = data.get("coordinate")
        before: list[Any] = given if isinstance(given, list) else []
        vertices = []
        for i, (x, y) in enumerate(obj.points):
            vertex = dict(before[i]) if i < len(before) and isinstance(before[i], dict) else {}
            vertex.update(x=x, y=y)
            vertex.setdefault("id", make_id(f"{obj.id}:{i}"))
            vertices.append(vertex)
        data["coordinate"] = vertices
    elif isinstance(obj, Keypoint):
        c = dict(data["coordinate"]) if isinstance(data.get("coordinate"), dict) else {}
        data["coordinate"] = c | {"x": obj.x, "y": obj.y}
    elif isinstance(obj, Mask):
        data["pixel_indices"] = list(obj.indices)
        if obj.encoding == "dm_rle" or "isCompressed" in data or fresh:
            data["isCompressed"] = obj.encoding == "dm_rle"
        if obj.encoding == "dm_rle":
            data["compressionFormat"] = "rle"
        else:
            data.pop("compressionFormat", None)
    elif isinstance(obj, Relation):
        data.update(annotationId=obj.source, targetAnnotationId=obj.target)
    elif isinstance(obj, RawAnnotation):
        for key in [k for k in data if k != "id"]:
            del data[key]
        data.update(obj.geometry)


def with_ids(media_id: str, objects: Iterable[Annotation]) -> list[Annotation]:
    """The objects, each without an id given a deterministic one unique within the media item."""
    objects = list(objects)
    used = {o.id for o in objects if o.id is not None}
    out = []
    for index, obj in enumerate(objects):
        if obj.id is None:
            salt = 0
            new = make_id(f"{media_id}|{index}|{obj!r}")
            while new in used:
                salt += 1
                new = make_id(f"{media_id}|{index}|{obj!r}|{salt}")
            used.add(new)
            obj = evolve(obj, id=new)
        out.append(obj)
    return out


def write_document(doc: Document) -> dict[str, Any]:
    """The DM v1 dict of a document: its source verbatim when unchanged, else rebuilt."""
    origin = doc.origin
    if isinstance(origin, dict) and is_v1(origin) and read_document(origin, copy=False) == doc:
        return copy.deepcopy(origin)
    out: dict[str, Any] = {}
    if doc.assignment_id is not None:
        out["assignmentId"] = doc.assignment_id
    if doc.extra:
        out["extra"] = copy.deepcopy(doc.extra)
    annotations: dict[str, Any] = {}
    annotations_data: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    for media_id in doc.media_ids:
        metas, datas, members = [], [], {}  # type: tuple[list[Any], list[Any], dict[str, list[Any]]]
        for obj in with_ids(media_id, doc.objects(media_id)):
            meta, data = write_object(obj, size=doc.size(media_id))
            if meta is not None:
                metas.append(copy.deepcopy(meta))
            if data is not None:
                datas.append(copy.deepcopy(data))
            if obj.group is not None:
                members.setdefault(obj.group, []).append(obj.id)
        annotations[media_id], annotations_data[media_id] = metas, datas
        groups[media_id] = [{"id": g, "annotationIds": ids} for g, ids in members.items()]
    out["annotations"], out["annotationsData"] = annotations, annotations_data
    had_groups = isinstance(origin, dict) and "annotationGroups" in origin
    if had_groups or any(groups.values()):
        out["annotationGroups"] = groups
    out.update(copy.deepcopy(doc.other))
    return out


def is_v1(raw: Mapping[str, Any]) -> bool:
    """True when a DM dict is v1: it has ``annotations``/``annotationsData``, or no v2 media list."""
    return "annotations" in raw or "annotationsData" in raw or not _looks_v2(raw)


def _looks_v2(raw: Mapping[str, Any]) -> bool:
    from synapse.annotations.dm_v2 import MEDIA_TYPES

    return any(isinstance(raw.get(plural), list) for plural in MEDIA_TYPES.values())
