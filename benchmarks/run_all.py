"""Run every benchmark, one after the other, and print one table of the figures against their targets.

Each benchmark is its own script (``python benchmarks/<name>.py`` runs it alone) and measures its
baseline in the same run; this runner starts them in turn as subprocesses, shows their output
as it comes, then reads the figures back out of it:

    python benchmarks/run_all.py            # everything, full sizes (about 5 minutes on 2 cores)
    python benchmarks/run_all.py --quick    # smaller sizes (about 1 minute)
    python benchmarks/run_all.py --only bulk,cold_start

Scripts: cold_start, transport, object_model, facade, bulk, uploads, emulator_load, datasets, convert,
export.
Nothing here is a test: a figure that misses its target is printed as such, and the exit status
stays 0 unless a script fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

Row = tuple[str, str, str]  # (measurement, figure, target)

# name -> (full arguments, quick arguments)
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "cold_start": (["--runs", "20"], ["--runs", "8"]),
    "transport": (["--rounds", "3000"], ["--rounds", "800"]),
    "object_model": ([], ["--sizes", "10000", "--rounds", "100", "--repeats", "2"]),
    "facade": ([], ["--sizes", "10000", "--repeats", "2"]),
    "bulk": (["--n", "10000"], ["--n", "2000", "--raw", "500"]),
    "uploads": ([], ["--size", "256M", "--files", "500", "--repeat", "1", "--latency-ms", "0"]),
    "emulator_load": (["--seconds", "3"], ["--seconds", "1"]),
    "datasets": ([], ["--tasks", "10000", "--repeats", "1", "--rounds", "2"]),
    "convert": (["--n", "10000"], ["--n", "2000"]),
    "export": ([], ["--n", "2000", "--large", "10000", "--repeats", "1"]),
}


def _result_rows(out: str) -> list[Row]:
    """``RESULT name | figure | target | met`` lines (the scripts written for this runner)."""
    rows = []
    for line in out.splitlines():
        if line.startswith("RESULT "):
            parts = [p.strip() for p in line.removeprefix("RESULT ").split("|")]
            if len(parts) >= 3:
                rows.append((parts[0], parts[1], parts[2]))
    return rows


def _transport_rows(out: str) -> list[Row]:
    rows = []
    pattern = r"^\s*(.+?): requests\s+(\d+) us\s+transport\s+(\d+) us\s+ratio ([\d.]+)"
    for m in re.finditer(pattern, out, re.M):
        rows.append((f"Transport.get / requests get().json() ({m[1]})",
                     f"{m[4]}  ({m[3]} vs {m[2]} us)", "<= 1.0"))
    return rows


def _object_model_rows(out: str) -> list[Row]:
    rows = []
    m = re.search(r"\(a\) projects.get, cache off:\s+([\d.]+) us\s+raw requests:\s+([\d.]+) us\s+"
                  r"ratio sdk/raw = ([\d.]+)", out)
    if m:
        rows.append(("per call: projects.get (cache off) / requests get().json()",
                     f"{m[3]}  ({m[1]} vs {m[2]} us)", "<= 1.0"))
    m = re.search(r"\(b\) .*?raw/cached = (\d+)x", out)
    if m:
        rows.append(("per call: raw request / cached projects.get", f"{m[1]}x", ">= 50x"))
    pattern = (r"\(c\)\s+([\d,]+) tasks: peak memory growth\s+([\d.]+) MB.*?sdk\s+([\d,]+) items/s\s+"
               r"raw\s+([\d,]+) items/s\s+ratio = ([\d.]+)")
    for m in re.finditer(pattern, out):
        rows.append((f"iteration: {m[1]} tasks, QuerySet / raw loop following next",
                     f"{m[5]}  ({m[3]} vs {m[4]} items/s)", ">= 0.95"))
        rows.append((f"iteration: {m[1]} tasks, peak memory growth", f"{m[2]} MB", "< 30 MB"))
    m = re.search(r"\(d\) count\(\) sent (\d+) request.*?sent (\d+) request", out)
    if m:
        rows.append(("requests: count() / qs[:250] at page size 100", f"{m[1]} / {m[2]}", "1 / 3"))
    return rows


def _uploads_rows(out: str) -> list[Row]:
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s*(\S.*?)\s{2,}(\S.*?)\s{2,}target (.+)$", line)
        if m:
            rows.append((m[1].strip(), m[2].strip(), m[3].strip()))
    return rows


def _emulator_rows(out: str) -> list[Row]:
    rows = []
    m = re.search(r"^GET detail projects/1/\s+(\d+)\s+([\d.]+)\s+([\d.]+)", out, re.M)
    if m:
        rows.append(("emulator: GET detail per second (4 threads)", f"{m[1]} req/s (p50 {m[2]} ms)",
                     ">= 1000"))
    m = re.search(r"^POST tasks/ \(one task each\)\s+(\d+)", out, re.M)
    if m:
        rows.append(("emulator: POST tasks/ per second (4 threads)", f"{m[1]} req/s", "(context)"))
    return rows


PARSERS: dict[str, Callable[[str], list[Row]]] = {
    "cold_start": _result_rows,
    "transport": _transport_rows,
    "object_model": _object_model_rows,
    "facade": _result_rows,
    "bulk": _result_rows,
    "uploads": _uploads_rows,
    "emulator_load": _emulator_rows,
    "datasets": _result_rows,
    "convert": _result_rows,
    "export": _result_rows,
}


def verdict(figure: str, target: str) -> str:
    """``met``/``NOT met`` when the target is a comparison with a number, else blank."""
    t = re.match(r"\s*(<=|>=|<|>|=)\s*([\d.,]+)", target)
    f = re.match(r"\s*([\d.,]+)", figure)
    if not t or not f:
        if "/" in target and not target.startswith("("):  # "1 / 3": compared as written
            return "met" if figure == target else "NOT met"
        return ""
    value, bound = float(f[1].replace(",", "")), float(t[2].replace(",", ""))
    ok = {"<=": value <= bound, ">=": value >= bound, "<": value < bound, ">": value > bound,
          "=": value == bound}[t[1]]
    return "met" if ok else "NOT met"


def run(name: str, arguments: list[str]) -> tuple[str, int, float]:
    """Run one script, echoing its output; return (output, exit status, seconds)."""
    print(f"\n===== {name}: python benchmarks/{name}.py {' '.join(arguments)}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / f"{name}.py"), *arguments], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=HERE.parent)
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return "".join(lines), proc.wait(), time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for every script")
    parser.add_argument("--only", default="", help=f"comma list of: {', '.join(SCRIPTS)}")
    args = parser.parse_args()
    chosen = [n for n in args.only.split(",") if n] or list(SCRIPTS)
    unknown = set(chosen) - set(SCRIPTS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    rows: list[tuple[str, str, str, str]] = []
    failures = []
    timings = []
    for name in chosen:
        full, quick = SCRIPTS[name]
        out, status, seconds = run(name, quick if args.quick else full)
        timings.append(f"{name} {seconds:.0f} s")
        if status != 0:
            failures.append(name)
        found = PARSERS[name](out)
        if not found:
            rows.append((name, "(no figure found: see its output above)", "", ""))
        rows.extend((name, *row) for row in found)

    print("\n" + "=" * 100)
    mode = " (--quick)" if args.quick else ""
    print(f"synapse benchmarks{mode}: {platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"run times: {', '.join(timings)}")
    width = max(len(r[1]) for r in rows)
    fwidth = min(48, max(len(r[2]) for r in rows))
    print(f"{'script':<14} {'measurement':<{width}}  {'figure':<{fwidth}}  {'target':<10}  result")
    for name, measurement, figure, target in rows:
        result = verdict(figure, target)
        print(f"{name:<14} {measurement:<{width}}  {figure:<{fwidth}}  {target:<10}  {result}")
    if failures:
        print(f"FAILED scripts: {', '.join(failures)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
