"""``synapse demo``: the whole SDK in a few seconds, against a local emulator.

Steps, each through the public API a user would call:

1. start ``Emulator(seed="demo")`` on a free loopback port;
2. write a folder of small PNG images (standard library only) in a temporary folder;
3. upload them through the chunked upload service (``client.data_files.create(path,
   chunked=True)``) with one progress bar over all bytes;
4. create a data unit per file in collection 1 (``client.data_units.bulk_create``);
5. create a task per unit in project 1 (``project.tasks.bulk_create``);
6. annotate every other task with the box drawn in its image (``task.annotate``);
7. run the ``yolo-detector`` plugin on the new tasks and wait for its job with a progress bar;
8. print a summary table;
9. draw an annotated task of the seed (``task.render()``) into a PNG and print its path.

The emulator is closed and the images removed at the end, unless ``--keep`` leaves the
emulator running until Ctrl-C (so ``synapse shell`` can look at the result).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse.cli._common import UsageError, format_table
from synapse.cli._images import box_of, write_images
from synapse.cli._progress import cli_progress, format_amount
from synapse.client import Client

if TYPE_CHECKING:
    from synapse.emulator.server import Emulator
    from synapse.services.progress import ProgressReporter
    from synapse.transport import RequestEvent

__all__ = ["run"]

_IMAGE_SIZE = 64
_COLLECTION = 1  # demo seed: "Street scenes", spec "image" (required, primary)
_PROJECT = 1  # demo seed: "Street scenes annotation"
_PLUGIN = "yolo-detector"  # demo seed: release 1.0.0 with actions train, inference, export
_CLASSES = ("car", "person", "bicycle", "traffic_sign")


def start_emulator(*, port: int = 0, job_duration: float = 1.0) -> Emulator:
    """Start an emulator with the demo workspace, or explain how to install it.

    Raises:
        UsageError: the ``emulator`` extra (werkzeug) is not installed.
    """
    try:
        from synapse.emulator.server import Emulator
    except ImportError as exc:
        raise UsageError(
            f"the local emulator needs the 'emulator' extra ({exc.name or exc} is missing): "
            "python -m pip install 'synapse-orm[emulator]'"
        ) from None
    return Emulator(seed="demo", port=port, job_duration=job_duration).start()


def _say(text: str) -> None:
    print(text, flush=True)


class _Bytes:
    """Adds up per-file ``(done, total)`` callbacks into one reporter over all files."""

    def __init__(self, reporter: ProgressReporter | None, total: int) -> None:
        self.reporter, self.total, self.base = reporter, total, 0

    def file(self) -> Any:
        base = self.base

        def update(done: int, total: int | None) -> None:
            if self.reporter is not None:
                self.reporter.update(base + done, self.total)

        return update


def _upload(client: Client, paths: list[Path]) -> list[Any]:
    sizes = [p.stat().st_size for p in paths]
    reporter = cli_progress()
    bytes_ = _Bytes(reporter, sum(sizes))
    if reporter is not None:
        reporter.start(bytes_.total, desc="uploading", unit="B")
    files = []
    try:
        for path, size in zip(paths, sizes, strict=True):
            files.append(client.data_files.create(path, chunked=True, progress=bytes_.file()))
            bytes_.base += size
    finally:
        if reporter is not None:
            reporter.finish()
    return files


def _annotation(index: int) -> dict[str, Any]:
    """The box drawn in image ``index``, as a DM v1 document on the collection's ``image`` spec."""
    from synapse import annotations as ann

    x, y, w, h = box_of(index, _IMAGE_SIZE)
    box = ann.BoundingBox(label=_CLASSES[index % len(_CLASSES)], x=x, y=y, width=w, height=h)
    document = ann.Document.from_objects([box], media="image", size=(_IMAGE_SIZE, _IMAGE_SIZE))
    return document.to_dm(version=1)


class _Requests:
    """Counts the HTTP exchanges of the tour (a transport hook: ``client.transport.add_hook``)."""

    def __init__(self) -> None:
        self.count = self.chunks = 0
        self.elapsed_ms: list[float] = []

    def __call__(self, event: RequestEvent) -> None:
        self.count += 1
        self.elapsed_ms.append(event.elapsed_ms)
        if event.method == "PUT" and event.path.lstrip("/").startswith("chunked_upload/"):
            self.chunks += 1

    def summary(self) -> str:
        median = statistics.median(self.elapsed_ms) if self.elapsed_ms else 0.0
        return f"{self.count} ({self.chunks} upload chunks; median {median:.1f} ms)"


