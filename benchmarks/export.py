"""Export figures of issue 16, against the emulator in a child process.

(a) ``qs.export("coco", dest, media=False)`` of N tasks (default 10,000), each holding a demo
    scene's DM v1 document (boxes, polygons, keypoints and ``extra`` sizes; written straight into
    the emulator's store), in items per second, beside the baseline of the same run: a plain
    ``requests`` loop over the same pages the export reads (``sdk/tasks/`` with the same filters,
    ``expand=data_unit`` and page size, the export's ``PAGE_SIZE``, following ``next``, ``.json()``
    of each page). The two
    alternate run by run (``--repeats`` each), each export into an empty folder; the figure is
    the ratio of the summed times. Target >= 0.8x.
(b) the client's peak memory growth (``tracemalloc``) during the same export at N and at
    ``--large`` tasks (default 100,000): the export streams, so the two should be alike (flat).
    Target < 64 MB at the larger size.
(c) ``export("coco", dest)`` with media of the 120 annotated tasks of project 1 (120 PNG files)
    with 8 workers versus 1, every request delayed by a simulated 20 ms round trip (the server
    thread sleeps, no CPU; as in ``datasets.py``), each run into an empty folder. Target >= 4x.

    python benchmarks/export.py                      # 10,000 and 100,000 tasks
    python benchmarks/export.py --n 2000 --large 10000 --repeats 1
    python benchmarks/export.py --profile 10000      # cProfile of one export, top entries
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import requests
from seeded import SeededEmulator

import synapse
from synapse.services.export import PAGE_SIZE  # the export's own page size: the baseline reads the same pages

FIRST_ID = 100_001
PROJECT = 2  # synthetic tasks go to project 2, so project 1 keeps its 320 seed tasks

def Server(latency: float = 0.0, tasks: int = 0) -> SeededEmulator:
    """The seeded emulator in a child process, with this script's project, ids and page size."""
    return SeededEmulator(latency, tasks, project=PROJECT, first_id=FIRST_ID, units=120, page_size=PAGE_SIZE)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def selection(client: synapse.Client, n: int) -> Any:
    return client.tasks.filter(project=PROJECT, id__gte=FIRST_ID, id__lt=FIRST_ID + n)


