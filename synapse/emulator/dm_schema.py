"""The ``dm_schema_v1`` check: a task's annotation (ANNOTATIONS.md §1) against its project's labels (§2).

The emulator enforces what ANNOTATIONS.md says the backend does, and nothing client-side is
imported here (this is the other end of the wire)::

    errors = check_dm_v1(document, project_configuration)
    # {"annotations.image.2.classification": ["'unicorn' is not a class of bounding_box"]}

An error key names the part of the document (``annotations``, ``annotationsData``, ``extra``,
``annotationGroups``), the media id, the row's index in that list and the field. A
configuration without a ``classification`` mapping declares no tools: then tools and classes
are not checked, only the document's shape.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = ["KNOWN_TOOLS", "LabelSchema", "check_dm_v1"]

KNOWN_TOOLS = frozenset(
    {
        "bounding_box",
        "polygon",
        "polyline",
        "keypoint",
        "segmentation",
        "classification",
        "relation",
        "3d_bounding_box",
        "3d_segmentation",
        "named_entity",
        "time_range",
    }
)
VISIBILITIES = ("missing", "occluded", "visible", 0, 1, 2)
FLAGS = ("isLocked", "isVisible", "isValid", "isDrawCompleted")
PER_MEDIA = ("annotations", "annotationsData", "extra", "relations", "annotationGroups")
MAX_ERRORS = 100  # one answer stays readable when a whole import is wrong


class LabelSchema:
    """The tools, classes and attributes a project's ``configuration`` declares (ANNOTATIONS.md §2).

    Args:
        configuration: the project's configuration (any JSON value; only the §2 shape is read).
    """

    def __init__(self, configuration: Any) -> None:
        mapping = configuration.get("classification") if isinstance(configuration, dict) else None
        #: tool -> class code -> attribute name -> attribute declaration; ``None`` when the
        #: configuration declares no tools (then tools and classes are not checked).
        self.tools: dict[str, dict[str, dict[str, dict[str, Any]]] | None] | None = None
        if not isinstance(mapping, dict):
            return
        self.tools = {}
        for tool, spec in mapping.items():
            schema = spec.get("classification_schema") if isinstance(spec, dict) else None
            if not isinstance(schema, list):
                self.tools[str(tool)] = None  # a tool without a class list: any class
                continue
            classes: dict[str, dict[str, dict[str, Any]]] = {}
            for entry in schema:
                if isinstance(entry, dict) and isinstance(entry.get("code"), str):
                    attrs = entry.get("attributes")
                    classes.setdefault(entry["code"], {})
                    for attr in attrs if isinstance(attrs, list) else ():
                        if isinstance(attr, dict) and isinstance(attr.get("name"), str):
                            classes[entry["code"]][attr["name"]] = attr
            self.tools[str(tool)] = classes


class _Errors:
    """Collects ``{"key": [messages]}`` up to ``MAX_ERRORS`` keys."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        if key in self.found:
            self.found[key].append(message)
        elif len(self.found) < MAX_ERRORS:
            self.found[key] = [message]


def check_dm_v1(document: Any, configuration: Any) -> dict[str, list[str]]:
    """Check a DM v1 document against a project's configuration.

    Args:
        document: the decoded annotation (the envelope already removed).
        configuration: the project's ``configuration`` (ANNOTATIONS.md §2).

    Returns:
        DRF-shaped field errors (empty when the document is valid).
    """
    errors = _Errors()
    if not isinstance(document, dict):
        errors.add(
            "non_field_errors",
            f"Invalid annotation. Expected a DM v1 document (an object), but got {type(document).__name__}.",
        )
        return errors.found
    if "annotations" not in document and "annotationsData" not in document:
        keys = ", ".join(sorted(map(str, document))) or "none"
        hint = " (that looks like DM v2: send DM v1, or use ?schema=any)" if "images" in document else ""
        errors.add(
            "non_field_errors",
            f"Not a DM v1 document: it has neither 'annotations' nor 'annotationsData' (keys: {keys}){hint}.",
        )
        return errors.found
    parts: dict[str, dict[str, Any]] = {}
    for part in PER_MEDIA:
        value = document.get(part, {})
        if value is None:
            value = {}
        if not isinstance(value, dict):
            errors.add(part, f"Expected an object of media id -> rows, but got {type(value).__name__}.")
            value = {}
        parts[part] = value
    schema = LabelSchema(configuration)
    media_ids = list(dict.fromkeys([*parts["annotations"], *parts["annotationsData"]]))
    for media in media_ids:
        _check_media(errors, schema, parts, str(media))
    for media, rows in parts["relations"].items():
        if not isinstance(rows, list):
            errors.add(f"relations.{media}", f"Expected a list, but got {type(rows).__name__}.")
    for media, extra in parts["extra"].items():
        _check_extra(errors, str(media), extra)
    for media in parts["annotationGroups"]:
        if media not in parts["annotations"]:
            _check_groups(errors, str(media), parts["annotationGroups"][media], {})
    return errors.found


