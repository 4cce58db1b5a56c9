"""What a type checker sees of the public API: ``mypy --strict`` on a user's snippet.

A manager's query methods return its QuerySet class (``client.tasks.filter()`` is a
``TaskQuerySet``, with ``export`` and no ``create``); the names of ``synapse`` are exported
explicitly, so ``synapse.Client`` passes ``--no-implicit-reexport``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SNIPPET = '''
from typing_extensions import assert_type

import synapse
from synapse.orm.queryset import QuerySet
from synapse.resources.jobs import JobQuerySet
from synapse.resources.tasks import TaskQuerySet

client = synapse.Client(base_url="http://127.0.0.1:1/", api_token="t")
assert_type(client.tasks.filter(project=1), TaskQuerySet)
assert_type(client.tasks.all().order_by("id")[:10], TaskQuerySet)
assert_type(client.tasks[3], synapse.Task)
assert_type(client.tasks.get(3), synapse.Task)
assert_type(client.projects.filter(), QuerySet[synapse.Project])
assert_type(client.projects.filter().first(), synapse.Project | None)
assert_type(client.jobs.filter(status="running"), JobQuerySet)
assert_type(client.projects.get(1).tasks.filter(status_label="completed"), TaskQuerySet)
assert_type(client.tasks.create(project=1, data_unit=2), synapse.Task)
report = client.tasks.filter(project=1).export("coco", "out", media=False)
client.tasks.filter(project=1).create(project=1, data_unit=2)  # wrong: a QuerySet creates nothing
'''


def test_query_methods_of_a_manager_are_typed_as_its_queryset(tmp_path: Path) -> None:
    snippet = tmp_path / "snippet.py"
    text = textwrap.dedent(SNIPPET).lstrip()
    snippet.write_text(text, encoding="utf-8")
    wrong = next(n for n, line in enumerate(text.splitlines(), 1) if "# wrong" in line)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "cache"), str(snippet)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, "MYPYPATH": str(ROOT)}, timeout=300,
    )
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, done.stdout + done.stderr
    assert errors[0].startswith(f"{snippet}:{wrong}:")
    assert '"TaskQuerySet" has no attribute "create"' in errors[0]
