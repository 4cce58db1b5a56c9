"""Upload benchmarks against the emulator on loopback (run: ``python benchmarks/uploads.py``).

Prints three figures, each against a baseline measured in the same run:

1. throughput of ``UploadService.upload`` (50 MiB chunks, MD5 while sending, resume bookkeeping)
   divided by a raw ``requests.put`` streaming the same bytes, as one multipart body, to the
   emulator's benchmark-only ``PUT _bench/hash/`` (which parses and MD5s a body like the chunked
   route). Target >= 0.8.
2. peak RSS growth of a process running one upload, at 50 MiB and 500 MiB chunks (measured in a
   fresh subprocess each: ``VmHWM`` after the upload minus ``VmHWM`` before it). Target < 32 MB.
3. ``upload_many`` of 2,000 small files with 8 workers versus 1 worker. Target >= 3x. Also printed:
   the CPU each side spends per file and the bound it sets: with one worker nothing waits on
   I/O over loopback, so no worker count can beat (wall time per file) / (CPU per file / cores),
   about 2x on 2 cores; and the same run with a simulated network round trip, where threads pay.

The emulator runs in its own process, so the client's numbers are not mixed with the server's
(CPU or memory). The big file is sparse (created with ``truncate`` in a temporary directory and
deleted at the end); ``--random`` writes random bytes instead.

Options: ``--size 256M`` for a quicker run, ``--files 500``, ``--repeat 3``, ``--skip rss,many``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

MiB = 1024 * 1024


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MiB, "G": 1024 * MiB}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


# ------------------------------------------------------------------ the emulator, in its own process


def _serve(queue: Any, stop: Any, latency: float) -> None:
    from synapse.emulator import Emulator

    with Emulator(seed="demo", bench_routes=True) as emu:
        if latency:  # a network round trip, simulated: the server thread sleeps (no CPU) first
            emu.faults.delay("*", seconds=latency, times=None)
        queue.put((emu.url, emu.token))
        stop.wait()


class EmulatorProcess:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency

    def __enter__(self) -> EmulatorProcess:
        ctx = multiprocessing.get_context("spawn")
        self._queue, self._stop = ctx.Queue(), ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(self._queue, self._stop, self.latency), daemon=True)
        self._proc.start()
        self.url, self.token = self._queue.get(timeout=60)
        self.pid = self._proc.pid
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.terminate()


# ------------------------------------------------------------------ 1. throughput


class RawMultipart:
    """The plainest streamed multipart body: head, the file read in 1 MiB blocks, tail. No hashing."""

    def __init__(self, path: Path) -> None:
        self.boundary = uuid.uuid4().hex
        b = self.boundary
        self._head = (
            f'--{b}\r\nContent-Disposition: form-data; name="filename"\r\n\r\n{path.name}\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()
        self._size = path.stat().st_size
        self._file = path.open("rb", buffering=0)
        self._state = 0
        self._buf = b""

    def __len__(self) -> int:
        return len(self._head) + self._size + len(self._tail)

    def read(self, n: int = -1) -> bytes:
        if not self._buf:
            if self._state == 0:
                self._buf, self._state = self._head, 1
            elif self._state == 1:
                self._buf = self._file.read(MiB)
                if not self._buf:
                    self._buf, self._state = self._tail, 2
            elif self._state == 2:
                self._state = 3
                return b""
            else:
                return b""
        out, self._buf = self._buf[:n], self._buf[n:]
        return out


def raw_put(url: str, token: str, path: Path) -> float:
    import requests

    body = RawMultipart(path)
    start = time.perf_counter()
    response = requests.put(
        url + "_bench/hash/", data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}",
                 "Synapse-Access-Token": f"Token {token}"},
        timeout=(5, 600),
    )
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    assert response.json()["size"] == path.stat().st_size, response.text
    return elapsed


def sdk_upload(url: str, token: str, path: Path, chunk_size: int) -> float:
    from synapse import Client
    from synapse.services.uploads.service import UploadService

    with Client(base_url=url, api_token=token) as client:
        service = UploadService(client)
        start = time.perf_counter()
        done = service.upload(path, chunk_size=chunk_size)
        elapsed = time.perf_counter() - start
    assert done.size == path.stat().st_size
    return elapsed


def bench_throughput(url: str, token: str, path: Path, repeat: int) -> dict[str, float]:
    size = path.stat().st_size
    raws, sdks = [], []
    for _ in range(repeat):  # interleaved, so a busy moment of the machine hits both
        raws.append(raw_put(url, token, path))
        sdks.append(sdk_upload(url, token, path, 50 * MiB))
    raw, sdk = statistics.median(raws), statistics.median(sdks)
    return {"raw_mib_s": size / MiB / raw, "sdk_mib_s": size / MiB / sdk, "ratio": raw / sdk}


# ------------------------------------------------------------------ 2. peak RSS, in a subprocess


def _vm_hwm_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def rss_child(url: str, token: str, path: Path, chunk_size: int) -> None:
    from synapse import Client
    from synapse.services.uploads.service import UploadService

    client = Client(base_url=url, api_token=token)
    service = UploadService(client)
    small = path.with_suffix(".warm")
    small.write_bytes(b"warm-up")
    service.upload(small)  # import and connection costs are paid before the baseline
    before = _vm_hwm_kib()
    service.upload(path, chunk_size=chunk_size)
    after = _vm_hwm_kib()
    print(f"RSS_GROWTH_KIB {after - before}")


def bench_rss(url: str, token: str, path: Path, chunk_size: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", url, token, str(path), str(chunk_size)],
        check=True, capture_output=True, text=True,
    ).stdout
    kib = int(next(line for line in out.splitlines() if line.startswith("RSS_GROWTH_KIB")).split()[1])
    return kib / 1024


# ------------------------------------------------------------------ 3. upload_many


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default), from /proc."""
    with open(f"/proc/{pid or 'self'}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_many(url: str, token: str, folder: Path, n: int, server_pid: int) -> dict[str, float]:
    from synapse import Client
    from synapse.services.ingest import upload_many

    def files(tag: str) -> list[dict[str, Any]]:
        d = folder / tag
        d.mkdir(parents=True)
        items = []
        for i in range(n):
            p = d / f"{i}.bin"
            p.write_bytes(os.urandom(4096))
            items.append({"files": {"image_1": p}, "meta": {"i": i}})
        return items

    with Client(base_url=url, api_token=token) as client:
        spec = [{"name": "image_1", "file_type": "image", "is_required": True, "is_primary": True}]
        collection = client.transport.request(
            "POST", "data_collections/", json={"name": "bench", "file_specifications": spec}
        )["id"]
        times = {}
        for workers in (1, 8):
            items = files(f"w{workers}")  # fresh content: nothing can be skipped as already there
            cpu_client, cpu_server = cpu_seconds(), cpu_seconds(server_pid)
            start = time.perf_counter()
            report = upload_many(client, collection, items, workers=workers)
            times[workers] = time.perf_counter() - start
            assert report.ok, report.errors
            if workers == 1:
                client_ms = (cpu_seconds() - cpu_client) / n * 1000
                server_ms = (cpu_seconds(server_pid) - cpu_server) / n * 1000
    return {"one_s": times[1], "eight_s": times[8], "speedup": times[1] / times[8],
            "files_s_8": n / times[8], "client_cpu_ms": client_ms, "server_cpu_ms": server_ms}


def bench_raw_posts(url: str, token: str, n: int) -> float:
    """The ceiling on this machine: plain requests POSTing small data files, 8 threads / 1 thread."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session = requests.Session()
    headers = {"Synapse-Access-Token": f"Token {token}"}

    def post(data: bytes) -> None:
        session.post(url + "data_files/", files={"file": ("x.bin", data)}, headers=headers).raise_for_status()

    times = {}
    for workers in (1, 8):
        blobs = [os.urandom(4096) for _ in range(n)]
        start = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(post, blobs))
        times[workers] = time.perf_counter() - start
    return times[1] / times[8]


# ------------------------------------------------------------------ main


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--rss-child":
        _, _, url, token, path, chunk = sys.argv
        rss_child(url, token, Path(path), int(chunk))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="1G", help="size of the big file (default 1G)")
    parser.add_argument("--files", type=int, default=2000, help="small files for upload_many (default 2000)")
    parser.add_argument("--repeat", type=int, default=2, help="throughput runs of each side (default 2)")
    parser.add_argument("--random", action="store_true", help="random content instead of a sparse file")
    parser.add_argument("--skip", default="", help="comma list of: throughput, rss, many")
    parser.add_argument("--latency-ms", type=float, default=20.0,
                        help="simulated round trip for the second upload_many run (default 20 ms; 0: skip)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    size = parse_size(args.size)
    print(f"machine: {os.cpu_count()} cpus, python {sys.version.split()[0]}, file {size / MiB:.0f} MiB")
    with tempfile.TemporaryDirectory(prefix="synapse-bench-") as tmp, EmulatorProcess() as emu:
        os.environ["SYNAPSE_CACHE_DIR"] = str(Path(tmp) / "cache")
        big = Path(tmp) / "big.bin"
        if args.random:
            with big.open("wb") as fh:
                for _ in range(0, size, 64 * MiB):
                    fh.write(os.urandom(min(64 * MiB, size - fh.tell())))
        else:
            with big.open("wb") as fh:
                fh.truncate(size)
        rows: list[tuple[str, str, str]] = []
        if "throughput" not in skip:
            t = bench_throughput(emu.url, emu.token, big, args.repeat)
            figure = f"{t['ratio']:.2f}x  ({t['sdk_mib_s']:.0f} vs {t['raw_mib_s']:.0f} MiB/s)"
            rows.append(("upload / raw streaming PUT (50 MiB chunks)", figure, ">= 0.8"))
        if "rss" not in skip:
            for chunk in (50 * MiB, 500 * MiB):
                mb = bench_rss(emu.url, emu.token, big, chunk)
                rows.append((f"peak RSS growth, {chunk // MiB} MiB chunks", f"{mb:.1f} MiB", "< 32 MB"))
        if "many" not in skip:
            m = bench_many(emu.url, emu.token, Path(tmp) / "loopback", args.files, emu.pid)
            rows.append((f"upload_many {args.files} files: 8 workers / 1 worker",
                         f"{m['speedup']:.2f}x  ({m['one_s']:.1f} s vs {m['eight_s']:.1f} s, "
                         f"{m['files_s_8']:.0f} files/s)", ">= 3x"))
            rows.append(("  CPU per file (1 worker): client / emulator",
                         f"{m['client_cpu_ms']:.1f} ms / {m['server_cpu_ms']:.1f} ms", "(2 cores, shared)"))
            # With one worker the two processes take turns: its wall time per file is the CPU
            # both spend on it plus any wait on I/O. N workers cannot finish a file in less than
            # that CPU spread over every core, so this is the most any worker count can gain.
            cores = os.cpu_count() or 1
            wall_ms = m["one_s"] / args.files * 1000
            cpu_ms = m["client_cpu_ms"] + m["server_cpu_ms"]
            rows.append(("  bound: 1-worker wall per file / (its CPU spread over all cores)",
                         f"{wall_ms / (cpu_ms / cores):.2f}x  ({wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU, "
                         f"{cores} cores)", "(no worker count can beat it)"))
            ceiling = bench_raw_posts(emu.url, emu.token, min(args.files, 500))
            rows.append(("  ceiling: raw requests POST data_files/, 8 / 1 threads", f"{ceiling:.2f}x",
                         "(same machine)"))
    if "many" not in skip and args.latency_ms > 0:
        with tempfile.TemporaryDirectory(prefix="synapse-bench-") as tmp, \
                EmulatorProcess(latency=args.latency_ms / 1000) as slow:
            os.environ["SYNAPSE_CACHE_DIR"] = str(Path(tmp) / "cache")
            m = bench_many(slow.url, slow.token, Path(tmp), args.files, slow.pid)
            rows.append((f"upload_many, {args.latency_ms:g} ms simulated round trip: 8 / 1 workers",
                         f"{m['speedup']:.2f}x  ({m['one_s']:.1f} s vs {m['eight_s']:.1f} s)", ">= 3x"))
    width = max(len(r[0]) for r in rows) if rows else 10
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<48}  target {target}")


if __name__ == "__main__":
    main()
