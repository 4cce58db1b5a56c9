"""Datasets for the format tests: images drawn with Pillow, generated objects, and object comparison."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st
from PIL import Image

import synapse.annotations as ann
from synapse import formats

W, H = 64, 48
CLASSES = ["car", "person", "road"]
POINT_NAMES = ["nose", "left_eye", "right_eye"]


def image(folder: Path, name: str, size: tuple[int, int] = (W, H), colour: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    Image.new("RGB", size, (colour % 256, 40, 90)).save(path)
    return path


def files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_dm(root: Path, items: Iterable[formats.Item]) -> formats.WriteReport:
    with formats.writer("dm", root) as writer:
        for item in items:
            writer.add(item)
    return writer.close()


# ---------------------------------------------------------------- generated objects

coord = st.floats(0, 1, allow_nan=False).map(lambda f: round(f, 4))
attrs = st.one_of(st.just({}), st.fixed_dictionaries({"occluded": st.sampled_from(["yes", "no"])}))
labels = st.sampled_from(CLASSES)


@st.composite
def boxes(draw: Any, rotated: bool | None = None) -> ann.BoundingBox:
    turn = draw(st.booleans()) if rotated is None else rotated
    w, h = (
        draw(st.floats(1, 10).map(lambda f: round(f, 3))),
        draw(st.floats(1, 10).map(lambda f: round(f, 3))),
    )
    cx, cy = 8 + draw(coord) * (W - 16), 8 + draw(coord) * (H - 16)
    return ann.BoundingBox(
        label=draw(labels),
        x=cx - w / 2,
        y=cy - h / 2,
        width=w,
        height=h,
        rotation=0.5 if turn else 0.0,
        attrs=draw(attrs),
    )


@st.composite
def polygons(draw: Any) -> ann.Polygon:
    n = draw(st.integers(3, 6))
    points = [(draw(coord) * W, draw(coord) * H) for _ in range(n)]
    return ann.Polygon(label=draw(labels), points=points, attrs=draw(attrs))


@st.composite
def masks(draw: Any) -> ann.Mask:
    x0, y0 = draw(st.integers(0, W - 10)), draw(st.integers(0, H - 10))
    cells = draw(st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), min_size=1, max_size=20))
    array = np.zeros((H, W), dtype=bool)
    for dx, dy in cells:
        array[y0 + dy, x0 + dx] = True
    return ann.Mask.from_array(
        array, label=draw(labels), encoding=draw(st.sampled_from(["raw_indices", "dm_rle"]))
    )


@st.composite
def pose(draw: Any, group: str, with_box: bool) -> list[ann.Annotation]:
    names = draw(st.lists(st.sampled_from(POINT_NAMES), min_size=1, max_size=3, unique=True))
    out: list[ann.Annotation] = [
        ann.Keypoint(
            label=n,
            x=8 + draw(coord) * 40,
            y=8 + draw(coord) * 30,
            visibility=draw(st.sampled_from([1, 2])),
            group=group,
        )
        for n in names
    ]
    if with_box:
        out.insert(0, draw(boxes(rotated=False)).replace(label="person", group=group, attrs={}))
    return out


OTHERS = [
    ann.Polyline(label="road", points=[(1, 1), (9, 4)]),
    ann.Classification(label="day"),
    ann.RawAnnotation(tool="3d_bounding_box", label="car", geometry={"psr": {}}),
]


@st.composite
def media_objects(
    draw: Any, kinds: Sequence[str] = ("box", "rotated", "polygon", "mask", "pose", "other")
) -> list[ann.Annotation]:
    objects: list[ann.Annotation] = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(list(kinds)))
        if kind == "box":
            objects.append(draw(boxes(rotated=False)))
        elif kind == "rotated":
            objects.append(draw(boxes(rotated=True)))
        elif kind == "polygon":
            objects.append(draw(polygons()))
        elif kind == "mask":
            objects.append(draw(masks()))
        elif kind == "pose":
            objects += draw(pose(f"g{len(objects)}", draw(st.booleans())))
        else:
            objects.append(draw(st.sampled_from(OTHERS)))
    ids = iter(range(1, 1000))
    return [o.replace(id=f"a{next(ids):03d}") for o in objects]


def dataset(root: Path, documents: Sequence[list[ann.Annotation]], splits: Sequence[str | None] = ()) -> Path:
    """A DM folder at ``root/dm``: one item per objects list, images ``img<i>.png``."""
    source = root / "src"
    items = []
    for i, objects in enumerate(documents):
        doc = ann.Document.from_objects(objects, size=(W, H))
        split = splits[i] if i < len(splits) else None
        items.append(
            formats.Item(
                stem=f"img{i}",
                document=doc,
                image=image(source, f"img{i}.png", colour=i),
                split=split,
                task_id=100 + i,
                unit_id=200 + i,
            )
        )
    write_dm(root / "dm", items)
    return root / "dm"


# ---------------------------------------------------------------- comparing


def signature(obj: ann.Annotation) -> tuple[str, str | None, list[float]]:
    """What a format keeps of an object: tool, class and geometry numbers."""
    if isinstance(obj, ann.BoundingBox):
        numbers = [obj.x, obj.y, obj.width, obj.height, obj.rotation]
    elif isinstance(obj, (ann.Polygon, ann.Polyline)):
        numbers = list(obj.flat()) if isinstance(obj, ann.Polygon) else [c for p in obj.points for c in p]
    elif isinstance(obj, ann.Keypoint):
        numbers = [obj.x, obj.y, obj.visibility]
    elif isinstance(obj, ann.Mask):
        numbers = [float(i) for i in sorted(set(obj.to_indices()))]
    else:
        numbers = []
    return (obj.tool, obj.label, numbers)


def _close(a: list[float], b: list[float], tol: float) -> bool:
    return len(a) == len(b) and all(math.isclose(x, y, abs_tol=tol) for x, y in zip(a, b, strict=True))


def assert_same_objects(expected: Iterable[Any], actual: Iterable[ann.Annotation], tol: float = 1e-6) -> None:
    """Every expected signature matches one actual object (and nothing is left over)."""
    left = [signature(o) for o in actual]
    for want in (e if isinstance(e, tuple) else signature(e) for e in expected):
        match = next((got for got in left if got[:2] == want[:2] and _close(got[2], want[2], tol)), None)
        assert match is not None, f"{want} not found in {left}"
        left.remove(match)
    assert not left, f"unexpected objects {left}"


def audit_keys(report: formats.WriteReport) -> list[tuple[Any, str | None, str, str]]:
    return sorted(((e.task, e.annotation_id, e.outcome, e.reason) for e in report.audit), key=repr)
