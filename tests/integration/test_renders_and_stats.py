"""Renders of tasks and the figures of a project, against the emulator's demo seed."""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import synapse
from synapse.display import options
from synapse.emulator.seed import dm_document
from synapse.services import previews

Image = pytest.importorskip("PIL.Image", reason="Pillow is the vision extra")

CAR = (230, 25, 75)  # the seed configuration's colour of "car"
CREDENTIALS = ("Synapse-Access-Token", "Synapse-Agent", "Synapse-Tenant", "Authorization", "Cookie")


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "files"
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def thumbnails() -> Iterator[None]:
    options.thumbnails = True
    try:
        yield
    finally:
        options.thumbnails = False


def media_gets(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.path.startswith("/media/")]


def test_task_render_draws_the_seed_annotation_on_the_file_fetched_once(
    emu: Any, client: synapse.Client, cache_dir: Path
) -> None:
    task = client.tasks.get(1)  # the seed: a car box at (80, 154) 77x46 on a 320x240 scene
    img = task.render(size=None)
    assert img.size == (320, 240) and img.info["missing"] == []
    assert img.getpixel((80, 177)) == CAR and img.getpixel((156, 177)) == CAR  # left and right edges
    assert img.getpixel((118, 154)) == CAR
    assert len(media_gets(emu)) == 1
    cached = list(cache_dir.iterdir())
    assert [p.name for p in cached if p.is_file()] == [f"{task.data_unit.files['image']['checksum']}.png"]

    before = len(emu.requests)
    again = task.render(size=None)
    assert len(emu.requests) == before  # file, unit and project: nothing is asked twice
    assert again.tobytes() == img.tobytes()

    with synapse.Client(base_url=emu.url, api_token=emu.token) as other:
        other.tasks.get(1).render(size=256)
    assert len(media_gets(emu)) == 1  # another client reads the same file cache


def test_task_render_scales_to_size(client: synapse.Client) -> None:
    assert client.tasks.get(2).render().size == (512, 384)
    assert client.tasks.get(2).render(size=160).size == (160, 120)


def test_a_task_without_annotations_says_so(client: synapse.Client) -> None:
    img = client.tasks.get(300).render(size=None)  # in the seed: stand_by, no data
    assert img.info["missing"] == ["annotations"]
    assert img.size == (320, 240)


def test_a_task_without_a_file_is_drawn_on_a_canvas_with_a_warning(client: synapse.Client) -> None:
    item = previews.TaskPicture(7, dm_document(1), {"metadata": {"url": "media/x.json", "file_type": "json"}},
                                client.projects.get(1).configuration)
    with pytest.warns(previews.MissingFileWarning, match="task 7 has no image file"):
        img = previews.picture(client.transport, item, size=None)
    assert img.info["missing"] == ["image"]
    assert img.size == (320, 240)  # from the annotation's extra
    assert img.getpixel((80, 177)) == CAR


def test_task_render_sends_no_credential_to_a_storage_origin(synapse_emulator_factory: Any) -> None:
    emu = synapse_emulator_factory(storage_origin=True)
    with synapse.Client(base_url=emu.url, api_token=emu.token) as client:
        task = client.tasks.get(1)
        assert not client.transport.same_origin(task.data_unit.files["image"]["url"])
        img = task.render(size=None)
        assert img.getpixel((80, 177)) == CAR
    assert [r.path for r in emu.storage_requests] == ["/media/data_files/1/frame_0001.png"]
    assert [name for name in CREDENTIALS if name in emu.storage_requests[0].headers] == []
    assert not [r for r in emu.requests if r.path.startswith("/media/")]  # the API origin served no file


