"""Cold start: ``python -c "import synapse"`` wall time and the modules it imports.

Each run is a fresh interpreter (subprocess), interleaved with ``python -c "pass"`` so the
interpreter's own start-up (and whatever ``site`` and ``.pth`` files load on this machine) is
measured in the same run; the difference is what ``import synapse`` itself costs. A third line
times ``from synapse import Client`` (the first real use: requests, attrs and the client load).

Checked, not timed: ``import synapse`` must not import pandas, tqdm, werkzeug or the emulator
(nor requests: the public names load lazily, PEP 562). Target: under 150 ms on this machine.

    python benchmarks/cold_start.py [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

FORBIDDEN = ("pandas", "tqdm", "werkzeug", "synapse.emulator", "requests")
TARGET_MS = 150.0

_LIST_MODULES = (
    "import sys, json; before = set(sys.modules); import synapse; "
    "print(json.dumps(sorted(set(sys.modules) - before)))"
)


def wall_ms(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - start) * 1000


def self_time_us(code: str) -> int:
    """Cumulative ``-X importtime`` of the top-level ``synapse`` import, in microseconds."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], check=True,
                         capture_output=True, text=True).stderr
    for line in err.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == "synapse":
            return int(parts[1])
    return -1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    for code in ("pass", "import synapse", "from synapse import Client"):  # warm the disk cache
        wall_ms(code)
    bare, light, client = [], [], []
    for _ in range(args.runs):
        bare.append(wall_ms("pass"))
        light.append(wall_ms("import synapse"))
        client.append(wall_ms("from synapse import Client"))
    bare_ms, import_ms, client_ms = (statistics.median(x) for x in (bare, light, client))
    own_us = statistics.median(self_time_us("import synapse") for _ in range(5))

    modules = json.loads(subprocess.run([sys.executable, "-c", _LIST_MODULES], check=True,
                                        capture_output=True, text=True).stdout)
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, medians")
    print(f'python -c "pass":                        {bare_ms:6.1f} ms  (interpreter and site start-up)')
    print(f'python -c "import synapse":              {import_ms:6.1f} ms  '
          f"(+{import_ms - bare_ms:.1f} ms; -X importtime of synapse: {own_us / 1000:.1f} ms)")
    print(f'python -c "from synapse import Client":  {client_ms:6.1f} ms  (+{client_ms - bare_ms:.1f} ms)')
    print(f"modules imported by `import synapse`: {len(modules)}: {', '.join(modules)}")
    clean = True
    for name in FORBIDDEN:
        hit = [m for m in modules if m == name or m.startswith(name + ".")]
        clean &= not hit
        print(f"  OK   {name} not imported" if not hit else f"  FAIL {name} IMPORTED: {', '.join(hit)}")
    met = import_ms < TARGET_MS
    print(f"RESULT cold start: python -c \"import synapse\" | {import_ms:.0f} ms "
          f"(interpreter alone {bare_ms:.0f} ms; synapse {own_us / 1000:.1f} ms) | < {TARGET_MS:.0f} ms | "
          f"{'met' if met else 'NOT met'}")
    forbidden = sum(1 for m in modules for name in FORBIDDEN if m == name or m.startswith(name + "."))
    print(f"RESULT import synapse: {'/'.join(FORBIDDEN)} imported | {forbidden} "
          f"({len(modules)} modules in all) | = 0 | {'met' if clean else 'NOT met'}")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
