"""Checks a document against DM v1 rules and a label schema, as the platform does (ANNOTATIONS.md §1).

Each problem names a path like the platform's 400 answer: ``annotations.<media>.<index>.<field>``
for the meta row, ``annotationsData.<media>.<index>.<field>`` for geometry, where ``index`` is the
annotation's position in its media item.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen

from synapse.annotations.document import Document
from synapse.annotations.objects import (
    KNOWN_TOOLS,
    TYPED_TOOLS,
    Annotation,
    BoundingBox,
    Keypoint,
    Mask,
    Polygon,
    Polyline,
    RawAnnotation,
    Relation,
)
from synapse.annotations.schema import ClassSpec, LabelSchema

_CHOICES = ("select", "radio")


@frozen
class Problem:
    """One thing wrong with a document.

    Attributes:
        path: Where: ``annotations.image_1.2.classification``.
        message: What: ``'unicorn' is not a class of bounding_box``.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def validate(
    document: Document | Mapping[str, Any] | None, schema: LabelSchema | None = None
) -> list[Problem]:
    """Every problem the platform's ``dm_schema_v1`` validation would report (empty when none).

    Args:
        document: A :class:`Document` or a DM dict (v1 or v2).
        schema: The project's label schema; without it tools and classes are not checked
            against a configuration.
    """
    doc = document if isinstance(document, Document) else Document.from_dm(document)
    problems: list[Problem] = []
    origin = doc.origin
    groups = None
    if isinstance(origin, Mapping) and "annotationGroups" in origin:
        groups = doc.to_dm(1).get("annotationGroups")  # what would be sent: verbatim when unchanged
    for media_id, objects in doc.items():
        ids = {obj.id for obj in objects if obj.id is not None}
        seen: set[str] = set()
        for index, obj in enumerate(objects):
            meta = f"annotations.{media_id}.{index}"
            data = f"annotationsData.{media_id}.{index}"

            def report(path: str, message: str) -> None:
                problems.append(Problem(path, message))

            if obj.id is not None:
                if obj.id in seen:
                    report(f"{meta}.id", f"duplicate id {obj.id!r} in {media_id}")
                seen.add(obj.id)
            if obj.origin is not None and obj.origin.meta is None:
                report(f"{data}.id", f"geometry row {obj.id!r} has no meta row")
                continue
            if obj.origin is not None and obj.origin.data is None:
                report(f"{meta}.id", f"annotation {obj.id!r} has no geometry row")
            _check_tool(obj, schema, meta, report)
            _check_geometry(obj, doc.size(media_id), ids, media_id, data, report)
        _check_groups(groups, media_id, ids, problems)
    return problems


def problems_by_path(problems: Iterable[Problem]) -> dict[str, list[str]]:
    """The problems as the platform's 400 body: ``{path: [message, ...]}``."""
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(problem.path, []).append(problem.message)
    return out


def _check_tool(obj: Annotation, schema: LabelSchema | None, path: str, report: Any) -> None:
    tool = obj.tool
    if tool not in KNOWN_TOOLS:
        report(f"{path}.tool", f"unknown tool {tool!r}")
        return
    if schema is None:
        return
    spec = schema.tool(tool)
    if spec is None:
        if tool != "relation":  # relations link annotations; a project need not declare them
            report(f"{path}.tool", f"{tool!r} is not a tool of the project's configuration")
        return
    if obj.label is None:
        return
    found = spec.get(obj.label)
    if found is None:
        report(f"{path}.classification", f"{obj.label!r} is not a class of {tool}")
    else:
        _check_attributes(obj, found, f"{path}.classification", report)


def _check_attributes(obj: Annotation, spec: ClassSpec, path: str, report: Any) -> None:
    for name, value in obj.attrs.items():
        declared = spec.attribute(name)
        if declared is None or not declared.options:
            continue
        options = list(declared.options)
        if declared.type in _CHOICES and value not in options:
            report(path, f"{value!r} is not an option of {name} ({', '.join(map(str, options))})")
        elif declared.type == "multi_select":
            values = value if isinstance(value, list) else [value]
            for item in values:
                if item not in options:
                    report(path, f"{item!r} is not an option of {name} ({', '.join(map(str, options))})")


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _check_geometry(
    obj: Annotation, size: tuple[int, int] | None, ids: set[str], media_id: str, path: str, report: Any
) -> None:
    if isinstance(obj, BoundingBox):
        if not _finite(obj.x, obj.y, obj.width, obj.height, obj.rotation):
            report(f"{path}.coordinate", "coordinates must be finite numbers")
        elif obj.width < 0 or obj.height < 0:
            report(f"{path}.coordinate", "width and height must be >= 0")
    elif isinstance(obj, (Polygon, Polyline)):
        least = 3 if isinstance(obj, Polygon) else 2
        if len(obj.points) < least:
            report(f"{path}.coordinate", f"a {obj.tool} has at least {least} points, not {len(obj.points)}")
        if not _finite(*(c for p in obj.points for c in p)):
            report(f"{path}.coordinate", "coordinates must be finite numbers")
    elif isinstance(obj, Keypoint):
        if not _finite(obj.x, obj.y):
            report(f"{path}.coordinate", "coordinates must be finite numbers")
    elif isinstance(obj, Mask):
        _check_mask(obj, size, media_id, f"{path}.pixel_indices", report)
    elif isinstance(obj, Relation):
        for field_name, end in (("annotationId", obj.source), ("targetAnnotationId", obj.target)):
            if end not in ids:
                report(f"{path}.{field_name}", f"no annotation {end!r} in {media_id}")
    elif isinstance(obj, RawAnnotation) and obj.origin is not None and obj.origin.data is not None:
        malformed = obj.tool in TYPED_TOOLS and obj.tool != "segmentation"
        if obj.tool == "segmentation" and "section" not in obj.geometry:
            malformed = True
        if malformed:
            report(path, f"the geometry row has not the shape of a {obj.tool}")


def _check_mask(mask: Mask, size: tuple[int, int] | None, media_id: str, path: str, report: Any) -> None:
    if mask.encoding == "dm_rle" and (len(mask.indices) % 2 or any(n < 0 for n in mask.indices[1::2])):
        report(path, "runs are [start, length, ...] pairs with lengths >= 0")
        return
    indices = mask.to_indices()
    if size is None:
        report(path, f"a mask needs the width and height of {media_id} in extra")
    elif any(i < 0 or i >= size[0] * size[1] for i in indices):
        report(path, f"mask indices lie outside the {size[0]}x{size[1]} image")


def _check_groups(rows: Any, media_id: str, ids: set[str], problems: list[Problem]) -> None:
    if not isinstance(rows, Mapping) or not isinstance(rows.get(media_id), list):
        return
    owner: dict[str, str] = {}
    for g, group in enumerate(rows[media_id]):
        path = f"annotationGroups.{media_id}.{g}.annotationIds"
        for member in group.get("annotationIds") or ():
            member = str(member)
            if member not in ids:
                problems.append(Problem(path, f"no annotation {member!r} in {media_id}"))
            elif member in owner:
                problems.append(Problem(path, f"{member!r} is already in group {owner[member]!r}"))
            else:
                owner[member] = str(group.get("id"))