def test_queryset_show_saves_a_grid_from_one_request_for_rows_plus_the_files(
    emu: Any, client: synapse.Client, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.get(1)
    qs = project.tasks.filter(status_label="completed").order_by("id")
    before = len(emu.requests)
    path = qs.show(n=6, cols=3, size=128)
    sent = list(emu.requests)[before:]
    rows = [r for r in sent if r.path == "/sdk/tasks/"]
    assert len(rows) == 1 and rows[0].query["expand"] == "data_unit" and rows[0].query["page_size"] == "6"
    assert len([r for r in sent if r.path.startswith("/media/")]) == 6
    assert len(sent) == 7  # the project was read before: its configuration is cached
    assert path is not None and path.parent == cache_dir / "renders" and path.suffix == ".png"
    assert str(path) in capsys.readouterr().out
    with Image.open(path) as sheet:
        assert sheet.size[0] == 4 + 3 * (128 + 4)
        assert sheet.size[1] > 2 * 96


def test_task_show_outside_a_notebook_returns_the_png_path(client: synapse.Client, cache_dir: Path) -> None:
    path = client.tasks.get(3).show(size=200)
    assert path == cache_dir / "renders" / "task-3.png"
    with Image.open(path) as img:
        assert img.size == (200, 150)


def test_the_html_view_has_no_thumbnail_and_sends_nothing_by_default(
    emu: Any, client: synapse.Client
) -> None:
    task = client.tasks.get(4)
    before = len(emu.requests)
    html = task._repr_html_()
    assert "<img" not in html and html.startswith("<table>")
    assert len(emu.requests) == before


def test_the_html_view_includes_a_small_render_when_thumbnails_are_on(
    client: synapse.Client, thumbnails: None
) -> None:
    html = client.tasks.get(4)._repr_html_()
    assert html.startswith("<div><img src='data:image/png;base64,") and "<table>" in html


def expected_counts(tasks: range) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for i in tasks:
        for meta in dm_document(i)["annotations"]["image"]:
            tally = counts.setdefault(meta["tool"], {})
            tally[meta["classification"]["class"]] = tally.get(meta["classification"]["class"], 0) + 1
    return counts


def test_class_counts_match_the_seed_and_read_only_the_data_rows(emu: Any, client: synapse.Client) -> None:
    qs = client.projects.get(1).tasks.filter(status_label="completed")
    before = len(emu.requests)
    counts = qs.class_counts(page_size=50)
    sent = list(emu.requests)[before:]
    assert [r.path for r in sent] == ["/sdk/tasks/data/"] * 3
    assert sent[0].query["status_label"] == "completed" and sent[0].query["project"] == "1"
    assert counts == expected_counts(range(1, 121))
    assert counts.tasks == 120 and counts.annotated == 120 and counts.notes == []
    cars = [m for i in range(1, 121) for m in dm_document(i)["annotations"]["image"]
            if m["classification"]["class"] == "car"]
    assert counts["bounding_box"]["car"] == len(cars)
    assert counts.total() == sum(sum(c.values()) for c in counts.values())
    assert counts.classes()["road"] == 120

    assert client.tasks.filter(project=1, id__lte=10).class_counts() == expected_counts(range(1, 11))
    assert client.tasks.filter(project=1).order_by("id")[5:15].class_counts() == expected_counts(range(6, 16))
    unannotated = client.tasks.filter(status_label="stand_by").class_counts()
    assert unannotated == {} and unannotated.tasks > 0 and unannotated.annotated == 0


def test_class_counts_read_the_task_rows_where_the_data_route_is_missing(
    emu: Any, client: synapse.Client
) -> None:
    emu.faults.fail("sdk/tasks/data/", status=404, times=1)
    emu.requests.clear()
    counts = client.tasks.filter(project=1, id__lte=10).class_counts()
    assert counts == expected_counts(range(1, 11))
    assert "sdk/tasks/?fields=id,data" in counts.notes[0]
    assert [(r.path, r.query.get("fields")) for r in emu.requests] == [
        ("/sdk/tasks/data/", None), ("/sdk/tasks/", "id,data")]


def test_class_counts_read_dm_v2_and_report_data_that_is_not_dm(client: synapse.Client) -> None:
    from synapse.annotations import BoundingBox, Document

    boxes = [BoundingBox(label="car", x=1, y=1, width=5, height=5),
             BoundingBox(label="bus", x=9, y=9, width=5, height=5)]
    client.tasks.get(300).annotate(Document.from_objects(boxes, media="image").to_dm(2), schema="any")
    client.tasks.get(301).annotate(["not", "a", "document"], schema="any")
    counts = client.tasks.filter(id__in=[300, 301]).class_counts()
    assert counts == {"bounding_box": {"bus": 1, "car": 1}}
    assert counts.tasks == 2 and counts.annotated == 1
    assert counts.notes == ["1 task(s) held data that is not a DM document; not counted"]


def test_class_counts_memory_stays_flat_in_the_number_of_tasks(client: synapse.Client) -> None:
    def peak(qs: Any) -> int:
        tracemalloc.start()
        try:
            qs.class_counts(page_size=10)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    completed = client.tasks.filter(status_label="completed").order_by("id")
    peak(completed[:30])  # warm imports and code paths
    # 4 pages of 10 versus 12: the peak (which counts the in-process emulator too) does not follow
    small, large = peak(completed[:40]), peak(completed)
    assert large < small * 1.5, (small, large)


def test_class_counts_to_dataframe_and_plot(client: synapse.Client) -> None:
    counts = client.tasks.filter(project=1, id__lte=20).class_counts()
    frame = counts.to_dataframe()
    assert list(frame.columns) == ["tool", "class", "count"]
    assert int(frame["count"].sum()) == counts.total()
    pytest.importorskip("matplotlib", reason="plot() is the plot extra")
    figure = counts.plot()
    assert [ax.get_title() for ax in figure.axes] == list(counts)


def test_plot_without_matplotlib_names_the_extra(
    client: synapse.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = client.tasks.filter(project=1, id__lte=3).class_counts()
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"synapse-orm\[plot\]"):
        counts.plot()
    with pytest.raises(ImportError, match=r"synapse-orm\[plot\]"):
        client.projects.get(1).stats().plot()


def test_project_stats_count_tasks_and_assignments_from_narrow_rows(emu: Any, client: synapse.Client) -> None:
    project = client.projects.get(1)
    before = len(emu.requests)
    stats = project.stats()
    sent = list(emu.requests)[before:]
    assert [(r.path, r.query.get("fields")) for r in sent] == [
        ("/sdk/tasks/", "id,status_label,status_review"),
        ("/sdk/assignments/", "id,task,user,status_label,created"),
    ]
    assert stats["tasks"] == {
        "total": 320,
        "by_status": {"completed": 120, "in_progress": 80, "stand_by": 120},
        "by_review": {"completed": 60, "rejected": 10, "stand_by": 250},
    }
    expected: dict[int, dict[str, int]] = {}
    for i in range(1, 201):  # the seed: assignment i of task i, user 1 + i % 3
        status = "completed" if i <= 120 else "in_progress"
        tally = expected.setdefault(1 + i % 3, {})
        tally[status] = tally.get(status, 0) + 1
    assert stats["assignments"]["by_annotator"] == expected
    assert stats["assignments"]["total"] == 200
    assert stats["assignments"]["by_status"] == {"completed": 120, "in_progress": 80}
    assert stats["time_per_task"] is None and "no completion time" in stats.notes[0]
    frame = stats.to_dataframe()
    assert frame.loc[1, "completed"] == expected[1]["completed"] and frame.index.name == "annotator"
    assert set(stats.to_dataframe("tasks")["field"]) == {"status_label", "status_review"}
    pytest.importorskip("matplotlib", reason="plot() is the plot extra")
    assert len(stats.plot().axes) == 2
