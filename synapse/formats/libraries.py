"""The optional libraries formats use, imported on first use, with an error naming the extra to install.

Pillow reads image sizes and writes mask PNGs, numpy holds masks, pycocotools encodes COCO RLE (never
re-implemented here) and PyYAML reads ``data.yaml``. pycocotools and PyYAML ship no type information,
so they are reached through :func:`importlib.import_module` and wrapped in typed functions here.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

EXTRAS: dict[str, str] = {
    "PIL": "vision",
    "numpy": "vision",
    "pycocotools": "coco",
    "yaml": "formats",
}
"""Top-level module -> the ``synapse-orm`` extra that installs it."""


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise an ImportError saying which extra to install.

    Args:
        module: The dotted module name (``pycocotools.mask``).
        purpose: What it is needed for, for the message.

    Raises:
        ImportError: The library is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = EXTRAS.get(module.split(".")[0], "formats")
        raise ImportError(
            f"synapse.formats needs {module.split('.')[0]} for {purpose}: pip install 'synapse-orm[{extra}]'"
        ) from exc


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, read from its header by Pillow."""
    image_module = require("PIL.Image", "image sizes")
    with image_module.open(path) as image:
        width, height = image.size
    return (int(width), int(height))


def numpy() -> Any:
    """The numpy module."""
    return require("numpy", "masks")


def rle_encode(mask: npt.NDArray[np.bool_]) -> dict[str, Any]:
    """The COCO RLE (``{"size": [h, w], "counts": str}``) of a boolean ``(h, w)`` array."""
    np_ = numpy()
    coco_mask = require("pycocotools.mask", "COCO RLE masks")
    rle = cast(dict[str, Any], coco_mask.encode(np_.asfortranarray(mask.astype(np_.uint8))))
    counts = rle["counts"]
    return {"size": [int(v) for v in rle["size"]], "counts": counts.decode("ascii")}


def rle_decode(segmentation: dict[str, Any], height: int, width: int) -> npt.NDArray[np.bool_]:
    """The boolean ``(h, w)`` array of a COCO RLE, compressed (``counts`` a string) or not (a list)."""
    np_ = numpy()
    coco_mask = require("pycocotools.mask", "COCO RLE masks")
    rle = dict(segmentation)
    if isinstance(rle.get("counts"), list):
        rle = coco_mask.frPyObjects(rle, height, width)
    elif isinstance(rle.get("counts"), str):
        rle["counts"] = rle["counts"].encode("ascii")
    return cast("npt.NDArray[np.bool_]", np_.asarray(coco_mask.decode(rle), dtype=bool))


def rle_area(segmentation: dict[str, Any]) -> int:
    """The pixel count of a compressed COCO RLE (as :func:`rle_encode` gives)."""
    coco_mask = require("pycocotools.mask", "COCO RLE masks")
    rle = {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
    return int(coco_mask.area(rle))


def rle_bbox(segmentation: dict[str, Any]) -> list[float]:
    """``[x, y, w, h]`` of a compressed COCO RLE."""
    coco_mask = require("pycocotools.mask", "COCO RLE masks")
    rle = {"size": segmentation["size"], "counts": segmentation["counts"].encode("ascii")}
    return [float(v) for v in coco_mask.toBbox(rle)]


def yaml_load(text: str) -> Any:
    """Parse YAML text with PyYAML's ``safe_load``."""
    return require("yaml", "data.yaml").safe_load(text)


def save_png(array: npt.NDArray[Any], path: Path, palette: list[int] | None = None) -> None:
    """Write a 2-D uint8 array as a PNG (palette mode when ``palette`` is given), byte-stable."""
    image_module = require("PIL.Image", "mask PNGs")
    image = image_module.fromarray(array.astype(numpy().uint8), mode="L")
    if palette is not None:
        image = image.convert("P")
        image.putpalette(palette)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=False)


def load_png(path: Path) -> npt.NDArray[Any]:
    """A PNG's pixel values (palette indices for a palette image) as a 2-D array."""
    image_module = require("PIL.Image", "mask PNGs")
    with image_module.open(path) as image:
        if image.mode not in ("P", "L"):
            image = image.convert("L")
        return cast("npt.NDArray[Any]", numpy().asarray(image))
