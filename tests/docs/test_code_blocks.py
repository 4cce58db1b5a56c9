"""Every Python example of the documentation runs against the emulator, so the docs cannot drift.

For each page (every ``docs/**/*.md`` but the API reference, which has no examples, and the pages
in ``NOT_EXECUTED``), the ``python`` blocks run in order in one namespace, like a reader typing
them into one session. Unless the page says ``<!-- docs-test: standalone -->``, the namespace
starts with ``client`` (a ``synapse.Client``) and ``emu`` (its ``Emulator``), a fresh emulator
with the demo seed. Blocks marked ``<!-- no-run: reason -->`` are compiled only; blocks marked
``<!-- pytest -->`` are test modules, run by pytest in a subprocess (see ``markdown_blocks``).

Each page runs in a temporary working directory with its own ``HOME`` and upload cache and no
``SYNAPSE_*`` variables; the environment and the ``synapse`` logger are restored afterwards.
Tracebacks name the Markdown file and line.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_blocks import Block, blocks, is_standalone

import synapse

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# Pages whose examples are not run here, and why.
NOT_EXECUTED = {
    "migration.md": "written with the BackendClient facade work; its examples are checked there",
}
MAX_NO_RUN = 6  # no-run is for what cannot run here (the real backend); keep it rare


def _pages() -> list[Path]:
    pages = []
    for page in sorted(DOCS.rglob("*.md")):
        rel = page.relative_to(DOCS)
        if rel.parts[0] == "reference" or rel.as_posix() in NOT_EXECUTED:
            continue
        pages.append(page)
    return pages


PAGES = _pages()


def _python_blocks(page: Path) -> list[Block]:
    return [b for b in blocks(page) if b.is_python]


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch working directory, a private HOME and cache, no SYNAPSE_* settings."""
    environ = dict(os.environ)
    loggers = {name: (lg.level, list(lg.handlers)) for name in ("", "synapse")
               for lg in [logging.getLogger(name)]}
    work = tmp_path / "work"
    work.mkdir()
    for name in list(os.environ):
        if name.startswith("SYNAPSE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(work)
    try:
        yield work
    finally:
        os.environ.clear()
        os.environ.update(environ)
        for name, (level, handlers) in loggers.items():
            lg = logging.getLogger(name)
            lg.setLevel(level)
            lg.handlers[:] = handlers


def _close_leftovers(namespace: dict[str, Any]) -> None:
    """Close emulators and clients a page left open (a failing block may skip its clean-up)."""
    from synapse.client import Client
    from synapse.emulator.server import Emulator

    for value in namespace.values():
        if isinstance(value, (Emulator, Client)):
            value.close()


def _run_blocks(page: Path, namespace: dict[str, Any]) -> int:
    ran = 0
    for block in _python_blocks(page):
        # Padding with blank lines makes tracebacks point at the Markdown line.
        code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
        if block.directive is not None:
            continue
        exec(code, namespace)
        ran += 1
    return ran


def _run_pytest_blocks(page: Path, folder: Path) -> None:
    tests = [b for b in _python_blocks(page) if b.directive == "pytest"]
    if not tests:
        return
    folder.mkdir()
    expected = 0
    for number, block in enumerate(tests, 1):
        name = block.argument or f"test_{page.stem.replace('-', '_')}_{number}.py"
        (folder / name).write_text(block.code, encoding="utf-8")
        expected += name.startswith("test_")
    report = folder / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", str(folder)],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"{page.name}: the pytest examples failed:\n{result.stdout[-6000:]}"
    cases = ET.parse(report).getroot().iter("testcase")
    files = {case.get("classname", "").split(".")[-1] for case in cases}
    assert len(files) >= expected, f"{page.name}: every pytest example must hold a test, ran {files}"


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples_run(
    page: Path, isolated: Path, synapse_emulator_factory: Callable[..., Any]
) -> None:
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    if not is_standalone(page):
        emu = synapse_emulator_factory()
        namespace.update(emu=emu, client=emu.client(synapse.Client))
    try:
        _run_blocks(page, namespace)
    finally:
        _close_leftovers(namespace)
    _run_pytest_blocks(page, isolated.parent / "pytest-examples")


def test_the_examples_cover_the_guides() -> None:
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    for required in ("getting-started.md", "concepts/querysets.md", "guides/ingesting.md",
                     "guides/plugins-and-jobs.md", "guides/testing.md", "configuration.md"):
        assert required in names
        runnable = [b for b in _python_blocks(DOCS / required) if b.directive != "no-run"]
        assert runnable, f"{required} has no runnable example"


def test_no_run_blocks_are_few_and_explained() -> None:
    skipped = [b for page in PAGES for b in _python_blocks(page) if b.directive == "no-run"]
    for block in skipped:
        assert block.argument, f"{block.where}: <!-- no-run: ... --> needs a reason"
    assert len(skipped) <= MAX_NO_RUN, [b.where for b in skipped]


def test_extractor_reads_indented_fences_and_directives(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "# t\n\n<!-- no-run: needs the real backend -->\n```python\nx = 1\n```\n\n"
        "!!! note\n    ```python\n    if True:\n        y = 2\n    ```\n\n"
        "<!-- pytest: conftest.py -->\n\n```py\nz = 3\n```\n```bash\nls\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.lang, b.directive, b.argument, b.line) for b in found] == [
        ("python", "no-run", "needs the real backend", 5),
        ("python", None, "", 10),
        ("py", "pytest", "conftest.py", 17),
        ("bash", None, "", 20),
    ]
    assert found[1].code == "if True:\n    y = 2\n"
    assert not is_standalone(page)


def test_a_failing_example_names_the_markdown_line(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text("# t\n\n```python\nok = 1\n```\n\n```python\n\nraise RuntimeError('drift')\n```\n")
    with pytest.raises(RuntimeError) as info:
        _run_blocks(page, {})
    assert info.traceback[-1].lineno + 1 == 9
    assert info.traceback[-1].path == page
