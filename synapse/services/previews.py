"""Renders of tasks: the primary file fetched once into the file cache, the annotations drawn on it.

What ``task.render()``, ``task.show()``, ``qs.render()`` and ``qs.show()`` call once they have read
the task's ``data``, its unit's ``files`` and the project's ``configuration``. The file comes
through :mod:`synapse.services.filecache` (cached by checksum, verified, the transport's origin
rules applied), the drawing from :mod:`synapse.render`. A task without a file, or without
annotations, is drawn with what it has and the gap written on the image (and warned about when
the file is missing).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from synapse.annotations import Document, LabelSchema
from synapse.services import filecache, unit_files

if TYPE_CHECKING:
    from PIL import Image as PILImage

    from synapse.transport import Transport

__all__ = [
    "MissingFileWarning",
    "TaskPicture",
    "in_notebook",
    "picture",
    "primary_file",
    "render_grid",
    "renders_dir",
    "show",
    "thumbnail_html",
]



class MissingFileWarning(UserWarning):
    """A task was drawn without its file (it has none, or none that is an image)."""


class TaskPicture(NamedTuple):
    """What a render of one task is drawn from (read by the resource layer).

    Attributes:
        task_id: The task's id (for messages and captions).
        data: The task's ``data`` (DM v1), or None.
        files: The unit's ``files`` (``{spec: {"url", "checksum", ...}}`` or the list form), or None.
        configuration: The project's ``configuration`` (colours, names, skeleton), or None.
    """

    task_id: Any
    data: Any
    files: Any
    configuration: Mapping[str, Any] | None


def primary_file(files: Any) -> tuple[str, Mapping[str, Any]] | None:
    """The ``(spec name, entry)`` of a unit's file to draw on: the primary image, else the first image.

    Args:
        files: A unit's ``files`` mapping, or the list ``sdk/tasks/files/`` answers.

    Returns:
        None when the unit has no image with a URL.
    """
    found = unit_files.images(files)
    return found[0] if found else None


def _media_for(document: Document, spec: str | None) -> str | None:
    if spec is not None and spec in document.media:
        return spec
    with_objects = [m for m in document.media_ids if document.media[m]]
    return with_objects[0] if with_objects else None


def picture(
    transport: Transport,
    item: TaskPicture,
    *,
    size: int | tuple[int, int] | None = 512,
    cache_dir: str | os.PathLike[str] | None = None,
    media_id: str | None = None,
    labels: bool = True,
) -> PILImage.Image:
    """Draw one task: fetch its primary file into the cache (once) and draw its annotations.

    Args:
        transport: what fetches the file (``client.transport``).
        item: the task's data, files and project configuration.
        size: the longest side of the result (or an exact ``(width, height)``; None: the file's size).
        cache_dir: the file cache (default ``$SYNAPSE_CACHE_DIR`` or ``~/.cache/synapse/files``).
        media_id: the media item of the annotation to draw (default: the file's spec name).
        labels: write class names.

    Returns:
        A ``PIL.Image`` (RGB); ``info["missing"]`` names what it lacks.

    Raises:
        ImportError: Pillow is not installed (the ``vision`` extra).
        ClientError, TransportError, UnsafeURLError: fetching the file failed.
    """
    from synapse.render import render, require_pillow

    require_pillow()
    document = Document.from_dm(item.data) if item.data else Document()
    chosen = primary_file(item.files)
    image_path: Path | None = None
    if chosen is None:
        warnings.warn(f"task {item.task_id} has no image file: drawing its annotations on a blank canvas",
                      MissingFileWarning, stacklevel=3)
        spec = None
    else:
        spec, entry = chosen
        image_path, _ = filecache.fetch(
            transport, str(entry["url"]), cache_dir or filecache.default_cache_dir(),
            checksum=entry.get("checksum") if isinstance(entry.get("checksum"), str) else None,
        )
    media = media_id or _media_for(document, spec)
    schema = LabelSchema.from_configuration(item.configuration) if item.configuration else None
    return render(image_path, document, schema, size, media_id=media, labels=labels)


def render_grid(
    transport: Transport,
    items: Sequence[TaskPicture],
    *,
    cols: int = 4,
    size: int = 256,
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 4,
) -> PILImage.Image:
    """Draw many tasks (files fetched in parallel, each once) and lay them out in a grid.

    A task whose file cannot be fetched becomes a tile that says why; the others are drawn.

    Args:
        transport: what fetches the files.
        items: the tasks, in grid order.
        cols: tiles per row.
        size: the longest side of each tile.
        cache_dir: the file cache.
        workers: parallel downloads.
    """
    from synapse.errors import SynapseError
    from synapse.render import grid, render

    def one(item: TaskPicture) -> PILImage.Image:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", MissingFileWarning)  # written on the tile instead
                return picture(transport, item, size=size, cache_dir=cache_dir)
        except SynapseError as exc:
            document = Document.from_dm(item.data) if item.data else Document()
            return render(None, document, item.configuration, size,
                          missing=[f"file unavailable ({type(exc).__name__})"])

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        tiles = list(pool.map(one, items))
    return grid(tiles, cols, size=size, captions=[f"task {item.task_id}" for item in items])


def in_notebook() -> bool:
    """True inside a Jupyter kernel (an IPython shell with a kernel), False in a plain REPL or script."""
    try:
        from IPython.core.getipython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def renders_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``show()`` saves PNGs outside a notebook: ``<file cache>/renders/``."""
    return Path(cache_dir or filecache.default_cache_dir()).expanduser() / "renders"


def show(image: PILImage.Image, name: str, *, cache_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Display ``image`` inline in Jupyter, or save it as a PNG and print and return its path.

    Args:
        image: the drawing.
        name: the file's stem outside a notebook (``task-12``).
        cache_dir: the file cache (the PNG goes under ``renders/`` in it).

    Returns:
        None in a notebook (the image is displayed), else the PNG's path.
    """
    if in_notebook():
        from IPython.display import display

        display(image)
        return None
    folder = renders_dir(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    tmp = path.with_name(f".{path.name}.part")
    image.save(tmp, format="PNG")
    os.replace(tmp, path)
    print(f"saved {path}")
    return path


def thumbnail_html(image: PILImage.Image, *, alt: str = "") -> str:
    """An ``<img>`` tag holding ``image`` as an inline PNG (for ``_repr_html_``)."""
    import base64
    import html
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img src='data:image/png;base64,{data}' alt='{html.escape(alt)}'/>"

