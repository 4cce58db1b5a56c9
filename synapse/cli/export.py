"""``synapse export``, ``synapse import`` and ``synapse convert``: datasets out, predictions in, offline.

- ``synapse export PROJECT --format coco --dest DIR [-f status_label=completed] [--no-media]``:
  ``project.tasks.filter(...).export(...)``; rerun the same command to resume.
- ``synapse import PROJECT FILE --format coco [--match file_name] [--mode merge] [--dry-run]``:
  ``project.import_annotations(...)``; exit status 1 when a row matched no task or a write failed.
- ``synapse convert --from yolo --to coco SRC DST``: ``formats.convert``, no server.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from synapse.cli._common import UsageError, connect, print_json
from synapse.cli._progress import cli_progress

__all__ = ["run_convert", "run_export", "run_import"]


def _splits(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    usage = f"--splits takes NAME=WEIGHT,... (e.g. train=0.8,val=0.2), got {text!r}"
    splits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, weight = part.partition("=")
        try:
            splits[name.strip()] = float(weight)
        except ValueError:
            raise UsageError(usage) from None
        if not sep or not name.strip():
            raise UsageError(usage)
    return splits


def _audit_summary(audit: Any) -> str:
    counts = Counter(f"{e.outcome} {e.reason}" for e in audit)
    return ", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "nothing lossy or skipped"


def run_export(args: argparse.Namespace) -> int:
    """Export a project's tasks into ``--dest``; exit status 0."""
    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    splits = _splits(args.splits)
    with connect(args) as client:
        project = client.projects.get(args.project)
        tasks = project.tasks.filter(**dict(args.filters)) if args.filters else project.tasks.all()
        report = tasks.export(
            args.format, args.dest, media=not args.no_media, splits=splits, workers=args.workers,
            since=args.since, progress=cli_progress(enabled=not args.json),
        )
    if args.json:
        print_json({
            "dest": args.dest, "format": args.format, "watermark": report.watermark,
            "tasks": len(report.tasks), "new_tasks": len(report.new_tasks), "downloaded": report.downloaded,
            "written": [{"path": w.path, "task": w.task, "unit": w.unit, "media_id": w.media_id}
                        for w in report.written],
            "audit": [{"task": e.task, "annotation_id": e.annotation_id, "outcome": e.outcome,
                       "reason": e.reason, "detail": e.detail} for e in report.audit],
        })
        return 0
    print(f"{len(report.tasks)} tasks ({len(report.new_tasks)} fetched) -> {len(report.written)} files "
          f"in {args.dest} ({report.downloaded} media downloaded)")
    print(f"audit: {_audit_summary(report.audit)}")
    print(f"watermark: {report.watermark} (pass --since {report.watermark} to add only newer tasks)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import annotations into a project's tasks; exit status 1 on unmatched rows or failed writes."""
    with connect(args) as client:
        project = client.projects.get(args.project)
        report = project.import_annotations(
            args.file, format=args.format, match=args.match, mode=args.mode, dry_run=args.dry_run,
            workers=args.workers, progress=cli_progress(enabled=not args.json),
        )
    if args.json:
        print_json(report.to_dict())
    else:
        verb = "would change" if args.dry_run else "changed"
        print(f"{len(report.matched)} items matched, {verb} {len(report.changed)} tasks, "
              f"{len(report.unchanged)} already up to date, {len(report.unmatched)} unmatched")
        for row in report.unmatched:
            print(f"unmatched: {row}", file=sys.stderr)
        for task, error in report.failed.items():
            print(f"failed: task {task}: {error}", file=sys.stderr)
    return 0 if report.ok else 1


def run_convert(args: argparse.Namespace) -> int:
    """Convert a dataset folder from one format to another (no server); exit status 0."""
    from synapse import formats

    report = formats.convert(args.src_format, args.dst_format, args.src, args.dst,
                             splits=_splits(args.splits), media=not args.no_media)
    if args.json:
        print_json({"written": [w.path for w in report.written],
                    "audit": [{"task": e.task, "annotation_id": e.annotation_id, "outcome": e.outcome,
                               "reason": e.reason, "detail": e.detail} for e in report.audit]})
        return 0
    print(f"{len(report.written)} files written in {args.dst}")
    print(f"audit: {_audit_summary(report.audit)}")
    return 0