def _rows(errors: _Errors, part: str, media: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(f"{part}.{media}", f"Expected a list of rows, but got {type(value).__name__}.")
        return []
    return value


def _ids(errors: _Errors, part: str, media: str, rows: list[Any]) -> dict[str, int]:
    """Row id -> index, reporting rows that are not objects, bad ids and duplicates."""
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        where = f"{part}.{media}.{index}"
        if not isinstance(row, dict):
            errors.add(where, f"Expected an object, but got {type(row).__name__}.")
            continue
        ident = row.get("id")
        if not isinstance(ident, str) or not ident:
            errors.add(f"{where}.id", "This field is required: a non-empty string.")
        elif ident in seen:
            errors.add(f"{where}.id", f"Duplicate id '{ident}' (also at index {seen[ident]}).")
        else:
            seen[ident] = index
    return seen


def _check_media(errors: _Errors, schema: LabelSchema, parts: dict[str, dict[str, Any]], media: str) -> None:
    metas = _rows(errors, "annotations", media, parts["annotations"].get(media))
    geoms = _rows(errors, "annotationsData", media, parts["annotationsData"].get(media))
    meta_ids = _ids(errors, "annotations", media, metas)
    geom_ids = _ids(errors, "annotationsData", media, geoms)
    for ident, index in meta_ids.items():
        if ident not in geom_ids:
            message = f"'{ident}' has no geometry row in annotationsData.{media}."
            errors.add(f"annotations.{media}.{index}.id", message)
    for ident, index in geom_ids.items():
        if ident not in meta_ids:
            message = f"'{ident}' has no meta row in annotations.{media}."
            errors.add(f"annotationsData.{media}.{index}.id", message)
    extra = parts["extra"].get(media)
    size = _image_size(extra)
    for ident, index in meta_ids.items():
        tool = _check_meta(errors, schema, f"annotations.{media}.{index}", metas[index])
        if tool is not None and ident in geom_ids:
            where = f"annotationsData.{media}.{geom_ids[ident]}"
            _check_geometry(errors, tool, where, geoms[geom_ids[ident]], meta_ids, size, media)
    if media in parts["annotationGroups"]:
        _check_groups(errors, media, parts["annotationGroups"][media], meta_ids)


def _check_meta(errors: _Errors, schema: LabelSchema, where: str, row: dict[str, Any]) -> str | None:
    """Check a meta row; return its tool when known (so the geometry can be checked)."""
    for flag in FLAGS:
        if flag in row and not isinstance(row[flag], bool):
            errors.add(f"{where}.{flag}", "Must be a valid boolean.")
    if "label" in row and row["label"] is not None and not isinstance(row["label"], list):
        errors.add(f"{where}.label", f"Expected a list, but got {type(row['label']).__name__}.")
    tool = row.get("tool")
    if not isinstance(tool, str) or tool not in KNOWN_TOOLS:
        shown = f"'{tool}'" if isinstance(tool, str) else "a missing tool" if tool is None else repr(tool)
        errors.add(f"{where}.tool", f"{shown} is not a known tool ({', '.join(sorted(KNOWN_TOOLS))}).")
        return None
    classes: dict[str, dict[str, dict[str, Any]]] | None = None
    if schema.tools is not None:
        if tool not in schema.tools:
            declared = ", ".join(schema.tools) or "none"
            errors.add(f"{where}.tool", f"'{tool}' is not a tool of this project (tools: {declared}).")
            return tool
        classes = schema.tools[tool]
    classification = row.get("classification")
    if classification is None:
        return tool
    if not isinstance(classification, dict):
        message = f"Expected an object or null, but got {type(classification).__name__}."
        errors.add(f"{where}.classification", message)
        return tool
    code = classification.get("class")
    if not isinstance(code, str):
        errors.add(f"{where}.classification", "'class' is required: the class code, a string.")
        return tool
    if classes is not None and code not in classes:
        errors.add(f"{where}.classification", f"'{code}' is not a class of {tool}")
        return tool
    visibility = classification.get("visibility", "visible")
    if tool == "keypoint" and visibility not in VISIBILITIES:
        errors.add(
            f"{where}.classification.visibility",
            f"{visibility!r} is not a visibility (missing, occluded, visible or 0, 1, 2).",
        )
    for name, attr in (classes or {}).get(code, {}).items():
        if name in classification:
            problem = _attribute_error(attr, classification[name])
            if problem:
                errors.add(f"{where}.classification.{name}", problem)
    return tool


def _attribute_error(attr: Mapping[str, Any], value: Any) -> str | None:
    kind = attr.get("type")
    options = attr.get("options")
    if kind == "text":
        return None if isinstance(value, str) else "Must be a string."
    if kind == "multi_select":
        if not isinstance(value, list):
            return f"Expected a list of options, but got {type(value).__name__}."
        if isinstance(options, list):
            bad = [v for v in value if v not in options]
            return f"{bad[0]!r} is not one of {options}." if bad else None
        return None
    if kind in ("select", "radio") and isinstance(options, list) and value not in options:
        return f"{value!r} is not one of {options}."
    return None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _point_error(value: Any, axes: tuple[str, ...] = ("x", "y")) -> str | None:
    if not isinstance(value, dict):
        return f"Expected an object {{{', '.join(axes)}}}, but got {type(value).__name__}."
    for axis in axes:
        if not _number(value.get(axis)):
            return f"'{axis}' must be a finite number."
    return None


def _section_error(value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"Expected an object, but got {type(value).__name__}."
    frames = "startFrame" in value or "endFrame" in value
    start, end = ("startFrame", "endFrame") if frames else ("start", "end")
    if not _number(value.get(start)) or not _number(value.get(end)):
        return f"'{start}' and '{end}' must be finite numbers."
    if value[end] < value[start]:
        return f"'{end}' must not be before '{start}'."
    return None


def _check_geometry(
    errors: _Errors,
    tool: str,
    where: str,
    row: dict[str, Any],
    ids: Mapping[str, int],
    size: tuple[int, int] | None,
    media: str,
) -> None:
    """The geometry row's shape and arity per the table of ANNOTATIONS.md §1."""
    coordinate: Any = row.get("coordinate")
    if tool == "bounding_box":
        message = _point_error(coordinate, ("x", "y", "width", "height"))
        if message is None:
            if coordinate["width"] < 0 or coordinate["height"] < 0:
                message = "'width' and 'height' must be >= 0."
            elif coordinate.get("rotation") is not None and not _number(coordinate["rotation"]):
                message = "'rotation' must be a finite number (radians)."
        if message:
            errors.add(f"{where}.coordinate", message)
    elif tool in ("polygon", "polyline"):
        least = 3 if tool == "polygon" else 2
        if not isinstance(coordinate, list):
            message = f"Expected a list of points, but got {type(coordinate).__name__}."
            errors.add(f"{where}.coordinate", message)
        elif len(coordinate) < least:
            errors.add(f"{where}.coordinate", f"A {tool} has at least {least} points, got {len(coordinate)}.")
        else:
            for k, point in enumerate(coordinate):
                message = _point_error(point)
                if message:
                    errors.add(f"{where}.coordinate.{k}", message)
                    break
    elif tool == "keypoint":
        message = _point_error(coordinate)
        if message:
            errors.add(f"{where}.coordinate", message)
    elif tool == "segmentation":
        if "section" in row:
            message = _section_error(row["section"])
            if message:
                errors.add(f"{where}.section", message)
        else:
            _check_mask(errors, where, row, size, media)
    elif tool == "relation":
        for name in ("annotationId", "targetAnnotationId"):
            target = row.get(name)
            if not isinstance(target, str):
                errors.add(f"{where}.{name}", "This field is required: an annotation id.")
            elif target not in ids:
                errors.add(f"{where}.{name}", f"'{target}' is not an annotation of {media}.")
    elif tool == "3d_bounding_box":
        psr = row.get("psr")
        if not isinstance(psr, dict):
            errors.add(f"{where}.psr", "Expected an object {position, scale, rotation}.")
            return
        for name in ("position", "scale"):
            message = _point_error(psr.get(name), ("x", "y", "z"))
            if message:
                errors.add(f"{where}.psr.{name}", message)
        rotation = psr.get("rotation")
        axes = ("w", "x", "y", "z") if isinstance(rotation, dict) and "w" in rotation else ("x", "y", "z")
        message = _point_error(rotation, axes)
        if message:
            errors.add(f"{where}.psr.rotation", message)
    elif tool == "3d_segmentation":
        points = row.get("points")
        if not isinstance(points, list) or not all(_integer(p) and p >= 0 for p in points):
            errors.add(f"{where}.points", "Expected a list of point indices (integers >= 0).")
    elif tool == "named_entity":
        if not isinstance(row.get("ranges"), list):
            errors.add(f"{where}.ranges", "Expected a list of ranges.")
        if "content" in row and not isinstance(row["content"], str):
            errors.add(f"{where}.content", "Must be a string.")
    elif tool == "time_range":
        message = _section_error(row.get("section"))
        if message:
            errors.add(f"{where}.section", message)
        if "excludedTracks" in row and not isinstance(row["excludedTracks"], list):
            errors.add(f"{where}.excludedTracks", "Expected a list.")
    # "classification": the geometry row is only its id.


def _check_mask(
    errors: _Errors, where: str, row: dict[str, Any], size: tuple[int, int] | None, media: str
) -> None:
    indices = row.get("pixel_indices")
    compressed = row.get("isCompressed", False)
    if not isinstance(compressed, bool):
        errors.add(f"{where}.isCompressed", "Must be a valid boolean.")
        return
    if compressed and row.get("compressionFormat") != "rle":
        errors.add(f"{where}.compressionFormat", f"{row.get('compressionFormat')!r} is not a format (rle).")
        return
    if not isinstance(indices, list) or not all(_integer(v) or isinstance(v, list) for v in indices):
        errors.add(f"{where}.pixel_indices", "Expected a list of pixel indices (integers).")
        return
    if size is None:
        errors.add(f"{where}.pixel_indices", f"A mask needs the image size: extra.{media} width and height.")
        return
    pixels = size[0] * size[1]
    if compressed:  # [start, length] runs: flat pairs or a list of pairs
        flat = [v for pair in indices for v in pair] if indices and isinstance(indices[0], list) else indices
        if len(flat) % 2 or not all(_integer(v) and v >= 0 for v in flat):
            errors.add(f"{where}.pixel_indices", "RLE runs are [start, length] pairs of integers >= 0.")
            return
        for k in range(0, len(flat), 2):
            if flat[k] + flat[k + 1] > pixels:
                message = f"Run {k // 2} ends outside the {size[0]}x{size[1]} image."
                errors.add(f"{where}.pixel_indices", message)
                return
        return
    if not all(_integer(v) for v in indices):
        errors.add(f"{where}.pixel_indices", "Expected a list of pixel indices (integers).")
    elif indices and (min(indices) < 0 or max(indices) >= pixels):
        errors.add(f"{where}.pixel_indices", f"Pixel indices must lie inside the {size[0]}x{size[1]} image.")


def _image_size(extra: Any) -> tuple[int, int] | None:
    if not isinstance(extra, dict):
        return None
    width: Any = extra.get("width")
    height: Any = extra.get("height")
    if _integer(width) and _integer(height) and width > 0 and height > 0:
        return width, height
    return None


def _check_extra(errors: _Errors, media: str, extra: Any) -> None:
    if not isinstance(extra, dict):
        errors.add(f"extra.{media}", f"Expected an object, but got {type(extra).__name__}.")
        return
    for name in ("width", "height"):
        if name in extra and extra[name] is not None and not (_integer(extra[name]) and extra[name] > 0):
            errors.add(f"extra.{media}.{name}", "Must be a positive integer (pixels).")


def _check_groups(errors: _Errors, media: str, groups: Any, ids: Mapping[str, int]) -> None:
    if not isinstance(groups, list):
        message = f"Expected a list of groups, but got {type(groups).__name__}."
        errors.add(f"annotationGroups.{media}", message)
        return
    owner: dict[str, str] = {}
    for index, group in enumerate(groups):
        where = f"annotationGroups.{media}.{index}"
        if not isinstance(group, dict):
            errors.add(where, f"Expected an object, but got {type(group).__name__}.")
            continue
        members = group.get("annotationIds")
        if not isinstance(members, list):
            errors.add(f"{where}.annotationIds", "Expected a list of annotation ids.")
            continue
        name = str(group.get("id", index))
        for member in members:
            if not isinstance(member, str) or member not in ids:
                errors.add(f"{where}.annotationIds", f"'{member}' is not an annotation of {media}.")
            elif member in owner:
                errors.add(f"{where}.annotationIds", f"'{member}' is already in group '{owner[member]}'.")
            else:
                owner[member] = name