def export_once(client: synapse.Client, n: int) -> tuple[float, float]:
    """Wall and client CPU seconds of one annotations-only COCO export of ``n`` tasks into an empty folder."""
    with tempfile.TemporaryDirectory() as tmp:
        start, cpu = time.perf_counter(), time.process_time()
        report = selection(client, n).export("coco", tmp, media=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert len(report.tasks) == n, len(report.tasks)
    return seconds, cpu


def raw_once(server: Server, session: requests.Session, n: int) -> float:
    """Seconds of the baseline: the same pages with ``requests``, following ``next``."""
    params: dict[str, Any] = {"project": PROJECT, "id__gte": FIRST_ID, "id__lt": FIRST_ID + n,
                              "expand": "data_unit", "page_size": PAGE_SIZE}
    start = time.perf_counter()
    rows = 0
    body = session.get(f"{server.url}sdk/tasks/", params=params).json()
    while True:
        for _row in body["results"]:
            rows += 1
        if not body["next"]:
            break
        body = session.get(body["next"]).json()
    seconds = time.perf_counter() - start
    assert rows == n, rows
    return seconds


def requests_sent(client: synapse.Client, n: int) -> list[str]:
    """The requests one export of ``n`` tasks sends (to check the baseline reads the same pages)."""
    seen: list[str] = []

    def hook(event: Any) -> None:
        seen.append(f"{event.method} {event.path}")

    client.transport.add_hook(hook)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            selection(client, n).export("coco", tmp, media=False)
    finally:
        client.transport.remove_hook(hook)
    return seen


def export_rate(server: Server, n: int, repeats: int) -> tuple[float, float, float]:
    """Summed seconds of the export, of the raw loop, and the export's client CPU; runs alternating."""
    session = requests.Session()
    session.headers["Synapse-Access-Token"] = f"Token {server.token}"
    with server.client() as client:
        export_once(client, min(n, 500))  # warm connections and code paths
        raw_once(server, session, min(n, 500))
        sdk_s = raw_s = cpu_s = 0.0
        for k in range(repeats):
            gc.collect()
            if k % 2 == 0:
                raw_s += raw_once(server, session, n)
            wall, cpu = export_once(client, n)
            sdk_s, cpu_s = sdk_s + wall, cpu_s + cpu
            if k % 2 == 1:
                raw_s += raw_once(server, session, n)
    return sdk_s, raw_s, cpu_s


def export_peak(server: Server, n: int) -> float:
    """Peak memory growth (MB, ``tracemalloc``) of the client during one export of ``n`` tasks."""
    with server.client() as client, tempfile.TemporaryDirectory() as tmp:
        qs = selection(client, n)
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        report = qs.export("coco", tmp, media=False)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        assert len(report.tasks) == n
    return peak / 1e6


def media_speedup(latency_ms: float, repeats: int) -> tuple[float, float, int]:
    """Median seconds of an export with media, 1 and 8 workers, each into an empty folder."""
    times: dict[int, list[float]] = {1: [], 8: []}
    files = 0
    with Server(latency=latency_ms / 1000) as server, server.client() as client:
        qs = client.tasks.filter(project=1, status_label="completed")
        for _ in range(repeats):
            for workers in (1, 8):  # interleaved, so drift in the machine's load hits both alike
                with tempfile.TemporaryDirectory() as tmp:
                    start = time.perf_counter()
                    report = qs.export("coco", tmp, workers=workers)
                    times[workers].append(time.perf_counter() - start)
                    files = report.downloaded
                    assert files == len(report.tasks) > 0, report.downloaded
    one, eight = sorted(times[1])[len(times[1]) // 2], sorted(times[8])[len(times[8]) // 2]
    return one, eight, files


def profile(n: int, top: int) -> None:
    with Server(tasks=n) as server, server.client() as client:
        export_once(client, min(n, 500))
        with tempfile.TemporaryDirectory() as tmp:
            profiler = cProfile.Profile()
            profiler.enable()
            selection(client, n).export("coco", tmp, media=False)
            profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks for (a) and the smaller size of (b)")
    parser.add_argument("--large", type=int, default=100_000, help="the larger size of (b); 0 skips it")
    parser.add_argument("--repeats", type=int, default=3, help="runs each way for (a) and (c)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="simulated round trip for (c)")
    parser.add_argument("--skip", default="", help="comma list of: rate,memory,media")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="only print a cProfile of one export of N tasks")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, 25)
        return
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}", flush=True)

    if not skip >= {"rate", "memory"}:
        with Server(tasks=max(args.n, args.large)) as server:
            if "rate" not in skip:
                with server.client() as client:
                    sent = requests_sent(client, min(args.n, 250))
                print("requests sent by an export of 250 tasks:", *sent, sep="\n  ", flush=True)
                sdk_s, raw_s, cpu_s = export_rate(server, args.n, args.repeats)
                ratio = raw_s / sdk_s
                total = args.n * args.repeats
                print(f"RESULT export coco of {args.n:,} tasks, annotations only / raw requests loop | "
                      f"{ratio:.2f}  ({total / sdk_s:,.0f} vs {total / raw_s:,.0f} items/s) | >= 0.8 | "
                      f"{verdict(ratio >= 0.8)}", flush=True)
                # Even with every request overlapped, an export cannot take less than its own CPU time.
                print(f"RESULT bound: raw loop wall / export client CPU, per task | {raw_s / cpu_s:.2f}  "
                      f"({cpu_s * 1e6 / total:,.0f} us CPU vs {raw_s * 1e6 / total:,.0f} us wall) | "
                      f"(no overlap can beat it) |", flush=True)
            if "memory" not in skip:
                small = export_peak(server, args.n)
                large = export_peak(server, args.large) if args.large else small
                size = args.large or args.n
                print(f"RESULT export: peak memory growth, {size:,} tasks | {large:.1f} MB "
                      f"({small:.1f} MB at {args.n:,}) | < 64 MB | {verdict(large < 64)}", flush=True)
    if "media" not in skip:
        one, eight, files = media_speedup(args.latency_ms, args.repeats)
        ratio = one / eight
        name = f"export with media, {files} files, {args.latency_ms:g} ms simulated round trip: 8 / 1 workers"
        print(f"RESULT {name} | {ratio:.2f}x  ({one:.2f} s vs {eight:.2f} s) | >= 4x | {verdict(ratio >= 4)}",
              flush=True)


if __name__ == "__main__":
    main()
