"""Hypothesis strategies for DM v1 documents and typed objects."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

import synapse.annotations as ann

codes = st.sampled_from(["car", "person", "road", "nose", "left_eye", "truck"])
coords = st.one_of(st.integers(-50, 5000), st.floats(-50, 5000, allow_nan=False).map(lambda f: round(f, 3)))
sizes = st.one_of(st.integers(0, 500), st.floats(0, 500, allow_nan=False))
ids = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=10, max_size=10)
attr_names = st.sampled_from(["occluded", "loaded", "colour", "note"])
attr_values = st.one_of(st.booleans(), st.sampled_from(["yes", "no"]), st.integers(0, 9))
unknown = st.dictionaries(st.sampled_from(["zIndex", "createdBy", "_meta"]), st.integers(0, 9), max_size=2)


@st.composite
def classifications(draw: Any, tool: str) -> Any:
    kind = draw(st.sampled_from(["class", "class", "class", "null", "empty", "no_class"]))
    if kind == "null":
        return None
    attrs = draw(st.dictionaries(attr_names, attr_values, max_size=2))
    if tool == "keypoint" and draw(st.booleans()):
        attrs["visibility"] = draw(st.sampled_from(["missing", "occluded", "visible", 0, 1, 2]))
    if kind == "empty":
        return {}
    if kind == "no_class":
        return attrs
    return {"class": draw(codes), **attrs}


@st.composite
def geometry(draw: Any, tool: str, others: list[str]) -> dict[str, Any]:
    if tool == "bounding_box":
        c = {"x": draw(coords), "y": draw(coords), "width": draw(sizes), "height": draw(sizes)}
        if draw(st.booleans()):
            c["rotation"] = draw(st.sampled_from([0.0, 0.5, -1.2, 3.0]))
        return {"coordinate": c}
    if tool in ("polygon", "polyline"):
        n = draw(st.integers(3 if tool == "polygon" else 2, 6))
        return {"coordinate": [{"x": draw(coords), "y": draw(coords), "id": draw(ids)} for _ in range(n)]}
    if tool == "keypoint":
        return {"coordinate": {"x": draw(coords), "y": draw(coords)}}
    if tool == "segmentation":
        if draw(st.booleans()):
            runs = [v for _ in range(draw(st.integers(0, 3))) for v in (draw(st.integers(0, 99)), 1)]
            return {"pixel_indices": runs, "isCompressed": True, "compressionFormat": "rle"}
        row: dict[str, Any] = {"pixel_indices": draw(st.lists(st.integers(0, 99), max_size=6))}
        if draw(st.booleans()):
            row["isCompressed"] = False
        return row
    if tool == "classification":
        return {}
    if tool == "relation":
        ends = st.sampled_from(others)
        return {"annotationId": draw(ends), "targetAnnotationId": draw(ends)}
    if tool == "3d_bounding_box":
        return {"psr": {"position": {"x": 1, "y": 2, "z": 3}, "scale": {"x": 1, "y": 1, "z": 1},
                        "rotation": {"x": 0, "y": 0, "z": draw(coords)}}}
    if tool == "named_entity":
        end = draw(st.integers(1, 9))
        return {"ranges": [{"start": 0, "end": end}], "content": draw(st.text(max_size=5))}
    return {"section": {"start": 0, "end": draw(st.integers(1, 99))}}


TOOLS = ["bounding_box", "polygon", "polyline", "keypoint", "segmentation", "classification", "relation",
         "3d_bounding_box", "named_entity", "time_range"]


@st.composite
def annotation_rows(draw: Any, tool: str, ident: str, others: list[str]) -> tuple[dict[str, Any], ...]:
    meta: dict[str, Any] = {"id": ident, "tool": tool}
    for flag in ("isLocked", "isVisible", "isValid", "isDrawCompleted"):
        if draw(st.booleans()):
            meta[flag] = draw(st.booleans())
    meta["classification"] = draw(classifications(tool))
    if draw(st.booleans()):
        meta["label"] = draw(st.lists(codes, max_size=2))
    meta.update(draw(unknown))
    data = {"id": ident, **draw(geometry(tool, others)), **draw(unknown)}
    return meta, data


@st.composite
def v1_documents(draw: Any, tools: list[str] | None = None) -> dict[str, Any]:
    media_ids = draw(st.lists(st.sampled_from(["image_1", "image_2", "image_10", "pcd_1"]), min_size=1,
                              max_size=3, unique=True))
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["assignmentId"] = draw(st.integers(1, 10_000))
    annotations: dict[str, Any] = {}
    data: dict[str, Any] = {}
    groups: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for media_id in media_ids:
        names = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
        rows = [draw(annotation_rows(draw(st.sampled_from(tools or TOOLS)), name, names)) for name in names]
        annotations[media_id] = [meta for meta, _ in rows]
        data[media_id] = draw(st.permutations([geo for _, geo in rows]))
        members = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
        groups[media_id] = [{"id": "Gr" + m[:8], "annotationIds": [m]} for m in members]
        extra[media_id] = {"width": 100, "height": 100}
    doc.update(annotations=annotations, annotationsData=data)
    if draw(st.booleans()):
        doc["annotationGroups"] = groups
    if draw(st.booleans()):
        doc["extra"] = extra
    if draw(st.booleans()):
        doc["relations"] = {m: [] for m in media_ids}
    if draw(st.booleans()):
        doc["reviewState"] = {"round": draw(st.integers(0, 3))}
    return doc


def points(min_size: int) -> st.SearchStrategy[list[tuple[Any, Any]]]:
    return st.lists(st.tuples(coords, coords), min_size=min_size, max_size=6)


common = {
    "id": st.one_of(st.none(), ids),
    "label": st.one_of(st.none(), codes),
    "attrs": st.dictionaries(attr_names, attr_values, max_size=2),
}

objects = st.one_of(
    st.builds(ann.BoundingBox, x=coords, y=coords, width=sizes, height=sizes,
              rotation=st.sampled_from([0.0, 0.25, -2.0]), **common),
    st.builds(ann.Polygon, points=points(3), **common),
    st.builds(ann.Polyline, points=points(2), **common),
    st.builds(ann.Keypoint, x=coords, y=coords, visibility=st.integers(0, 2), **common),
    st.builds(ann.Mask, indices=st.lists(st.integers(0, 99), max_size=5), width=st.just(10),
              height=st.just(10), **common),
    st.builds(ann.Classification, **common),
    st.builds(ann.RawAnnotation, tool=st.sampled_from(["3d_segmentation", "time_range"]),
              geometry=st.fixed_dictionaries({"points": st.lists(st.integers(0, 9), max_size=3)}), **common),
)
