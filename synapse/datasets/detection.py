"""``DetectionDataset``: a map-style dataset of images and their boxes, served from a local cache.

Two steps. ``download()`` talks to the server: it lists the source's items (tasks with their
units, or a ground-truth version's events), writes a manifest (items, labels) and fetches every
file not yet in the cache, in parallel, verified against its checksum, each written atomically.
After that the dataset needs no server: ``ds[i]`` reads the manifest and one cached file, so the
dataset pickles without its client (and no credential travels with it) and works in worker
processes, such as those of a ``DataLoader``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from synapse.annotations import LabelMap, LabelSchema
from synapse.datasets._items import DETECTION_TOOLS, Listing, list_events, list_tasks, schema_of
from synapse.errors import NotDownloaded
from synapse.services import filecache
from synapse.services.progress import as_reporter

if TYPE_CHECKING:
    from synapse.transport import Transport

__all__ = ["DEFAULT_CACHE", "DetectionDataset", "DownloadReport", "NotDownloadedError"]

#: Where datasets cache their files and manifests unless told otherwise.
DEFAULT_CACHE = "~/.cache/synapse/ds"
MANIFEST = "manifest.json"
_FORMAT = "synapse-detection-dataset"
_FORMAT_VERSION = 1

Transform = Callable[[Any, dict[str, Any]], tuple[Any, dict[str, Any]]]


#: The name this module first gave the error (kept): it is ``synapse.errors.NotDownloaded``.
NotDownloadedError = NotDownloaded


class DownloadReport(NamedTuple):
    """What one ``download()`` did.

    Attributes:
        items: Items in the dataset.
        files: Distinct files they use.
        downloaded: Files fetched by this call.
        skipped: Files already in the cache (not fetched again).
        left_out: ``{reason: count}`` of source rows that gave no item (no annotation, no image file).
    """

    items: int
    files: int
    downloaded: int
    skipped: int
    left_out: dict[str, int]


def _source_kind(source: Any) -> str:
    from synapse.orm.queryset import QuerySet
    from synapse.resources.ml import GroundTruthEvent, GroundTruthVersion
    from synapse.resources.tasks import Task

    if isinstance(source, GroundTruthVersion):
        return "ground_truth_version"
    if isinstance(source, QuerySet) and source._model is Task:
        return "tasks"
    if isinstance(source, QuerySet) and source._model is GroundTruthEvent:
        return "ground_truth_events"
    raise TypeError(
        "a DetectionDataset reads a task QuerySet (project.tasks.filter(...)), a ground-truth version "
        f"(client.ground_truth_versions.get(id)) or its events, not {type(source).__name__}"
    )


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class DetectionDataset:
    """Images with boxes and integer labels, for a training loop (map-style: ``len`` and ``ds[i]``).

    ``image, target = ds[i]`` gives a ``PIL.Image`` (RGB) and::

        {"boxes": [[x1, y1, x2, y2], ...],   # floats, pixels
         "labels": [int, ...],               # ids by ds.labels (ANNOTATIONS.md §4 order)
         "masks": uint8 array (N, H, W),     # only with masks=True (numpy)
         "keypoints": [[[x, y, v] * K] * N], # when the label schema declares keypoints
         "task_id": int | None, "ground_truth_id": int | None, "category": str | None,
         "file": "/path/of/the/cached/file"}

    Detections are bounding boxes (a rotated one as the box around its corners), polygons and
    masks (each as its bounding box); keypoints belong to the detection of their group.

    Args:
        source: A task QuerySet (``project.tasks.filter(status_label="completed")``), a
            ground-truth version (``client.ground_truth_versions.get(1)``), or a QuerySet of its events.
        cache_dir: The folder for files (``files/``, shared by datasets) and manifests.
        labels: The class order (a list of codes or a ``LabelMap``); default: the project's label
            schema, then classes seen in the data, sorted.
        transform: ``transform(image, target) -> (image, target)``, applied by ``ds[i]``.
        masks: Also give ``target["masks"]`` (needs numpy).
        category: For a ground-truth source: only ``train``, ``validation`` or ``test`` events.
        schema: The label schema (or a project ``configuration``) when the source has no project:
            class order and keypoint names.

    Raises:
        TypeError: ``source`` is not one of those.
    """

    def __init__(
        self,
        source: Any,
        cache_dir: str | os.PathLike[str] = DEFAULT_CACHE,
        labels: Iterable[str] | LabelMap | None = None,
        transform: Transform | None = None,
        masks: bool = False,
        *,
        category: str | None = None,
        schema: LabelSchema | Mapping[str, Any] | None = None,
    ) -> None:
        self._kind = _source_kind(source) if source is not None else "cache"
        self._source = source
        self.cache_dir = Path(cache_dir).expanduser().resolve()
        self.transform = transform
        self.masks = masks
        self.category = category
        self._labels_arg: list[str] | None = None
        if labels is not None:
            names = labels.names if isinstance(labels, LabelMap) else labels
            self._labels_arg = [str(c) for c in names]
        self._schema = schema if isinstance(schema, LabelSchema) else schema_of(schema)
        self._manifest: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self.key = self._key() if source is not None else ""
        if source is not None:
            self._load(self.cache_dir / self.key / MANIFEST, quiet=True)

    # ------------------------------------------------------------ where things live
    @property
    def files_dir(self) -> Path:
        """The folder of the cached files (``<cache_dir>/files``)."""
        return self.cache_dir / "files"

    @property
    def manifest_path(self) -> Path:
        """The manifest of this dataset (``<cache_dir>/<key>/manifest.json``)."""
        return self.cache_dir / self.key / MANIFEST

    def _key(self) -> str:
        source = self._source
        client = source._require_client()
        origin = _digest(client.transport.base_url)[:8]
        if self._kind == "ground_truth_version":
            suffix = f"-{self.category}" if self.category else ""
            return f"gt-version-{source.id}{suffix}-{origin}"
        query = _digest(source._list_path(), source._query(), self.category)
        return f"{self._kind.replace('_', '-')}-{query}-{origin}"

    @classmethod
    def from_cache(
        cls,
        path: str | os.PathLike[str],
        transform: Transform | None = None,
        masks: bool = False,
    ) -> DetectionDataset:
        """Open a downloaded dataset from its manifest (a file or its folder): no server, no client.

        Raises:
            NotDownloadedError: there is no manifest there.
        """
        manifest = Path(path).expanduser().resolve()
        if manifest.is_dir():
            manifest = manifest / MANIFEST
        ds = cls(None, manifest.parent.parent, transform=transform, masks=masks)
        ds.key = manifest.parent.name
        ds._load(manifest, quiet=False)
        return ds

    def _load(self, path: Path, *, quiet: bool) -> None:
        try:
            with open(path, encoding="utf-8") as handle:
                manifest = json.load(handle)
        except FileNotFoundError:
            if quiet:
                return
            raise NotDownloadedError(f"no dataset manifest at {path}: build the dataset from its source and "
                                     "run ds.download()") from None
        if manifest.get("format") != _FORMAT or manifest.get("version") != _FORMAT_VERSION:
            raise ValueError(f"{path} is not a manifest this version of synapse reads")
        if self._labels_arg is not None and manifest["labels"] != self._labels_arg:
            return  # downloaded with another class order: download() rewrites it
        self._manifest = manifest

    # ------------------------------------------------------------ downloading
    def _transport(self) -> Transport:
        if self._source is None:
            raise NotDownloadedError(
                "this dataset has no source (it was unpickled or opened from the cache): it serves what is "
                "cached; build DetectionDataset(source, ...) to download"
            )
        transport: Transport = self._source._require_client().transport
        return transport

    def _configuration(self) -> Mapping[str, Any] | None:
        if self._kind != "tasks":
            return None
        project = self._source._query().get("project")
        if project is None or "," in str(project):
            return None
        from synapse.orm.manager import manager_for
        from synapse.resources.projects import Project

        found = manager_for(self._source._require_client(), Project).get(int(project))
        configuration = found.configuration
        return configuration if isinstance(configuration, Mapping) else None

    def _list(self) -> Listing:
        source = self._source
        if self._kind == "tasks":
            qs = source if source._ordering else source.order_by("id")
            return list_tasks(qs.expand("data_unit").iterator(page_size=1000))
        events = source.events if self._kind == "ground_truth_version" else source
        if self.category is not None:
            events = events.filter(category=self.category)
        return list_events(events.iterator(page_size=1000))

    def _build_manifest(self, listing: Listing) -> dict[str, Any]:
        schema = self._schema or schema_of(self._configuration())
        label_map = LabelMap.build(schema, listing.seen, labels=self._labels_arg, tools=DETECTION_TOOLS)
        keypoint_names: list[str] = []
        if schema is not None and schema.tool("keypoint") is not None:
            keypoint_names = list(schema.codes(["keypoint"]))
        else:
            keypoint_names = sorted({k["label"] for item in listing.items for k in item["keypoints"]})
        source = self._source
        return {
            "format": _FORMAT,
            "version": _FORMAT_VERSION,
            "source": {
                "kind": self._kind,
                "id": getattr(source, "id", None) if self._kind == "ground_truth_version" else None,
                "query": source._query() if self._kind != "ground_truth_version" else None,
                "category": self.category,
            },
            "labels": list(label_map.names),
            "keypoints": keypoint_names,
            "left_out": listing.skipped,
            "items": listing.items,
        }

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        folder = self.manifest_path.parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".manifest.", suffix=".part")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, separators=(",", ":"))
            os.replace(tmp, self.manifest_path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def download(self, workers: int = 8, progress: Any = True) -> DownloadReport:
        """List the source's items, write the manifest, and fetch every file the cache lacks.

        Resumable: files already in the cache are skipped (a file in the cache is complete and
        verified: each is checked against its checksum and renamed into place only then). A
        failed file does not stop the others; the first error is raised at the end, with a note
        of how many failed, and running ``download()`` again fetches only those.

        Args:
            workers: parallel downloads.
            progress: ``True`` for a tqdm bar (files), a ``(done, total)`` callable, or None.

        Returns:
            A :class:`DownloadReport`.

        Raises:
            NotDownloadedError: the dataset has no source (unpickled or opened from the cache).
            ClientError, TransportError, UnsafeURLError: a request failed (see the note on it).
        """
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        transport = self._transport()
        listing = self._list()
        manifest = self._build_manifest(listing)
        self._write_manifest(manifest)
        with self._lock:
            self._manifest = manifest
        names = list(listing.urls)
        missing = [n for n in names if not (self.files_dir / n).is_file()]
        reporter = as_reporter(progress)
        reporter.start(len(names), desc="files", unit="file")
        done = len(names) - len(missing)
        reporter.update(done, len(names))
        failures: list[tuple[str, BaseException]] = []
        fetched = 0
        counter = threading.Lock()

        def fetch(name: str) -> None:
            nonlocal done, fetched
            url, checksum = listing.urls[name]
            filecache.fetch(transport, url, self.files_dir, checksum=checksum, name=name)
            with counter:
                done += 1
                fetched += 1
                reporter.update(done, len(names))

        pool = ThreadPoolExecutor(max_workers=min(workers, max(1, len(missing))),
                                  thread_name_prefix="synapse-ds")
        try:
            futures: dict[Future[None], str] = {pool.submit(fetch, name): name for name in missing}
            pending: set[Future[None]] = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in finished:
                    error = future.exception()
                    if error is not None:
                        failures.append((futures[future], error))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
            reporter.finish()
        if failures:
            name, first = failures[0]
            note = (f"{len(failures)} of {len(missing)} files to fetch failed (first: {name}); "
                    f"{fetched} were fetched and kept: ds.download() again fetches only the missing ones")
            add_note = getattr(first, "add_note", None)
            if add_note is not None:
                add_note(note)
            raise first
        skipped = len(names) - len(missing)
        return DownloadReport(len(listing.items), len(names), fetched, skipped, listing.skipped)

    # ------------------------------------------------------------ serving from the cache
    def _require_manifest(self) -> dict[str, Any]:
        manifest = self._manifest
        if manifest is None:
            raise NotDownloadedError(
                f"the dataset is not in the cache {self.cache_dir} yet: run ds.download() first"
            )
        return manifest

    @property
    def labels(self) -> list[str]:
        """The class codes by id: ``labels[target["labels"][k]]`` is the class of detection ``k``."""
        if self._manifest is None and self._labels_arg is not None:
            return list(self._labels_arg)
        return list(self._require_manifest()["labels"])

    @property
    def keypoint_names(self) -> list[str]:
        """The keypoint classes in the order of ``target["keypoints"][n]`` (empty without keypoints)."""
        return list(self._require_manifest()["keypoints"])

    @property
    def left_out(self) -> dict[str, int]:
        """``{reason: count}`` of source rows that gave no item (no annotation, no image file)."""
        return dict(self._require_manifest().get("left_out") or {})

    def __len__(self) -> int:
        return len(self._require_manifest()["items"])

    def item(self, index: int) -> dict[str, Any]:
        """The manifest entry of item ``index`` (ids, file name, size, objects), without reading the file."""
        items = self._require_manifest()["items"]
        if not -len(items) <= index < len(items):
            raise IndexError(f"dataset index {index} out of range ({len(items)} items)")
        return dict(items[index])

    def path(self, index: int) -> Path:
        """Where item ``index``'s file is (or will be) in the cache."""
        return self.files_dir / str(self.item(index)["file"])

    def is_cached(self, index: int | None = None) -> bool:
        """Whether item ``index``'s file (or, with None, every item's file) is in the cache."""
        if index is not None:
            return self.path(index).is_file()
        return all((self.files_dir / item["file"]).is_file() for item in self._require_manifest()["items"])

    def __getitem__(self, index: int) -> tuple[Any, dict[str, Any]]:
        """``(image, target)`` of item ``index``, read from the cache only.

        Raises:
            IndexError: ``index`` is out of range.
            NotDownloadedError: the item's file is not in the cache (run ``ds.download()``).
        """
        from synapse.render import require_pillow

        pil = require_pillow()
        item = self.item(index)
        path = self.files_dir / item["file"]
        if not path.is_file():
            who = f"task {item['task_id']}" if item.get("task_id") is not None else (
                f"ground truth {item.get('ground_truth_id')}")
            raise NotDownloadedError(
                f"item {index} ({who}, file {item['file']}) is not in the cache {self.files_dir}: "
                "run ds.download() first"
            )
        with pil.open(path) as opened:
            image = opened.convert("RGB")
        target = self._target(item, image.size)
        target["file"] = str(path)
        if self.transform is not None:
            image, target = self.transform(image, target)
        return image, target

    def _target(self, item: Mapping[str, Any], size: tuple[int, int]) -> dict[str, Any]:
        manifest = self._require_manifest()
        ids = {name: i for i, name in enumerate(manifest["labels"])}
        kept = [o for o in item["objects"] if o["label"] in ids]
        target: dict[str, Any] = {
            "boxes": [list(o["box"]) for o in kept],
            "labels": [ids[o["label"]] for o in kept],
        }
        names: list[str] = manifest["keypoints"]
        if names:
            target["keypoints"] = _keypoints(kept, item["keypoints"], names)
        if self.masks:
            target["masks"] = _masks(kept, size)
        target["task_id"] = item.get("task_id")
        target["ground_truth_id"] = item.get("ground_truth_id")
        target["category"] = item.get("category")
        return target

    def __iter__(self) -> Any:
        for index in range(len(self)):
            yield self[index]

    def split(self, category: str) -> DetectionDataset:
        """A view with only the items of one ground-truth category (``train``, ``validation``, ``test``)."""
        manifest = self._require_manifest()
        view = self.__class__.__new__(self.__class__)
        view.__dict__.update(self.__getstate__())
        view._lock = threading.Lock()
        chosen = [item for item in manifest["items"] if item.get("category") == category]
        view._manifest = {**manifest, "items": chosen}
        return view

    # ------------------------------------------------------------ pickling: the cache, never the client
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_source"] = None  # the client (and its credential) stays in this process
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        size = f"{len(self)} items" if self._manifest is not None else "not downloaded"
        return f"<DetectionDataset {self.key or self._kind}: {size}, cache {self.cache_dir}>"


