"""Object-model figures of issue 4, measured in one run against the emulator on loopback.

(a) ``client.projects.get(id)`` with the cache off, divided by a plain
    ``requests.Session().get(url).json()`` of the same URL (interleaved; target <= 1.0);
(b) the same with the cache on (target: the cached get at least 50x faster than raw);
(c) peak memory growth while iterating N tasks with ``for t in qs`` (target < 30 MB, flat in N)
    and items per second versus a raw loop following ``next`` (target >= 0.95x), for 10k and 100k:
    the two walks run at once, a page of each in turn, each page timed alone (see
    ``interleaved_walks``), and the figure is the ratio of the summed times;
(d) requests sent by ``count()`` (1) and by iterating ``qs[:250]`` with page size 100 (3).

The emulator runs in a child process (so its own allocations and CPU are not counted in the
client's figures) with the demo seed plus N synthetic tasks written straight into its store.

    python benchmarks/object_model.py            # 10k and 100k tasks
    python benchmarks/object_model.py --sizes 10000 --rounds 100
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import requests

import synapse

FIRST_ID = 100_001
PROJECT = 2

_SERVER = r"""
import json, sys
from synapse.emulator import Emulator
total, project, first = (int(a) for a in sys.argv[1:4])
with Emulator(seed="demo", request_log_size=1000) as emu:
    rows = [
        (i, project, 1 + i % 320, None, '{"frame": %d}' % i, "completed", "stand_by", 0, "[]",
         "2024-02-01T00:00:00Z")
        for i in range(first, first + total)
    ]
    with emu.store.write() as db:
        db.executemany(
            "INSERT INTO tasks (id, project, data_unit, data, meta, status_label, status_review, "
            "is_discarded, tags, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    del rows
    print(json.dumps({"url": emu.url, "token": emu.token}), flush=True)
    sys.stdin.read()
"""


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def single_get(url: str, token: str, rounds: int) -> None:
    session = requests.Session()
    session.headers["Synapse-Access-Token"] = f"Token {token}"
    raw_url = f"{url}projects/1/"
    uncached = synapse.Client(base_url=url, api_token=token, cache_ttl=0)
    cached = synapse.Client(base_url=url, api_token=token)
    for _ in range(20):  # warm connections and code paths
        session.get(raw_url).json()
        uncached.projects.get(1)
        cached.projects.get(1)
    raw, sdk, hit = [], [], []
    for _ in range(rounds):  # interleaved, so drift in the machine's load hits both alike
        raw.append(timed(lambda: session.get(raw_url).json()))
        sdk.append(timed(lambda: uncached.projects.get(1)))
        hit.append(timed(lambda: cached.projects.get(1)))
    print(f"(a) projects.get, cache off: {median_us(sdk):8.1f} us   raw requests: {median_us(raw):8.1f} us"
          f"   ratio sdk/raw = {median_us(sdk) / median_us(raw):.2f}  (target <= 1.0)")
    print(f"(b) projects.get, cache on:  {median_us(hit):8.1f} us   "
          f"raw/cached = {median_us(raw) / median_us(hit):.0f}x  (target >= 50x)")


def raw_walk(session: requests.Session, url: str, params: dict[str, Any]) -> int:
    return sum(raw_pages(session, url, params))


def raw_pages(session: requests.Session, url: str, params: dict[str, Any]) -> Iterator[int]:
    """The baseline: a raw loop following ``next``; yields after each page (its row count)."""
    body = session.get(url, params=params).json()
    while True:
        n = 0
        for _item in body["results"]:
            n += 1
        yield n
        if not body["next"]:
            return
        body = session.get(body["next"]).json()


def sdk_walk(qs: Any) -> int:
    n = 0
    for _task in qs:
        n += 1
    return n


def interleaved_walks(
    session: requests.Session, url: str, params: dict[str, Any], qs: Any, size: int, page_size: int
) -> tuple[float, float]:
    """Walk the list both ways at once, a page of each in turn; return (raw seconds, SDK seconds).

    Each step is timed alone: one page of the raw loop (its request and its rows), then the
    SDK's next ``page_size`` rows (its request and the objects it builds), the order swapped
    every page. Both walks see the machine in the same state to within a few milliseconds, so
    a VM whose speed drifts by a third from one second to the next (as shared ones do) moves
    both sums alike.
    """
    raw = raw_pages(session, f"{url}sdk/tasks/", params)
    rows = iter(qs)
    raw_s = sdk_s = 0.0
    raw_n = sdk_n = 0

    def raw_step() -> float:
        nonlocal raw_n
        start = time.perf_counter()
        raw_n += next(raw)
        return time.perf_counter() - start

    def sdk_step() -> float:
        nonlocal sdk_n
        start = time.perf_counter()
        for _ in range(min(page_size, size - sdk_n)):
            next(rows)
        elapsed = time.perf_counter() - start
        sdk_n = min(size, sdk_n + page_size)
        return elapsed

    for page in range(-(-size // page_size)):
        if page % 2 == 0:
            raw_s += raw_step()
            sdk_s += sdk_step()
        else:
            sdk_s += sdk_step()
            raw_s += raw_step()
    assert raw_n == sdk_n == size and next(rows, None) is None and next(raw, None) is None
    return raw_s, sdk_s


def iteration(url: str, token: str, size: int, page_size: int, repeats: int) -> None:
    client = synapse.Client(base_url=url, api_token=token, page_size=page_size)
    filters = {"project": PROJECT, "id__gte": FIRST_ID, "id__lt": FIRST_ID + size}
    qs = client.tasks.filter(**filters)
    session = requests.Session()
    session.headers["Synapse-Access-Token"] = f"Token {token}"
    raw_params = {**filters, "page_size": page_size}

    raw_total = sdk_total = 0.0
    for _ in range(repeats):
        gc.collect()
        raw_s, sdk_s = interleaved_walks(session, url, raw_params, qs, size, page_size)
        raw_total += raw_s
        sdk_total += sdk_s
    ratio = raw_total / sdk_total  # the same rows both ways: items/s of the SDK / of the raw loop
    raw_rate = size * repeats / raw_total
    sdk_rate = size * repeats / sdk_total

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    assert sdk_walk(qs) == size
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(f"(c) {size:>7,} tasks: peak memory growth {peak / 2**20:6.2f} MB (target < 30 MB)   "
          f"sdk {sdk_rate:9,.0f} items/s   raw {raw_rate:9,.0f} items/s   "
          f"ratio = {ratio:.2f}  (target >= 0.95; {repeats} walk(s) each way, interleaved page by page)")


def request_counts(url: str, token: str) -> None:
    client = synapse.Client(base_url=url, api_token=token, page_size=100)
    events: list[Any] = []
    client.transport.add_hook(events.append)
    qs = client.tasks.filter(project=PROJECT)
    qs.count()
    counted = len(events)
    events.clear()
    rows = sum(1 for _ in qs[:250])
    print(f"(d) count() sent {counted} request(s) (target 1); iterating qs[:250] with page size 100 "
          f"sent {len(events)} request(s) for {rows} rows (target 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=300, help="interleaved single-object gets")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved pairs of walks per size (times summed over all)")
    args = parser.parse_args()

    child = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(max(args.sizes)), str(PROJECT), str(FIRST_ID)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())
        url, token = info["url"], info["token"]
        print(f"emulator {url} (child process), python {sys.version.split()[0]}, "
              f"page size {args.page_size}")
        single_get(url, token, args.rounds)
        for size in sorted(args.sizes):
            iteration(url, token, size, args.page_size, args.repeats)
        request_counts(url, token)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
