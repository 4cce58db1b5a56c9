"""Load on the emulator over loopback: requests per second and latency.

Run: ``python benchmarks/emulator_load.py [--threads 4] [--seconds 3]``.

The emulator runs in a child process (its own interpreter and GIL), driven by several client
threads in this process over keep-alive connections. Measured, each for ``--seconds``:

- GET detail (``projects/1/``, ``tasks/{id}/``), list pages of 100 (``sdk/tasks/``), task creation
  (``POST tasks/``, one task per request), with lean ``http.client`` clients;
- GET detail again with ``requests.Session`` clients (what the SDK uses; client CPU counts here);
- the baseline: the same HTTP server (cheroot) answering a constant JSON body with a bare WSGI
  function, measured in the same run, so ``emulator / baseline`` shows what the emulator's own
  work (routing, auth, SQLite, JSON, request log) costs.

Target (issue 3): at least 1,000 detail GETs per second on this 2-core machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

CHILD = r"""
import sys
kind = sys.argv[1]
if kind == "emulator":
    from synapse.emulator import Emulator
    emu = Emulator(seed="demo", request_log_size=10_000).start()
    print(emu.url, flush=True)
else:
    from synapse.emulator.httpserver import make_http_server
    BODY = b'{"id":1,"title":"Street scenes annotation"}'
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
        return [BODY]
    server = make_http_server(app, "127.0.0.1", 0)
    server.start()
    print(f"http://127.0.0.1:{server.port}/", flush=True)
sys.stdin.read()
"""

TOKEN = {"Synapse-Access-Token": "Token dev-token"}
Request = tuple[str, str, bytes | None]


@contextmanager
def child(kind: str) -> Iterator[str]:
    """Run a server in a child process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_http_client(
    url: str, make: Callable[[random.Random], Request], threads: int, seconds: float
) -> tuple[int, list[float], int]:
    """Drive ``url`` from ``threads`` keep-alive http.client connections; (requests, latencies, errors)."""
    parts = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        rng = random.Random(index)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            method, path, body = make(rng)
            headers = dict(TOKEN)
            if body is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - started)
            if response.status >= 400:
                errors[index] += 1
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    flat = [x for per in latencies for x in per]
    return len(flat), flat, sum(errors)


def run_requests_client(url: str, path: str, threads: int, seconds: float) -> tuple[int, list[float], int]:
    """The same with ``requests.Session`` per thread (environment proxies resolved once)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    deadline = time.perf_counter() + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        session.trust_env = False
        session.headers.update(TOKEN)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = session.get(url + path.lstrip("/"))
            response.json()
            latencies[index].append(time.perf_counter() - started)
            errors[index] += response.status_code >= 400
        session.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    flat = [x for per in latencies for x in per]
    return len(flat), flat, sum(errors)


Result = tuple[int, list[float], int]


def row(name: str, result: Result, seconds: float) -> tuple[str, float, float, float, int]:
    count, lat, errors = result
    lat.sort()
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    return name, count / seconds, p50, p99, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each measurement (default 3)")
    args = parser.parse_args()
    threads, seconds = args.threads, args.seconds
    rows = []
    with child("baseline") as base_url:
        base_path = urlsplit(base_url).path + "projects/1/"
        baseline = row(
            "baseline: bare WSGI on the same server",
            run_http_client(base_url, lambda rng: ("GET", base_path, None), threads, seconds),
            seconds,
        )
    with child("emulator") as url:
        prefix = urlsplit(url).path
        rows.append(
            row(
                "GET detail projects/1/",
                run_http_client(url, lambda rng: ("GET", prefix + "projects/1/", None), threads, seconds),
                seconds,
            )
        )
        detail = run_http_client(
            url, lambda rng: ("GET", f"{prefix}tasks/{rng.randint(1, 320)}/", None), threads, seconds
        )
        rows.append(row("GET detail tasks/{id}/", detail, seconds))
        page = f"{prefix}sdk/tasks/?project=1&page_size=100&page="
        pages = run_http_client(
            url, lambda rng: ("GET", page + str(rng.randint(1, 4)), None), threads, seconds
        )
        rows.append(row("GET list sdk/tasks/ page of 100", pages, seconds))
        body = json.dumps([{"project": 2, "data_unit": 1}]).encode()
        rows.append(
            row(
                "POST tasks/ (one task each)",
                run_http_client(url, lambda rng: ("POST", prefix + "tasks/", body), threads, seconds),
                seconds,
            )
        )
        rows.append(
            row(
                "GET detail, requests.Session clients",
                run_requests_client(url, "projects/1/", threads, seconds),
                seconds,
            )
        )
    rows.append(baseline)
    width = max(len(r[0]) for r in rows)
    print(
        f"emulator load: {threads} client threads, {seconds:g} s per line, server in a child process, "
        f"python {sys.version.split()[0]}"
    )
    print(f"{'measurement':<{width}}  {'req/s':>8}  {'p50 ms':>7}  {'p99 ms':>7}  {'errors':>6}")
    for name, rate, p50, p99, errors in rows:
        print(f"{name:<{width}}  {rate:>8.0f}  {p50:>7.2f}  {p99:>7.2f}  {errors:>6}")
    detail = rows[0][1]
    print(
        f"GET detail / baseline: {detail / baseline[1]:.2f}  (target: >= 1,000 detail GETs/s: "
        f"{'met' if detail >= 1000 else 'NOT met'} with {detail:.0f}/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