def _keypoints(
    objects: Sequence[Mapping[str, Any]], points: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> list[list[list[float]]]:
    """Per detection, ``[x, y, visibility]`` for each keypoint name (zeros where its group has none)."""
    by_group: dict[Any, dict[str, Mapping[str, Any]]] = {}
    for point in points:
        if point.get("group") is not None:
            by_group.setdefault(point["group"], {}).setdefault(point["label"], point)
    out: list[list[list[float]]] = []
    for obj in objects:
        members = by_group.get(obj.get("group")) if obj.get("group") is not None else None
        row: list[list[float]] = []
        for name in names:
            found = (members or {}).get(name)
            x, y = (float(v) for v in found["xy"]) if found else (0.0, 0.0)
            row.append([x, y, float(found["v"])] if found else [0.0, 0.0, 0.0])
        out.append(row)
    return out


def _masks(objects: Sequence[Mapping[str, Any]], size: tuple[int, int]) -> Any:
    """A ``(N, H, W)`` uint8 array: each detection's pixels (a box filled, a polygon or mask drawn)."""
    try:
        import numpy as np
    except ImportError as exc:
        raise ImportError(
            "masks=True needs numpy, which is not installed: pip install 'synapse-orm[vision]'"
        ) from exc
    from PIL import Image, ImageDraw

    width, height = size
    planes = np.zeros((len(objects), height, width), dtype=np.uint8)
    for k, obj in enumerate(objects):
        mask = obj.get("mask")
        if mask is not None:
            flat = planes[k].reshape(-1)
            runs = mask["indices"]
            for start, length in zip(runs[::2], runs[1::2], strict=False):
                end = min(start + length, flat.size)
                if start < end:
                    flat[start:end] = 1
            continue
        canvas = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        polygon = obj.get("polygon")
        if polygon:
            draw.polygon([(float(x), float(y)) for x, y in polygon], fill=1)
        else:
            x1, y1, x2, y2 = obj["box"]
            draw.rectangle([round(x1), round(y1), round(x2) - 1, round(y2) - 1], fill=1)
        planes[k] = np.asarray(canvas, dtype=np.uint8)
    return planes
