"""The documentation site builds with ``mkdocs build --strict``: broken links, anchors or docstrings fail."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None,
    reason="mkdocs is not installed: pip install -e '.[docs]' (mkdocs, mkdocs-material, mkdocstrings)",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # silence Material's banner, not our warnings
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-8000:]}"
    return out


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def _nav_pages(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    if isinstance(node, list):
        return [page for item in node for page in _nav_pages(item)]
    return []


def test_every_page_of_the_nav_is_built(site: Path) -> None:
    import yaml

    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    assert len(nav) >= 20
    for source in nav:
        assert (ROOT / "docs" / source).is_file(), source
        stem = source[: -len("index.md")] if source.endswith("index.md") else source[: -len(".md")] + "/"
        assert (site / stem / "index.html").is_file(), f"{source} was not rendered"


def test_the_reference_is_generated_from_the_docstrings(site: Path) -> None:
    expected = {
        "client": ["synapse.client.Client", "synapse.client.Client.bind", "synapse.config.Config.resolve",
                   "synapse.config.RetryPolicy"],
        "errors": ["synapse.errors.NotFound", "synapse.errors.ClientError", "synapse.errors.JobTimeout"],
        "object-model": ["synapse.orm.queryset.QuerySet.filter", "synapse.orm.queryset.QuerySet.iterator",
                         "synapse.orm.verbs.Gettable.get", "synapse.orm.verbs.Saveable.save",
                         "synapse.orm.options.ResourceOptions"],
        "plugins-jobs": ["synapse.resources.jobs.Job.wait", "synapse.resources.plugins.Plugin.run",
                         "synapse.services.jobs.JobWaiter"],
        "uploads": ["synapse.services.uploads.service.UploadService.resume",
                    "synapse.services.ingest.upload_many",
                    "synapse.services.progress.ProgressReporter"],
        "emulator": ["synapse.emulator.server.Emulator", "synapse.emulator.faults.Faults.fail"],
        "facade": ["synapse.clients.backend.BackendClient.list_tasks"],
    }
    for page, names in expected.items():
        ids = _ids(site / "reference" / page / "index.html")
        missing = [name for name in names if name not in ids]
        assert not missing, f"reference/{page}.md lacks {missing}"


def test_docstring_text_is_rendered_not_just_signatures(site: Path) -> None:
    html = (site / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    assert "A connection to one Synapse backend." in html
    assert "ConfigurationError" in html


def test_the_examples_are_on_the_site(site: Path) -> None:
    html = (site / "getting-started" / "index.html").read_text(encoding="utf-8")
    assert "Emulator" in html and "project.tasks" in html
    assert "<!-- no-run: connects to the hosted platform" in html  # directives stay invisible comments
    assert "&lt;!-- no-run" not in html
