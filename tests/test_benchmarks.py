"""The benchmark scripts still run, and the runner reads their figures back (no timing is asserted).

Benchmarks are scripts, not tests (benchmarks/README.md); these tests only keep them working:
one object-model run at a tiny size against its own emulator child, and the runner's parsers
and verdicts on the lines the scripts print.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import run_all  # noqa: E402


def _figures(script: str, *args: str, timeout: int = 180) -> dict[str, tuple[str, str]]:
    """Run ``benchmarks/<script>.py`` with ``args``; its rows as the runner reads them.

    Returns measurement -> (figure, target).
    """
    out = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), *args], capture_output=True, text=True, timeout=timeout,
        check=True,
    ).stdout
    return {measurement: (figure, target) for measurement, figure, target in run_all.PARSERS[script](out)}


def test_the_object_model_benchmark_runs_and_its_figures_are_read_back() -> None:
    rows = _figures("object_model", "--sizes", "250", "--rounds", "5", "--repeats", "1", timeout=120)
    assert rows["requests: count() / qs[:250] at page size 100"] == ("1 / 3", "1 / 3")
    figure, target = rows["iteration: 250 tasks, QuerySet / raw loop following next"]
    assert target == ">= 0.95" and float(figure.split()[0]) > 0
    assert run_all.verdict(*rows["requests: count() / qs[:250] at page size 100"]) == "met"
    assert "per call: projects.get (cache off) / requests get().json()" in rows


def test_the_facade_benchmark_runs_and_its_figure_is_read_back() -> None:
    rows = _figures("facade", "--sizes", "250", "--repeats", "1", timeout=120)
    ((measurement, (figure, target)),) = rows.items()
    assert measurement == "list_tasks(list_all=True), 250 tasks / raw requests loop"
    assert target == ">= 0.95" and float(figure.split()[0]) > 0
    assert "facade" in run_all.SCRIPTS


def test_the_datasets_benchmark_runs_and_its_figures_are_read_back() -> None:
    rows = _figures("datasets", "--tasks", "2000", "--repeats", "1", "--rounds", "1", "--latency-ms", "5")
    figure, target = rows["ds.download() 120 files, 5 ms simulated round trip: 8 / 1 workers"]
    assert target == ">= 4x" and float(figure.split("x")[0]) > 0
    figure, target = rows["ds[i] from the cache, 120 items of 320x240 PNG"]
    assert target == "(context)" and figure.endswith("with masks=True)")
    (counted,) = [m for m in rows if m.startswith("class_counts() over 2,000 tasks (")]
    assert rows[counted][1] == "(context)" and rows[counted][0].endswith(" tasks/s")
    figure, target = rows["class_counts(): peak memory growth, 2,000 tasks"]
    assert run_all.verdict(figure, target) == "met"
    assert "datasets" in run_all.SCRIPTS


def test_the_convert_benchmark_runs_and_its_figures_are_read_back() -> None:
    rows = _figures("convert", "--n", "200")
    figure, target = rows["convert dm -> coco, 200 items, annotations only"]
    assert target == "(context)" and float(figure.split()[0].replace(",", "")) > 0
    figure, target = rows["convert dm -> coco: peak memory growth, 200 items"]
    assert run_all.verdict(figure, target) == "met"
    assert "convert" in run_all.SCRIPTS


def test_the_export_benchmark_runs_and_its_figures_are_read_back() -> None:
    rows = _figures("export", "--n", "200", "--large", "1000", "--repeats", "1", "--latency-ms", "5")
    figure, target = rows["export coco of 200 tasks, annotations only / raw requests loop"]
    assert target == ">= 0.8" and float(figure.split()[0]) > 0
    figure, target = rows["bound: raw loop wall / export client CPU, per task"]
    assert target == "(no overlap can beat it)" and run_all.verdict(figure, target) == ""
    figure, target = rows["export: peak memory growth, 1,000 tasks"]
    assert run_all.verdict(figure, target) == "met" and figure.endswith("MB at 200)")
    figure, target = rows["export with media, 120 files, 5 ms simulated round trip: 8 / 1 workers"]
    assert target == ">= 4x" and float(figure.split("x")[0]) > 0
    assert "export" in run_all.SCRIPTS


UPLOADS_OUTPUT = """machine: 2 cpus, python 3.11.7, file 1024 MiB
upload_many 1000 files: 8 workers / 1 worker  1.35x  (4.3 s vs 3.1 s, 318 files/s)  target >= 3x
  bound: 1-worker wall per file / (CPU / cores)  1.92x  (4.3 ms wall)  target (no worker count)
upload_many, 5 ms simulated round trip: 8 / 1 workers  3.55x  (11.1 s vs 3.1 s)  target >= 3x
"""


def test_upload_rows_and_their_verdicts() -> None:
    rows = run_all._uploads_rows(UPLOADS_OUTPUT)
    assert [(r[0].split(":")[0], run_all.verdict(r[1], r[2])) for r in rows] == [
        ("upload_many 1000 files", "NOT met"),
        ("bound", ""),  # context, not a target
        ("upload_many, 5 ms simulated round trip", "met"),
    ]


@pytest.mark.parametrize(
    ("figure", "target", "verdict"),
    [("0.99  (1 vs 2)", ">= 0.95", "met"), ("0.94", ">= 0.95", "NOT met"), ("72 ms", "< 150 ms", "met"),
     ("1,476 req/s", ">= 1000", "met"), ("1 / 4", "1 / 3", "NOT met"), ("2.7 MiB", "(context)", "")],
)
def test_verdicts(figure: str, target: str, verdict: str) -> None:
    assert run_all.verdict(figure, target) == verdict