def _tour(client: Client, count: int, folder: Path) -> list[tuple[str, str]]:
    started = time.monotonic()
    requests = _Requests()
    client.transport.add_hook(requests)
    paths = write_images(folder, count, size=_IMAGE_SIZE)
    total = sum(p.stat().st_size for p in paths)
    _say(f"Wrote {count} PNG images ({_IMAGE_SIZE}x{_IMAGE_SIZE}, {format_amount(total, 'B')}) to {folder}")

    collection = client.data_collections.get(_COLLECTION)
    _say(f"Uploading them through the chunked upload service to collection {collection.id} "
         f"'{collection.name}' ...")
    files = _upload(client, paths)

    units = client.data_units.bulk_create(
        {"data_collection": collection.id, "files": {"image": {"checksum": f.checksum, "path": p.name}},
         "meta": {"source": "synapse demo", "filename": p.name}}
        for f, p in zip(files, paths, strict=True)
    )
    project = client.projects.get(_PROJECT)
    tasks = project.tasks.bulk_create(data_units=[u.id for u in units])
    _say(f"Created {len(units)} data units and {len(tasks)} tasks in project {project.id} '{project.title}'")

    annotated = tasks[::2]
    for number, task in enumerate(annotated):
        task.annotate(_annotation(2 * number + 1))
    _say(f"Annotated {len(annotated)} of the {len(tasks)} tasks (a box around the drawn rectangle)")

    plugin = client.plugins.get(_PLUGIN)
    job = plugin.run(action="inference", params={"tasks": [t.id for t in tasks], "threshold": 0.5})
    _say(f"Running plugin {plugin.code} (action inference) on them: job {job.id}")
    job.wait(timeout=60, poll_interval=0.2, progress=cli_progress(percent=True))
    in_project = project.tasks.count()
    elapsed = time.monotonic() - started
    done = f" ({job.progress:g}%)" if job.progress is not None else ""
    return [
        ("images uploaded", f"{len(files)} ({format_amount(total, 'B')}, chunked upload service)"),
        ("data units created", f"{len(units)} (ids {units[0].id}-{units[-1].id}, "
                               f"collection {collection.id})"),
        ("tasks created", f"{len(tasks)} (ids {tasks[0].id}-{tasks[-1].id}, project {project.id})"),
        ("tasks annotated", str(len(annotated))),
        ("tasks in project", str(in_project)),
        ("plugin job", f"{plugin.code} inference: {job.status}{done}"),
        ("HTTP requests", requests.summary()),
        ("elapsed", f"{elapsed:.1f} s"),
    ]


def _keep(emu: Emulator) -> None:
    _say("")
    _say(f"The emulator keeps running at {emu.url}; explore the result from another terminal:")
    _say(f"  SYNAPSE_BASE_URL={emu.url} SYNAPSE_API_TOKEN={emu.token} synapse shell")
    _say(f"  SYNAPSE_BASE_URL={emu.url} SYNAPSE_API_TOKEN={emu.token} synapse ls tasks --filter project=1")
    _say("Press Ctrl-C to stop it.")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.2):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _say("Emulator stopped.")


def _render_one(client: Client) -> str:
    """Draw the first completed task of the demo project into a PNG; say where (or why not)."""
    task = client.projects.get(_PROJECT).tasks.filter(status_label="completed").order_by("id").first()
    if task is None:
        return "No annotated task to draw."
    try:
        image = task.render(size=640)
    except ImportError as exc:
        return f"Skipped drawing task {task.id}: {exc}"
    from synapse.services.previews import renders_dir

    folder = renders_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"demo-task-{task.id}.png"
    image.save(path, format="PNG")
    return f"Drew task {task.id} with its annotations: {path}"


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns 0 when every step worked."""
    if args.images < 1:
        raise UsageError("--images must be at least 1")
    emu = start_emulator(port=args.port)
    try:
        _say(f"Started a local Synapse emulator at {emu.url} with the demo workspace")
        client = emu.client(Client)
        with tempfile.TemporaryDirectory(prefix="synapse-demo-") as tmp:
            rows = _tour(client, args.images, Path(tmp) / "images")
        _say("")
        _say(format_table(("step", "result"), rows))
        _say("")
        _say(_render_one(client))
        _say("Next: `synapse shell --local` opens Python with `client` connected to a fresh emulator.")
        sys.stdout.flush()
        if args.keep:
            _keep(emu)
        client.close()
    finally:
        emu.close()
    return 0
