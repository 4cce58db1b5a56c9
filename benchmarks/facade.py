"""The flat facade's figure of issue 13: ``list_tasks(list_all=True)`` against a plain ``requests`` loop.

``BackendClient.list_tasks(params, list_all=True)`` returns ``(generator, count)``; iterating the
generator over N tasks is timed against a raw loop that GETs the same pages (``sdk/tasks/`` with
the same filters and page size) and follows ``next``, in the same run. The two walks run at
once, a page of each in turn, each page timed alone, and the figure is the ratio of the summed
times (items per second of the facade / of the raw loop; target >= 0.95). Interleaving keeps a
VM whose speed drifts from moving one walk and not the other.

The emulator runs in a child process (its CPU is not counted in the client's figures) with the
demo seed plus N synthetic tasks written straight into its store.

    python benchmarks/facade.py                 # 10k and 100k tasks
    python benchmarks/facade.py --sizes 10000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import requests

from synapse.clients.backend import BackendClient

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


def interleaved_walks(
    session: requests.Session, url: str, params: dict[str, Any], backend: BackendClient, size: int,
    page_size: int,
) -> tuple[float, float]:
    """Walk the list both ways at once, a page of each in turn; return (raw seconds, facade seconds).

    The facade's first page is read by the call itself (it gives ``count``), so the call is
    timed with its first page's rows; the raw loop's first step is its first GET and rows.
    """
    raw = raw_pages(session, f"{url}sdk/tasks/", params)
    raw_s = facade_s = 0.0
    raw_n = facade_n = 0
    rows: Iterator[Any] = iter(())

    def raw_step() -> float:
        nonlocal raw_n
        start = time.perf_counter()
        raw_n += next(raw)
        return time.perf_counter() - start

    def facade_step(page: int) -> float:
        nonlocal facade_n, rows
        start = time.perf_counter()
        if page == 0:
            rows, count = backend.list_tasks(params=params, list_all=True)
            assert count == size
        for _ in range(min(page_size, size - facade_n)):
            next(rows)
        elapsed = time.perf_counter() - start
        facade_n = min(size, facade_n + page_size)
        return elapsed

    for page in range(-(-size // page_size)):
        if page % 2 == 0:
            raw_s += raw_step()
            facade_s += facade_step(page)
        else:
            facade_s += facade_step(page)
            raw_s += raw_step()
    assert raw_n == facade_n == size and next(rows, None) is None and next(raw, None) is None
    return raw_s, facade_s


def iteration(url: str, token: str, size: int, page_size: int, repeats: int) -> None:
    backend = BackendClient(url, token)
    session = requests.Session()
    session.headers["Synapse-Access-Token"] = f"Token {token}"
    params = {"project": PROJECT, "id__gte": FIRST_ID, "id__lt": FIRST_ID + size, "page_size": page_size}
    interleaved_walks(session, url, {**params, "id__lt": FIRST_ID + min(size, 2 * page_size)}, backend,
                      min(size, 2 * page_size), page_size)  # warm connections and code paths
    raw_total = facade_total = 0.0
    for _ in range(repeats):
        gc.collect()
        raw_s, facade_s = interleaved_walks(session, url, params, backend, size, page_size)
        raw_total += raw_s
        facade_total += facade_s
    ratio = raw_total / facade_total  # the same rows both ways: items/s of the facade / of the raw loop
    raw_rate = size * repeats / raw_total
    facade_rate = size * repeats / facade_total
    figure = f"{ratio:.2f}  ({facade_rate:,.0f} vs {raw_rate:,.0f} items/s)"
    met = "met" if ratio >= 0.95 else "NOT met"
    print(f"  {size:,} tasks: {repeats} walk(s) each way, interleaved page by page", flush=True)
    name = f"list_tasks(list_all=True), {size:,} tasks / raw requests loop"
    print(f"RESULT {name} | {figure} | >= 0.95 | {met}", flush=True)
    backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
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
        print(f"emulator {info['url']} (child process), python {sys.version.split()[0]}, "
              f"page size {args.page_size}", flush=True)
        for size in sorted(args.sizes):
            iteration(info["url"], info["token"], size, args.page_size, args.repeats)
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
