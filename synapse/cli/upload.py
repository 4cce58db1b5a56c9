"""``synapse upload PATH... --collection ID [--project ID] [--spec NAME] [--include/--exclude PATTERN]``.

Each file becomes one data unit of the collection (filling the specification ``--spec``, by
default the collection's primary one), and with ``--project`` one task. Folders are walked
(hidden entries skipped); ``--include``/``--exclude`` pick files by their path relative to the
folder; empty files are skipped with a warning line each. The work is
``collection.upload_many``: files are hashed, those the server already has are skipped, the
rest are uploaded in parallel, units and tasks are created in batches. A progress bar counts
files; a report follows. Exit status 1 when any file failed (each failure is listed).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse.cli._common import UsageError, connect, print_json
from synapse.cli._progress import cli_progress

if TYPE_CHECKING:
    from synapse.resources.data import DataCollection
    from synapse.services.ingest import UploadReport

__all__ = ["collect_files", "drop_empty", "run"]


def collect_files(
    paths: list[str], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Path]:
    """Expand ``paths``: files as given, folders walked (sorted, hidden entries skipped).

    ``include`` and ``exclude`` are ``fnmatch`` patterns on a file's path relative to the folder
    given (``*.png``, ``left/*``; ``*`` also crosses ``/``), on its name for a file given as is:
    with ``include``, a file must match one of them; a file matching an ``exclude`` is left out.

    Raises:
        UsageError: a path does not exist, or the paths hold no file at all (after the patterns).
    """
    files: list[Path] = []
    seen: set[Path] = set()
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found: list[tuple[Path, str]] = []
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in names:
                    if not name.startswith("."):
                        file = Path(root) / name
                        found.append((file, file.relative_to(path).as_posix()))
            candidates = sorted(found)
        elif path.exists():
            candidates = [(path, path.name)]
        else:
            raise UsageError(f"no such file or folder: {text}")
        for file, relative in candidates:
            if not _wanted(relative, include, exclude):
                continue
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                files.append(file)
    if not files:
        patterns = " (after --include/--exclude)" if include or exclude else ""
        raise UsageError("no files to upload in " + ", ".join(paths) + patterns)
    return files


def _wanted(relative: str, include: Sequence[str], exclude: Sequence[str]) -> bool:
    if include and not any(fnmatch.fnmatch(relative, p) for p in include):
        return False
    return not any(fnmatch.fnmatch(relative, p) for p in exclude)


def drop_empty(files: list[Path]) -> list[Path]:
    """The files that are not empty; one ``warning: skipping empty file PATH`` line on stderr per other.

    Raises:
        UsageError: every file is empty.
    """
    kept = []
    for file in files:
        if file.stat().st_size == 0:
            print(f"warning: skipping empty file {file}", file=sys.stderr)
        else:
            kept.append(file)
    if not kept:
        raise UsageError("no files to upload: every file is empty")
    return kept


def _spec(collection: DataCollection, wanted: str | None) -> str:
    specs = collection.file_specifications or []
    names = [s.name for s in specs]
    if wanted is not None:
        if wanted not in names:
            raise UsageError(f"collection {collection.id} has no file specification {wanted!r} "
                             f"(it has: {', '.join(names) or 'none'})")
        return wanted
    primary = [s.name for s in specs if s.is_primary] or names
    if not primary:
        raise UsageError(f"collection {collection.id} has no file specification to upload into")
    return primary[0]


def _report_json(report: UploadReport, files: list[Path], args: argparse.Namespace, spec: str) -> Any:
    return {
        "collection": args.collection, "project": args.project, "spec": spec, "ok": report.ok,
        "files_uploaded": report.files_uploaded, "files_skipped": report.files_skipped,
        "tasks_created": report.tasks_created,
        "items": [
            {"path": str(files[r.index]), "data_unit": r.data_unit, "task": r.task, "existed": r.existed,
             "error": None if r.error is None else str(r.error)}
            for r in report.items
        ],
    }


def _print_report(report: UploadReport, files: list[Path], collection: DataCollection,
                  project: int | None) -> None:
    ok = report.succeeded
    new = sum(1 for r in ok if not r.existed)
    sent, skipped = report.files_uploaded, report.files_skipped
    print(f"{len(files)} files: {sent} uploaded, {skipped} already on the server")
    print(f"{len(ok)} data units in collection {collection.id} '{collection.name}': "
          f"{new} created, {len(ok) - new} already there")
    if project is not None:
        print(f"{report.tasks_created} tasks created in project {project}")
    for r in report.failed:
        print(f"failed: {files[r.index]}: {r.error}", file=sys.stderr)
    if report.failed:
        print(f"{len(report.failed)} of {len(files)} files failed; run the same command again to retry them",
              file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Upload the files; exit status 0 when every one succeeded, else 1."""
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    files = drop_empty(collect_files(args.paths, args.include or (), args.exclude or ()))
    with connect(args) as client:
        collection = client.data_collections.get(args.collection)
        spec = _spec(collection, args.spec)
        items = [{"files": {spec: str(f)}, "meta": {"filename": f.name}} for f in files]
        report = collection.upload_many(
            items, project=args.project, workers=args.workers, progress=cli_progress(enabled=not args.json)
        )
    if args.json:
        print_json(_report_json(report, files, args, spec))
    else:
        _print_report(report, files, collection, args.project)
    return 0 if report.ok else 1
