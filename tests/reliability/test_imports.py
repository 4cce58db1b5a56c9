"""Every public entry point imports on its own, in a fresh interpreter (no import-order luck)."""

from __future__ import annotations

import subprocess
import sys

import pytest

ENTRY_POINTS = [
    "from synapse import QuerySet",
    "from synapse.query import QuerySet, query_value",
    "from synapse import Task, Project, Client",
    "import synapse.uploads",
    "import synapse.downloads",
    "import synapse.ingest",
    "import synapse.jobs",
    "from synapse.resources.tasks import Task",
    "from synapse.clients.exceptions import ClientError",
]


@pytest.mark.parametrize("statement", ENTRY_POINTS)
def test_entry_point_imports_in_a_fresh_interpreter(statement: str) -> None:
    result = subprocess.run([sys.executable, "-c", statement], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
