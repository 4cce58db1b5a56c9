"""``examples/explore.ipynb`` runs top to bottom in a Jupyter kernel against the emulator (nbclient)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "explore.ipynb"


def _outputs(cell: Any, kind: str) -> list[Any]:
    return [o for o in cell.get("outputs", []) if o.output_type == kind]


def _result(cell: Any, mime: str = "text/plain") -> str:
    (result,) = _outputs(cell, "execute_result")
    return str(result.data[mime])


def _stream(cell: Any) -> str:
    return "".join(o.text for o in _outputs(cell, "stream"))


WIDGET = "application/vnd.jupyter.widget-view+json"


def _progress(cell: Any) -> str:
    """What a progress bar showed: its text lines, or its widgets' text (tqdm draws widgets in Jupyter)."""
    widgets = [o.data.get("text/plain", "") for o in _outputs(cell, "display_data") if WIDGET in o.data]
    return _stream(cell) + "".join(widgets) + (" widget" if widgets else "")


def test_the_explore_notebook_runs_top_to_bottom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SYNAPSE_BASE_URL", "SYNAPSE_API_TOKEN", "SYNAPSE_LOG"):
        monkeypatch.delenv(name, raising=False)  # the notebook brings its own emulator
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path / "files"))  # the renders' file cache
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    stored = [c for c in notebook.cells if c.cell_type == "code" and c.get("outputs")]
    assert not stored, "the notebook is kept without outputs"
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell's traceback, if any cell fails

    code = {c.source.splitlines()[0]: c for c in notebook.cells if c.cell_type == "code"}
    assert not [o for c in code.values() for o in _outputs(c, "error")]
    project = code["project = client.projects.get(1)"]
    assert _result(project) == "<Project 1 'Street scenes annotation'>"
    assert _result(project, "text/html").startswith("<table><caption>&lt;Project 1")
    preview = _result(code['completed = project.tasks.filter(status_label="completed").order_by("-created")'],
                      "text/html")
    assert preview.count("<tr>") == 12  # header, ten rows, "more"
    assert _result(code["completed.count(), completed.first()"]).startswith("(120, <Task ")
    frame = _result(code['df = project.tasks.all()[:200].to_dataframe(columns=["id", "status_label", '
                         '"status_review", "created"])'])
    assert "in_progress" in frame and "dtype: int64" in frame
    (grid,) = _outputs(code["completed.show(n=8, cols=4, size=200)"], "display_data")
    assert "image/png" in grid.data  # the grid of renders, inline
    assert len(list((tmp_path / "files").glob("*.png"))) == 8  # each task's file, fetched once
    counts = _result(code["counts = completed.class_counts()"])
    assert counts.startswith("ClassCounts({") and "'car': " in counts and "tasks=120" in counts
    (chart,) = _outputs(code["counts.plot()"], "execute_result")
    assert "image/png" in chart.data
    assert "annotator" in _result(code["stats = project.stats()"])
    upload = code["import pathlib"]
    assert _result(upload).startswith("UploadReport(8 items: 8 ok, 0 failed; files: 8 uploaded")
    # progress=True in a kernel: tqdm's widget bar (the progress extra brings ipywidgets), else text
    shown = _progress(upload)
    assert "widget" in shown or ("uploading: 100%" in shown and "8/8" in shown), shown
    job = code['plugin = client.plugins.get("yolo-detector")']
    assert _result(job).startswith("('SUCCEEDED',")
    assert "widget" in _progress(job) or ": 100%" in _stream(job)
    assert _result(code["response = client.last_response"]).startswith("('GET',\n '/jobs/")
    logged = _stream(code["import logging"])
    assert "synapse DEBUG GET /projects/2/ -> 200 in " in logged and "dev-token" not in logged
