"""Bulk creation: 10,000 tasks with ``bulk_create`` against one ``create()`` POST per task.

Both run in the same process against the same emulator (a child process, so its CPU is not the
client's), creating the same tasks in the same project. ``bulk_create`` sends one POST of up to
1,000 tasks per batch (API.md); the baseline is what a user writes without it, one
``client.tasks.create(...)`` per task. The figure is the ratio of tasks per second (target >= 20x).
A third line gives plain ``requests.Session().post`` per task, to show where the per-task cost
goes (the round trip, not the SDK).

    python benchmarks/bulk.py              # 10,000 tasks each way
    python benchmarks/bulk.py --n 2000     # a quicker run
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from uploads import EmulatorProcess  # the same child-process emulator

import synapse

PROJECT = 2
UNITS = 320  # demo seed: data units 1-320


def count(client: synapse.Client) -> int:
    return client.tasks.filter(project=PROJECT).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="tasks created each way (default 10,000)")
    parser.add_argument("--raw", type=int, default=2_000, help="tasks for the plain-requests line (0: skip)")
    args = parser.parse_args()
    n = args.n
    units = [1 + i % UNITS for i in range(n)]
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, {n:,} tasks each way")
    with EmulatorProcess() as emu:
        client = synapse.Client(base_url=emu.url, api_token=emu.token)
        client.tasks.create(project=PROJECT, data_unit=1)  # connections and code paths warm
        before = count(client)

        start = time.perf_counter()
        created = client.tasks.bulk_create(data_units=units, project=PROJECT)
        bulk_s = time.perf_counter() - start
        assert len(created) == n and count(client) == before + n

        start = time.perf_counter()
        for unit in units:
            client.tasks.create(project=PROJECT, data_unit=unit)
        single_s = time.perf_counter() - start
        assert count(client) == before + 2 * n

        raw_rate = None
        if args.raw:
            session = requests.Session()
            session.headers["Synapse-Access-Token"] = f"Token {emu.token}"
            start = time.perf_counter()
            for unit in units[: args.raw]:
                body = [{"project": PROJECT, "data_unit": unit}]
                session.post(emu.url + "tasks/", json=body).raise_for_status()
            raw_rate = args.raw / (time.perf_counter() - start)
        client.close()

    bulk_rate, single_rate = n / bulk_s, n / single_s
    ratio = bulk_rate / single_rate
    print(f"bulk_create:        {bulk_s:7.2f} s  {bulk_rate:9,.0f} tasks/s  ({-(-n // 1000)} POSTs)")
    print(f"create() per task:  {single_s:7.2f} s  {single_rate:9,.0f} tasks/s  ({n:,} POSTs)")
    if raw_rate is not None:
        print(f"requests per task:  {args.raw / raw_rate:7.2f} s  {raw_rate:9,.0f} tasks/s  "
              f"({args.raw:,} POSTs, plain requests.Session)")
    verdict = "met" if ratio >= 20 else "NOT met"
    print(f"RESULT bulk_create / one POST per task ({n:,} tasks) | {ratio:.1f}x "
          f"({bulk_rate:,.0f} vs {single_rate:,.0f} tasks/s) | >= 20x | {verdict}")


if __name__ == "__main__":
    main()
