"""Pixel tests of ``synapse.render``: shapes land where their geometry says, in their class colour."""

from __future__ import annotations

import math
import sys
import zlib

import pytest

from synapse.annotations import BoundingBox, Document, Keypoint, LabelSchema, Mask, Polygon, Polyline

Image = pytest.importorskip("PIL.Image", reason="Pillow is the vision extra")

from synapse.render import PALETTE, color_of, grid, render, require_pillow  # noqa: E402

RED = (230, 25, 75)  # "#e6194b"
BLUE = (67, 99, 216)  # "#4363d8"
WHITE = (255, 255, 255)
SCHEMA = LabelSchema.from_configuration({
    "classification": {
        "bounding_box": {"classification_schema": [{"code": "car", "name": "Car", "color": "#e6194b"}]},
        "polygon": {"classification_schema": [{"code": "road", "color": "#4363d8"}]},
        "keypoint": {"classification_schema": [{"code": "head", "color": "#e6194b"}, {"code": "neck"}],
                     "skeleton": [["head", "neck"]]},
    }
})


def white(width: int = 320, height: int = 240) -> Image.Image:
    return Image.new("RGB", (width, height), WHITE)


def near(img: Image.Image, x: float, y: float, color: tuple[int, int, int], radius: int = 2) -> bool:
    """Whether ``color`` is at some pixel within ``radius`` of ``(x, y)``."""
    cx, cy = round(x), round(y)
    return any(
        img.getpixel((px, py)) == color
        for px in range(cx - radius, cx + radius + 1)
        for py in range(cy - radius, cy + radius + 1)
        if 0 <= px < img.size[0] and 0 <= py < img.size[1]
    )


def test_a_box_puts_its_class_colour_on_its_edges_and_not_inside() -> None:
    box = BoundingBox(label="car", x=100, y=60, width=80, height=50)
    img = render(white(), [box], SCHEMA)
    for edge in [(100, 85), (179, 85), (140, 60), (140, 109), (100, 60), (179, 109)]:
        assert img.getpixel(edge) == RED, edge
    for inside in [(140, 85), (105, 65), (174, 104), (110, 100)]:
        assert img.getpixel(inside) == WHITE, inside
    for outside in [(98, 85), (182, 85), (140, 112)]:
        assert img.getpixel(outside) == WHITE, outside
    assert img.size == (320, 240) and img.mode == "RGB"


def test_the_class_name_is_written_above_the_box_not_inside() -> None:
    box = BoundingBox(label="car", x=100, y=60, width=80, height=50)
    with_label = render(white(), [box], SCHEMA)
    without = render(white(), [box], SCHEMA, labels=False)
    above = [(x, y) for x in range(100, 180) for y in range(40, 60)]
    assert any(with_label.getpixel(p) != WHITE for p in above)
    assert all(without.getpixel(p) == WHITE for p in above)
    inside = [(x, y) for x in range(103, 177) for y in range(63, 107)]
    assert all(with_label.getpixel(p) == WHITE for p in inside)


def test_a_polygon_fill_lands_inside_it_translucent_and_its_outline_is_opaque() -> None:
    road = Polygon(label="road", points=[(50, 200), (150, 100), (250, 200)])
    img = render(white(), [road], SCHEMA, labels=False)
    fill = img.getpixel((150, 170))
    assert fill != WHITE and fill != BLUE
    assert all(abs(f - (w * (1 - a) + b * a)) <= 2
               for f, w, b, a in zip(fill, WHITE, BLUE, [96 / 255] * 3, strict=True))
    assert img.getpixel((40, 150)) == WHITE and img.getpixel((150, 90)) == WHITE  # outside
    assert near(img, 150, 200, BLUE, radius=1)  # the base edge
    assert near(img, 100, 150, BLUE, radius=1)  # the left edge


def test_a_rotated_box_has_its_corners_where_the_geometry_says() -> None:
    box = BoundingBox(label="car", x=110, y=90, width=100, height=40, rotation=math.pi / 6)
    img = render(white(), [box], SCHEMA, labels=False)
    for x, y in box.corners():
        assert near(img, x, y, RED), (x, y)
    cx, cy = box.center()
    assert img.getpixel((round(cx), round(cy))) == WHITE
    assert not near(img, 210, 90, RED)  # where the unrotated top-right corner would be
    (tl, tr, _, _) = box.corners()
    assert tr[1] > tl[1]  # clockwise on screen: the right end of the top edge goes down
    mid_top = ((tl[0] + tr[0]) / 2, (tl[1] + tr[1]) / 2)
    assert near(img, *mid_top, RED, radius=1)


