"""Every public module of the package has its place in the API reference (docs/reference/*.md).

A new public module fails this test until it gets a ``::: module`` line on a reference page, or an
entry in ``NOT_IN_REFERENCE`` saying why it is left out.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "synapse"
REFERENCE = ROOT / "docs" / "reference"

# Module (or package prefix) -> why the reference leaves it out.
NOT_IN_REFERENCE = {
    "synapse.cli.": "the commands' implementations; `synapse COMMAND --help` documents them",
    "synapse.clients": "a package: what it holds is synapse.clients.backend",
    "synapse.clients.exceptions": "the same classes as synapse.errors (said on the Errors page)",
    "synapse.emulator.": "the emulator's implementation; the server's behaviour is the wire protocol",
    "synapse.orm.schema": "compiles resource classes; engine internals",
    "synapse.orm.registry": "maps names to resource classes; engine internals",
    "synapse.orm.plan": "the per-class field plans of the builder; engine internals",
    "synapse.orm.build": "builds resources from rows; engine internals (MalformedAnswer: Errors page)",
    "synapse.orm.values": "the builder's value readers (timestamps, ids, copies); engine internals",
    "synapse.http": "what the transport is made of: private by package (synapse.transport is documented)",
    "synapse.http.": "private by package: the transport's parts",
    "synapse.config.sources": "reads the config file and environment for synapse.config",
    "synapse.services.uploads.": "the upload paths behind UploadService (documented with resume records)",
    "synapse.services.ingest.": "the engine and worker functions behind synapse.services.ingest",
    "synapse.services.export.": "the walk and the staging behind synapse.services.export",
    "synapse.annotations.": "documented through the package's own names (synapse.annotations)",
    "synapse.formats.": "documented through the package's own names (synapse.formats)",
}
# ... except the modules under those that users call (these must be documented).
ALWAYS_DOCUMENTED = {"synapse.emulator.server", "synapse.emulator.faults", "synapse.emulator.requestlog",
                   "synapse.emulator.seed", "synapse.services.uploads.service",
                   "synapse.services.uploads.resume"}


def _public_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts):
            continue
        names.append(".".join(parts))
    return names


def _documented() -> set[str]:
    targets = set()
    for page in REFERENCE.glob("*.md"):
        targets.update(re.findall(r"^:::\s+([\w.]+)", page.read_text(encoding="utf-8"), re.M))
    return targets


def _is_documented(module: str, targets: set[str]) -> bool:
    return any(t == module or (t.startswith(module + ".") and t.count(".") == module.count(".") + 1)
               for t in targets)


def _excluded(module: str) -> bool:
    if module in ALWAYS_DOCUMENTED:
        return False
    return any(module == key or (key.endswith(".") and module.startswith(key)) for key in NOT_IN_REFERENCE)


def test_every_public_module_is_in_the_reference() -> None:
    targets = _documented()
    missing = [m for m in _public_modules() if not _excluded(m) and not _is_documented(m, targets)]
    assert not missing, f"add '::: module' to a docs/reference page (or to NOT_IN_REFERENCE) for {missing}"


def test_the_user_facing_emulator_modules_are_documented() -> None:
    targets = _documented()
    assert all(_is_documented(m, targets) for m in ALWAYS_DOCUMENTED)


def test_every_reference_target_exists() -> None:
    modules = set(_public_modules()) | {"synapse.services.uploads.resume", "synapse.http.pagination"}
    for target in _documented():
        assert any(target == m or target.startswith(m + ".") for m in modules), target
