"""`synapse ls -f` and `--order-by` check the names as the QuerySet does (issue 14, item 1)."""

from __future__ import annotations

from cli_run import Run

from synapse.emulator import Emulator


def test_a_misspelt_filter_is_a_usage_error_naming_the_closest(synapse_cli: Run, emu: Emulator) -> None:
    emu.requests.clear()
    result = synapse_cli("ls", "tasks", "-f", "statsu_label=completed")
    assert result.returncode == 2, result.stderr
    assert "statsu_label: no such filter on Task; did you mean status_label?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not [r for r in emu.requests.snapshot() if r.path.startswith("/sdk/tasks")]


def test_an_unknown_ordering_is_a_usage_error(synapse_cli: Run) -> None:
    result = synapse_cli("ls", "projects", "--order-by", "-titel")
    assert result.returncode == 2 and "did you mean title?" in result.stderr, result.stderr