def test_keypoints_are_joined_by_the_configured_skeleton_within_their_group() -> None:
    points = [
        Keypoint(label="head", x=60, y=40, group="g1"),
        Keypoint(label="neck", x=60, y=100, group="g1"),
        Keypoint(label="head", x=200, y=40, group="g2"),
        Keypoint(label="neck", x=260, y=100, group="g3"),  # another person: not joined to g2's head
    ]
    img = render(white(), points, SCHEMA, labels=False)
    assert img.getpixel((60, 70)) == RED  # the edge head -> neck of g1, in the head's colour
    assert img.getpixel((60, 40)) == RED and img.getpixel((200, 40)) == RED
    assert img.getpixel((230, 70)) == WHITE


def test_a_missing_keypoint_is_not_drawn_and_an_occluded_one_is_a_ring() -> None:
    points = [Keypoint(label="head", x=60, y=40, visibility=0),
              Keypoint(label="head", x=150, y=40, visibility=1)]
    img = render(white(), points, SCHEMA, labels=False)
    assert not near(img, 60, 40, RED)
    assert near(img, 150, 40, RED, radius=3) and img.getpixel((150, 40)) == WHITE


def test_a_mask_is_a_translucent_fill_of_its_pixels() -> None:
    indices = [y * 320 + x for y in range(50, 60) for x in range(70, 90)]
    mask = Mask(label="car", indices=indices, width=320, height=240)
    img = render(white(), [mask], SCHEMA, labels=False)
    inside = img.getpixel((80, 55))
    assert inside != WHITE and inside[0] > inside[1]  # tinted red
    assert img.getpixel((69, 55)) == WHITE and img.getpixel((80, 60)) == WHITE


def test_a_polyline_is_an_open_line() -> None:
    line = Polyline(label="lane", points=[(20, 20), (120, 20), (120, 120)])
    img = render(white(), [line], None, labels=False)
    colour = color_of("lane")
    assert img.getpixel((70, 20)) == colour and img.getpixel((120, 70)) == colour
    assert img.getpixel((70, 70)) == WHITE  # not closed: no edge back from (120, 120) to (20, 20)


def test_size_scales_the_coordinates_with_the_image() -> None:
    box = BoundingBox(label="car", x=100, y=60, width=80, height=50)
    img = render(white(), [box], SCHEMA, size=640, labels=False)
    assert img.size == (640, 480)
    assert img.getpixel((200, 170)) == RED and img.getpixel((280, 120)) == RED
    assert img.getpixel((280, 170)) == WHITE
    assert render(white(), [box], SCHEMA, size=(100, 50)).size == (100, 50)


def test_colours_come_from_the_schema_else_from_a_stable_palette() -> None:
    assert color_of("car", SCHEMA) == RED
    expected = Image.new("RGB", (1, 1), PALETTE[zlib.crc32(b"forklift") % len(PALETTE)]).getpixel((0, 0))
    assert color_of("forklift") == expected == color_of("forklift", SCHEMA)


def test_a_document_or_a_dm_dict_is_drawn_from_its_media_item() -> None:
    box = BoundingBox(id="b1", label="car", x=100, y=60, width=80, height=50)
    document = Document.from_objects([box], media="image", size=(320, 240))
    from_doc = render(white(), document, SCHEMA, labels=False)
    from_dict = render(white(), document.to_dm(1), SCHEMA, labels=False)
    assert from_doc.tobytes() == from_dict.tobytes()
    assert from_doc.getpixel((100, 85)) == RED


def test_what_is_missing_is_written_and_listed() -> None:
    blank = render(None, None)
    assert blank.info["missing"] == ["image", "annotations"]
    assert blank.size == (320, 240)
    corner = [blank.getpixel((x, y)) for x in range(0, 60) for y in range(215, 240)]
    assert (0, 0, 0) in corner and any(min(p) > 200 for p in corner)  # white text on a black banner
    box = BoundingBox(label="car", x=10, y=10, width=50, height=30)
    sized = render(None, Document.from_objects([box], size=(400, 300)), SCHEMA, labels=False)
    assert sized.size == (400, 300) and sized.info["missing"] == ["image"]
    assert sized.getpixel((10, 20)) == RED


def test_grid_lays_images_out_in_rows() -> None:
    tiles = [white(100, 50) for _ in range(5)]
    sheet = grid(tiles, cols=2, pad=4)
    assert sheet.size == (4 + 2 * 104, 4 + 3 * 54)
    assert grid([], 3).size == (9, 9)  # one empty 1x1 cell and its padding
    with pytest.raises(ValueError, match="cols"):
        grid(tiles, cols=0)


def test_a_missing_pillow_names_the_vision_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"synapse-orm\[vision\]"):
        require_pillow()
