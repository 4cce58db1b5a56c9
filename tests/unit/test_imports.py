"""Every public module imports on its own, first, in a fresh interpreter (no import cycles)."""

from __future__ import annotations

import subprocess
import sys

import pytest

MODULES = [
    "synapse.client",
    "synapse.config",
    "synapse.transport",
    "synapse.errors",
    "synapse.orm.queryset",
    "synapse.cache",
    "synapse.resources",
    "synapse.resources.tasks",
    "synapse.resources.jobs",
    "synapse.services.uploads.service",
    "synapse.services.ingest",
    "synapse.services.downloads",
    "synapse.services.jobs",
    "synapse.display",
    "synapse.clients.backend",
    "synapse.clients.exceptions",
    "synapse.cli",
    "synapse.testing",
    "synapse.emulator",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_the_annotations_and_formats_subpackages_import_by_name() -> None:
    import subprocess
    import sys

    code = (
        "from synapse import annotations as ann, formats\n"
        "assert ann.Document.__name__ == 'Document'\n"
        "assert callable(formats.convert)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
