"""The Python blocks of ``docs/migration.md`` run, in order, against a fresh emulator.

(The documentation's own runner leaves this page to the facade's tests.) The blocks share one
namespace that starts with ``emu``, the emulator; the page itself builds ``backend`` and ``client``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parents[2] / "docs" / "migration.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_migration_page_has_examples() -> None:
    assert len(_BLOCK.findall(PAGE.read_text())) >= 4


def test_the_migration_page_examples_run(emu: Any) -> None:
    text = PAGE.read_text()
    namespace: dict[str, Any] = {"emu": emu}
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        code = "\n" * (line - 1) + match.group(1)  # tracebacks name the page's own line numbers
        exec(compile(code, str(PAGE), "exec"), namespace)
    namespace["backend"].close()
    assert emu.requests.count("GET", "/media/*") == 3  # the weights, and the unit's two files
