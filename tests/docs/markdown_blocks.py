"""Find the fenced code blocks of a Markdown page, with the test directive written above each.

Directives are HTML comments (invisible on the site) on the last non-blank line before a fence:

- ``<!-- no-run: why -->``: the block is only compiled, never run (it needs something this
  machine cannot give, e.g. the real backend). The reason is required.
- ``<!-- pytest -->`` or ``<!-- pytest: conftest.py -->``: the block is a test module (or the named
  file); the page's pytest blocks are written to a folder and run by pytest in a subprocess.

A page-level directive ``<!-- docs-test: standalone -->`` (anywhere on the page) says the page
starts its own emulator: its blocks run without the pre-bound ``client`` and ``emu``.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

PYTHON = frozenset({"python", "py", "python3"})
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^`]*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*(?P<name>no-run|pytest)\s*(?::\s*(?P<arg>.*?))?\s*-->\s*$")
STANDALONE = "<!-- docs-test: standalone -->"


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, code (dedented), first code line (1-based) and directive."""

    page: Path
    lang: str
    code: str
    line: int
    directive: str | None = None  # None, "no-run" or "pytest"
    argument: str = ""  # the no-run reason, or the pytest file name

    @property
    def is_python(self) -> bool:
        return self.lang.lower() in PYTHON

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """Return every fenced block of ``page`` in order (nested fences are not expected)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"]
        close = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = i + 1
        while end < len(lines) and not close.match(lines[end]):
            end += 1
        if end == len(lines):
            raise ValueError(f"{page.name}:{i + 1}: unclosed code fence")
        body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                for line in lines[i + 1 : end]]
        directive, argument = _directive_before(lines, i)
        found.append(Block(page, lang, textwrap.dedent("\n".join(body)) + "\n", i + 2, directive, argument))
        i = end + 1
    return found


def _directive_before(lines: list[str], fence_index: int) -> tuple[str | None, str]:
    j = fence_index - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    match = _DIRECTIVE.match(lines[j]) if j >= 0 else None
    if match is None:
        return None, ""
    return match["name"], (match["arg"] or "").strip()


def is_standalone(page: Path) -> bool:
    """Whether the page starts its own emulator (no pre-bound ``client``)."""
    return STANDALONE in page.read_text(encoding="utf-8")
