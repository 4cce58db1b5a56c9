"""Dataset and statistics figures of issue 17, against the emulator in a child process.

(a) ``DetectionDataset.download()`` of the 120 annotated tasks of project 1 (120 PNG files) with
    8 workers versus 1, every request delayed by a simulated 20 ms round trip (the server thread
    sleeps, no CPU; as in ``uploads.py``). Each run starts from an empty cache. Target >= 4x.
(b) ``ds[i]`` from the cache: items per second over the same dataset (PIL decode of a 320x240 PNG
    and the target built from the manifest), without and with ``masks=True``. No target: context.
(c) ``class_counts()`` over N synthetic annotated tasks (each a copy of a seed scene's DM v1
    document, written straight into the emulator's store): tasks per second, and the client's
    peak memory growth (``tracemalloc``) at N/10 and N tasks: flat means the same figure at both.
    Target < 64 MB.

    python benchmarks/datasets.py                       # 100,000 tasks for (c)
    python benchmarks/datasets.py --tasks 10000 --latency-ms 20
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import tracemalloc

from seeded import SeededEmulator

import synapse
from synapse.datasets import DetectionDataset

FIRST_ID = 100_001
PROJECT = 2  # synthetic tasks go to project 2, so project 1 keeps its 320 seed tasks

def Server(latency: float = 0.0, tasks: int = 0) -> SeededEmulator:
    """The seeded emulator in a child process, with this script's project and ids."""
    return SeededEmulator(latency, tasks, project=PROJECT, first_id=FIRST_ID, units=320)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def download_speedup(latency_ms: float, repeats: int) -> tuple[float, float]:
    """Median seconds of ``download()`` with 1 and 8 workers, each from an empty cache."""
    times: dict[int, list[float]] = {1: [], 8: []}
    with Server(latency=latency_ms / 1000) as server, server.client() as client:
        qs = client.projects.get(1).tasks.filter(status_label="completed")
        for _ in range(repeats):
            for workers in (1, 8):  # interleaved, so drift in the machine's load hits both alike
                with tempfile.TemporaryDirectory() as tmp:
                    ds = DetectionDataset(qs, cache_dir=tmp)
                    start = time.perf_counter()
                    report = ds.download(workers=workers, progress=False)
                    times[workers].append(time.perf_counter() - start)
                    assert report.downloaded == report.files == 120, report
    one, eight = sorted(times[1])[len(times[1]) // 2], sorted(times[8])[len(times[8]) // 2]
    return one, eight


def items_per_second(rounds: int) -> tuple[float, float, int]:
    with Server() as server, server.client() as client, tempfile.TemporaryDirectory() as tmp:
        qs = client.projects.get(1).tasks.filter(status_label="completed")
        ds = DetectionDataset(qs, cache_dir=tmp)
        ds.download(progress=False)
        with_masks = DetectionDataset(qs, cache_dir=tmp, masks=True)
        rates = []
        for dataset in (ds, with_masks):
            for i in range(len(dataset)):  # warm the page cache and code paths
                dataset[i]
            start = time.perf_counter()
            for _ in range(rounds):
                for i in range(len(dataset)):
                    dataset[i]
            rates.append(rounds * len(dataset) / (time.perf_counter() - start))
        return rates[0], rates[1], len(ds)


def count_peak(client: synapse.Client, n: int) -> tuple[float, dict[str, dict[str, int]]]:
    qs = client.tasks.filter(project=PROJECT, id__gte=FIRST_ID, id__lt=FIRST_ID + n)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    counts = qs.class_counts()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / 1e6, counts


def class_counts_figures(total: int) -> tuple[float, float, float, int]:
    with Server(tasks=total) as server, server.client() as client:
        qs = client.tasks.filter(project=PROJECT, id__gte=FIRST_ID)
        qs[:1000].class_counts()  # warm connections and code paths
        start = time.perf_counter()
        counts = qs.class_counts()
        seconds = time.perf_counter() - start
        assert counts.tasks == total, counts.tasks
        small, _ = count_peak(client, total // 10)
        large, _ = count_peak(client, total)
        return total / seconds, small, large, counts.total()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000, help="synthetic tasks for class_counts()")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="simulated round trip for (a)")
    parser.add_argument("--repeats", type=int, default=3, help="download runs each way (median)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the dataset for (b)")
    parser.add_argument("--skip", default="", help="comma list of: download,items,counts")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}", flush=True)

    if "download" not in skip:
        one, eight = download_speedup(args.latency_ms, args.repeats)
        ratio = one / eight
        name = f"ds.download() 120 files, {args.latency_ms:g} ms simulated round trip: 8 / 1 workers"
        print(f"RESULT {name} | {ratio:.2f}x  ({one:.2f} s vs {eight:.2f} s) | >= 4x | {verdict(ratio >= 4)}",
              flush=True)
    if "items" not in skip:
        plain, masks, n = items_per_second(args.rounds)
        print(f"RESULT ds[i] from the cache, {n} items of 320x240 PNG | {plain:,.0f} items/s "
              f"({masks:,.0f} with masks=True) | (context) |", flush=True)
    if "counts" not in skip:
        rate, small, large, objects = class_counts_figures(args.tasks)
        print(f"RESULT class_counts() over {args.tasks:,} tasks ({objects:,} objects) | {rate:,.0f} tasks/s "
              f"| (context) |", flush=True)
        print(f"RESULT class_counts(): peak memory growth, {args.tasks:,} tasks | {large:.1f} MB "
              f"({small:.1f} MB at {args.tasks // 10:,}) | < 64 MB | {verdict(large < 64)}", flush=True)


if __name__ == "__main__":
    main()
