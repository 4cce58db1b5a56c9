"""Notebook polish (issue 14, item 8): ISO datetimes, one column naming, percent job bars, quiet fallback."""

from __future__ import annotations

import io
import sys
import warnings
from typing import Any

import pytest

from synapse.services.progress import TqdmProgress


def test_html_tables_show_datetimes_as_iso_text_and_attribute_names(client: Any) -> None:
    task = client.tasks.get(1)
    page = task._repr_html_()
    assert "datetime.datetime(" not in page and task.created.isoformat() in page
    table = client.tasks.filter(project=2).order_by("id")._repr_html_()
    assert "datetime.datetime(" not in table
    assert "<th>project_id</th>" in table and "<th>project</th>" not in table


def test_html_columns_are_the_dataframe_columns(client: Any) -> None:
    pytest.importorskip("pandas")
    qs = client.tasks.filter(project=2).order_by("id")[:3]
    frame = qs.to_dataframe()
    table = qs._repr_html_()
    assert "project_id" in frame.columns and "project" not in frame.columns
    for column in frame.columns:
        assert f"<th>{column}</th>" in table
    narrowed = qs.to_dataframe(columns=["id", "project"])
    assert list(narrowed.columns) == ["id", "project_id"] and list(narrowed["project_id"]) == [2, 2, 2]


def test_a_job_bar_shows_percent_not_a_rate() -> None:
    pytest.importorskip("tqdm")
    out = io.StringIO()
    bar = TqdmProgress(force=True, file=out, mininterval=0)
    bar.start(100, desc="job 1234", unit="%")
    bar.update(40, 100)
    bar.finish()
    text = out.getvalue()
    assert "40%" in text and "%/s" not in text and "it/s" not in text


def test_in_a_kernel_without_ipywidgets_the_bar_is_text_and_no_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("tqdm")
    kernel_stream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})()
    monkeypatch.setattr(sys, "stdout", kernel_stream)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # not importable
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    err = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bar = TqdmProgress(file=err, mininterval=0)
        bar.start(10, desc="upload", unit="file")
        bar.update(5, 10)
        bar.finish()
    assert "5/10" in err.getvalue()
