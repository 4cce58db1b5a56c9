"""What a notebook shows: ``_repr_html_`` parsed as HTML, ``to_dataframe()``, tqdm progress output."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import synapse.services.jobs
from synapse.client import Client
from synapse.services.progress import TqdmProgress

SCRIPT = "<script>alert('x')</script> & <b>bold</b>"


class Table(HTMLParser):
    """Collects the tags seen and the table's caption and rows (each a list of (tag, text) cells)."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.caption = ""
        self.rows: list[list[tuple[str, str]]] = []
        self._cell: list[str] | None = None
        self._in_caption = False
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
            self.rows[-1].append((tag, ""))
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            kind, _ = self.rows[-1][-1]
            self.rows[-1][-1] = (kind, "".join(self._cell))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption += data

    def column(self, name: str) -> list[str]:
        header = [text for _, text in self.rows[0]]
        index = header.index(name)
        return [row[index][1] for row in self.rows[1:] if len(row) > index]


def test_a_queryset_renders_a_header_row_and_its_first_rows(client: Client) -> None:
    qs = client.tasks.filter(project=2).order_by("id")
    table = Table(qs._repr_html_())
    assert table.tags.count("table") == 1 and "script" not in table.tags
    assert table.caption == "<QuerySet Task: GET sdk/tasks/?project=2&ordering=id>"
    header = table.rows[0]
    assert all(kind == "th" for kind, _ in header)
    # columns are the attribute names (what you type: task.project_id), fields held, in order
    assert [text for _, text in header][:4] == ["id", "project_id", "data_unit_id", "data"]
    body = table.rows[1:-1]  # the last row says there are more
    assert all(kind == "td" for row in body for kind, _ in row)
    assert table.column("id")[:10] == [str(i) for i in range(321, 331)]
    assert set(table.column("project_id")[:10]) == {"2"}
    assert table.rows[-1] == [("td", "…")]


def test_a_short_queryset_has_no_more_row_and_an_empty_one_says_so(client: Client) -> None:
    table = Table(client.task_tags.filter(project=2)._repr_html_())
    assert [text for _, text in table.rows[0]] == ["id", "project_id", "name", "category", "description",
                                                   "meta", "created"]
    assert table.column("name") == ["priority"]
    assert len(table.rows) == 2
    empty = Table(client.tasks.filter(project=999)._repr_html_())
    assert empty.rows[-1] == [("td", "(no rows)")]


def test_values_with_markup_stay_text(client: Client) -> None:
    project = client.projects.get(2)
    project.title = SCRIPT
    project.description = "</td></tr></table><script>evil()</script>"
    project.save()

    shown = Table(client.projects.get(2)._repr_html_())
    assert "script" not in shown.tags and "b" not in shown.tags
    assert shown.tags.count("table") == 1
    fields = {row[0][1]: row[1][1] for row in shown.rows}
    assert fields["title"] == SCRIPT
    assert fields["description"] == "</td></tr></table><script>evil()</script>"
    assert shown.caption.startswith("<Project 2 \"<script>alert('x')</script> & <b>bold")  # the repr, cut

    listed = Table(client.projects.order_by("id")._repr_html_())
    assert "script" not in listed.tags and listed.tags.count("table") == 1
    assert listed.column("title") == ["Street scenes annotation", SCRIPT]


def test_a_resource_renders_a_field_table_marking_what_is_not_loaded(client: Client) -> None:
    task = client.tasks.filter(project=1).fields("id", "status_label")[:1][0]
    table = Table(task._repr_html_())
    fields = {row[0][1]: row[1] for row in table.rows}
    assert all(row[0][0] == "th" and row[1][0] == "td" for row in table.rows)
    assert fields["id"] == ("td", "1") and fields["status_label"] == ("td", "completed")
    assert fields["project_id"] == ("td", "(not loaded)") and "i" in table.tags
    assert table.caption == "<Task 1 'completed'>"


def test_to_dataframe_has_one_row_per_object_and_typed_columns(client: Client) -> None:
    pandas = pytest.importorskip("pandas")
    frame = client.tasks.filter(project=2).order_by("id").to_dataframe()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame["id"]) == list(range(321, 333))
    assert {"id", "project_id", "data_unit_id", "status_label", "tags", "created"} <= set(frame.columns)
    assert str(frame["created"].dtype).startswith("datetime64")
    assert frame["created"].dt.tz is not None
    narrowed = client.projects.all().to_dataframe(columns=["id", "title"])
    assert narrowed.to_dict("records") == [{"id": 1, "title": "Street scenes annotation"},
                                           {"id": 2, "title": "Sign review"}]


def _as_if_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # progress=True draws only on a terminal (or in a notebook); pytest's stdout is neither.
    monkeypatch.setattr(TqdmProgress, "_isatty", staticmethod(lambda: True))


def test_upload_progress_true_draws_a_tqdm_bar(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    _as_if_on_a_terminal(monkeypatch)
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"f{i}.bin")
        paths[-1].write_bytes(bytes([i]) * (1000 + i))
    report = client.data_collections.get(1).upload_many(
        [{"files": {"image": p}} for p in paths], progress=True, workers=2
    )
    assert report.ok
    err = capsys.readouterr().err
    assert "uploading:   0%" in err and "uploading: 100%" in err and "3/3" in err


def test_a_single_file_reports_its_bytes_to_a_tqdm_bar(client: Client, tmp_path: Path) -> None:
    pytest.importorskip("tqdm")
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 300_000)
    out = io.StringIO()
    bar = TqdmProgress(force=True, file=out, mininterval=0)
    client.uploads.upload(path, chunk_size=100_000, progress=bar)
    text = out.getvalue()
    assert "293k/293k" in text and "100%" in text
    assert "195k/293k" in text  # two chunks of three in


def test_job_wait_progress_true_draws_the_jobs_percent(
    client: Client, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    _as_if_on_a_terminal(monkeypatch)
    job = client.plugins.get("yolo-detector").run(action="train")
    job.wait(timeout=30, poll_interval=0.05, progress=True)
    err = capsys.readouterr().err
    assert f"job {job.id[:8]}: 100%" in err and "%/s" not in err  # percent, not a rate


def test_job_progress_callback_sees_each_new_percent(client: Client) -> None:
    seen: list[Any] = []
    job = client.plugins.get("yolo-detector").run(action="export")
    job.wait(timeout=30, poll_interval=0.05, progress=lambda percent, j: seen.append((percent, j.status)))
    assert seen[-1] == (100, "SUCCEEDED")
    assert [p for p, _ in seen] == sorted({p for p, _ in seen})


def test_progress_true_is_silent_off_a_terminal(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    assert synapse.services.jobs.TqdmProgress is TqdmProgress
    job = client.plugins.get("yolo-detector").run(action="train")
    job.wait(timeout=30, poll_interval=0.05, progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_progress_true_draws_in_a_jupyter_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    kernel_stdout = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})()
    assert not kernel_stdout.isatty()  # what a kernel's stdout says of itself
    monkeypatch.setattr("sys.stdout", kernel_stdout)
    assert TqdmProgress._isatty() is True
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert TqdmProgress._isatty() is False
