from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import synapse.annotations as ann


def _close(points: tuple[tuple[float, float], ...], expected: list[tuple[float, float]]) -> bool:
    pairs = zip(points, expected, strict=True)
    return all(math.isclose(a, b, abs_tol=1e-9) for p, q in pairs for a, b in zip(p, q, strict=True))


def test_an_upright_box_has_its_corners_clockwise_from_top_left() -> None:
    box = ann.BoundingBox(label="car", x=10, y=20, width=30, height=40)
    assert not box.is_rotated
    assert box.corners() == ((10, 20), (40, 20), (40, 60), (10, 60))
    assert box.bounds() == (10, 20, 40, 60) and box.area() == 1200 and box.center() == (25, 40)


def test_a_quarter_turn_is_clockwise_about_the_centre_in_image_coordinates() -> None:
    box = ann.BoundingBox(x=0, y=0, width=4, height=2, rotation=math.pi / 2)
    assert box.is_rotated
    # centre (2, 1); with y down, clockwise takes the top-left corner to the top-right
    assert _close(box.corners(), [(3, -1), (3, 3), (1, 3), (1, -1)])
    assert _close((box.bounds()[:2], box.bounds()[2:]), [(1, -1), (3, 3)])


def test_a_full_turn_is_not_a_rotation() -> None:
    assert not ann.BoundingBox(x=0, y=0, width=1, height=1, rotation=2 * math.pi).is_rotated


@given(st.floats(-10, 10), st.floats(1, 50), st.floats(1, 50))
def test_rotation_keeps_the_centre_and_the_side_lengths(rotation: float, w: float, h: float) -> None:
    box = ann.BoundingBox(x=5, y=7, width=w, height=h, rotation=rotation)
    tl, tr, br, _ = box.corners()
    assert math.isclose(math.dist(tl, tr), w) and math.isclose(math.dist(tr, br), h)
    centre = ((tl[0] + br[0]) / 2, (tl[1] + br[1]) / 2)
    assert math.isclose(centre[0], box.center()[0]) and math.isclose(centre[1], box.center()[1])


def test_polygon_area_is_the_shoelace_area_whatever_the_winding() -> None:
    square = ann.Polygon(label="road", points=[(0, 0), (4, 0), (4, 3), (0, 3)])
    assert square.area() == 12 and ann.Polygon(points=square.points[::-1]).area() == 12
    assert ann.Polygon(points=[(0, 200), (320, 200), (320, 240)]).area() == 6400
    assert square.bounds() == (0, 0, 4, 3) and square.flat() == [0, 0, 4, 0, 4, 3, 0, 3]


def test_polyline_and_keypoint_geometry() -> None:
    line = ann.Polyline(points=[[0, 0], [3, 4], [3, 10]])
    assert line.points == ((0, 0), (3, 4), (3, 10)) and line.length() == 11 and line.bounds() == (0, 0, 3, 10)
    assert ann.Keypoint(label="nose", x=3, y=4).bounds() == (3, 4, 3, 4)


@pytest.mark.parametrize(("given_", "number"), [("missing", 0), ("occluded", 1), ("visible", 2), (1, 1)])
def test_keypoint_visibility_takes_names_or_numbers(given_: int | str, number: int) -> None:
    assert ann.Keypoint(x=0, y=0, visibility=given_).visibility == number


def test_bad_values_are_refused_when_building() -> None:
    with pytest.raises(ValueError):
        ann.Keypoint(x=0, y=0, visibility=3)
    with pytest.raises(TypeError):
        ann.BoundingBox(x="1", y=0, width=1, height=1)
    with pytest.raises(ValueError):
        ann.Mask(indices=[1], encoding="coco")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ann.Polygon(points=[(1, 2, 3)])


def test_mask_runs_and_indices_convert_both_ways() -> None:
    mask = ann.Mask(label="sky", indices=[7, 1, 2, 3, 8, 2], width=4, height=3)
    rle = mask.encoded("dm_rle")
    assert rle.indices == (1, 3, 7, 2) and rle.encoding == "dm_rle"
    assert rle.to_indices() == (1, 2, 3, 7, 8)
    assert rle.encoded("raw_indices").indices == (1, 2, 3, 7, 8)
    assert mask.area() == rle.area() == 5
    assert mask.bounds() == (0, 0, 4, 3) and rle.bbox() == (0, 0, 4, 3)
    assert ann.Mask(indices=[5, 6], width=4).bbox() == (1, 1, 2, 1)


@given(st.sets(st.integers(0, 199)))
def test_runs_expand_to_the_sorted_indices(indices: set[int]) -> None:
    rle = ann.Mask(indices=list(indices)).encoded("dm_rle")
    assert rle.to_indices() == tuple(sorted(indices))
    assert all(length > 0 for length in rle.indices[1::2])


def test_mask_arrays() -> None:
    array = np.zeros((3, 4), dtype=bool)
    array[1, 2] = array[2, 0] = True
    mask = ann.Mask.from_array(array, label="sky", encoding="dm_rle")
    assert (mask.width, mask.height, mask.indices, mask.label) == (4, 3, (6, 1, 8, 1), "sky")
    assert (mask.to_array() == array).all()
    with pytest.raises(ValueError, match="width"):
        ann.Mask(indices=[1]).bbox()
    with pytest.raises(ValueError, match="outside"):
        ann.Mask(indices=[12], width=4, height=3).to_array()


def test_objects_are_values() -> None:
    a = ann.BoundingBox(label="car", x=1, y=2, width=3, height=4, attrs={"occluded": "no"})
    b = ann.BoundingBox(label="car", x=1, y=2, width=3, height=4, attrs={"occluded": "no"})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a.replace(label="truck") != a and a.replace(label="truck").label == "truck"
    assert a.tool == "bounding_box" and ann.Mask(indices=[]).tool == "segmentation"
    clip = ann.RawAnnotation(tool="time_range", geometry={"section": {"start": 0, "end": 1}})
    assert clip.tool == "time_range"
    with pytest.raises(AttributeError):
        a.x = 5  # type: ignore[misc]
