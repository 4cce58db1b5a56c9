"""Offline conversion: ``formats.convert("dm", "coco")`` of N generated items, annotations only.

A DM folder of N items is generated first (each a 320x240 scene's DM v2 document: boxes, one of
them rotated, a polygon, a mask and a keypoint group; no media files), then converted to COCO.
Figures: items per second of the conversion, beside the floor of the same run (reading and parsing
every DM file with ``json.loads`` and nothing else); and the peak memory growth (``tracemalloc``)
of the conversion at N/10 and N items: the COCO files are written from part files, so the two
figures should be alike (flat). Target < 64 MB.

    python benchmarks/convert.py              # 10,000 items
    python benchmarks/convert.py --n 2000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import synapse.annotations as ann
from synapse import formats

W, H = 320, 240


def scene(i: int) -> ann.Document:
    dx, dy = i % 40, (i // 40) % 30
    mask = [y * W + x for y in range(100 + dy, 110 + dy) for x in range(200 + dx, 215 + dx)]
    objects = [
        ann.BoundingBox(label="car", x=10 + dx, y=20 + dy, width=60, height=40, attrs={"occluded": "no"}),
        ann.BoundingBox(label="truck", x=120 + dx, y=40 + dy, width=50, height=30, rotation=0.2),
        ann.Polygon(label="road", points=[(0, 200), (W, 200 - dy), (W, H), (0, H)]),
        ann.Mask(label="person", indices=mask, width=W, height=H).encoded("dm_rle"),
        ann.BoundingBox(label="person", x=250, y=30 + dy, width=30, height=70, group="p"),
        ann.Keypoint(label="nose", x=265, y=40 + dy, group="p"),
        ann.Keypoint(label="left_eye", x=262, y=37 + dy, visibility=1, group="p"),
    ]
    return ann.Document.from_objects(objects, size=(W, H))


def generate(root: Path, n: int) -> None:
    with formats.writer("dm", root, media=False) as writer:
        for i in range(n):
            split = ("train", "train", "train", "val")[i % 4]
            writer.add(formats.Item(stem=f"scene{i:06d}", document=scene(i), split=split, task_id=i))
    writer.close()


def read_floor(root: Path) -> float:
    start = time.perf_counter()
    for path in sorted(root.rglob("*.json")):
        json.loads(path.read_text(encoding="utf-8"))
    return time.perf_counter() - start


def convert(src: Path, dst: Path) -> tuple[float, formats.WriteReport]:
    start = time.perf_counter()
    report = formats.convert("dm", "coco", src, dst, media=False)
    return time.perf_counter() - start, report


def peak_growth(src: Path, dst: Path) -> float:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    formats.convert("dm", "coco", src, dst, media=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="items (default 10,000)")
    args = parser.parse_args()
    n = args.n
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, {n:,} items of 7 objects")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        generate(root / "dm", n)
        generate(root / "dm_small", max(1, n // 10))
        print(f"generated the DM folders in {time.perf_counter() - start:.1f} s")
        floor = read_floor(root / "dm")
        seconds, report = convert(root / "dm", root / "coco")
        assert not report.audit or set(report.reasons()) == {"rotated_box"}, report.reasons()
        small = peak_growth(root / "dm_small", root / "coco_small")
        large = peak_growth(root / "dm", root / "coco_large")
    rate, floor_rate = n / seconds, n / floor
    entries = len(report.audit)
    print(f"convert dm -> coco: {seconds:6.2f} s  {rate:9,.0f} items/s  ({entries:,} audit entries)")
    print(f"json.loads of every DM file (floor): {floor:6.2f} s  {floor_rate:9,.0f} items/s")
    print(f"RESULT convert dm -> coco, {n:,} items, annotations only | {rate:,.0f} items/s "
          f"(reading the DM files alone {floor_rate:,.0f} items/s) | (context) |", flush=True)
    verdict = "met" if large < 64 else "NOT met"
    print(f"RESULT convert dm -> coco: peak memory growth, {n:,} items | {large:.1f} MB "
          f"({max(1, n // 10):,} items: {small:.1f} MB) | < 64 MB | {verdict}", flush=True)


if __name__ == "__main__":
    main()
