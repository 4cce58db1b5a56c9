"""Figures about a project's work, read from narrow rows page by page: class counts, statuses, annotators.

``qs.class_counts()`` reads ``sdk/tasks/data/`` (rows of ``{"id", "data"}`` only) with the
QuerySet's filters; ``project.stats()`` reads ``sdk/tasks/`` and ``sdk/assignments/`` with
``fields=`` naming the few columns it counts. Each page is counted and dropped, so memory does
not grow with the number of tasks. The figures are plain dicts (JSON-ready) with
``to_dataframe()`` (pandas, optional) and ``plot()`` (matplotlib, optional) beside them::

    counts = project.tasks.filter(status_label="completed").class_counts()
    counts["bounding_box"]["car"]          # 181
    counts.to_dataframe()                  # columns tool, class, count
    project.stats().plot()                 # bar charts
"""

from __future__ import annotations

import importlib
import itertools
import statistics
from array import array
from collections.abc import Generator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from synapse.errors import NotFound

if TYPE_CHECKING:
    from synapse.transport import Transport

__all__ = [
    "ClassCounts",
    "ProjectStats",
    "class_counts",
    "project_stats",
    "require_matplotlib",
]

PAGE = 1000  # API.md: the largest page the server gives
UNLABELLED = "(unlabelled)"
_SKIPPED_TOOLS = frozenset({"relation"})  # links between objects, not objects of a class
_END_KEYS = ("completed_at", "completed", "finished_at", "submitted_at", "updated", "modified")
_START_KEYS = ("started_at", "created")


def require_matplotlib() -> Any:
    """Import ``matplotlib.figure``, or raise an ImportError that names the extra to install.

    Inside IPython, also lets a returned ``Figure`` show itself as a PNG (pyplot does that when
    it is imported; ``plot()`` builds figures without pyplot's global state).
    """
    try:
        module = importlib.import_module("matplotlib.figure")
    except ImportError as exc:
        raise ImportError(
            "plot() needs matplotlib, which is not installed: pip install 'synapse-orm[plot]'"
        ) from exc
    _show_figures_in_ipython(module.Figure)
    return module


def _show_figures_in_ipython(figure_class: type[Any]) -> None:
    try:
        from IPython.core.getipython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:
        return
    display: Any = getattr(get_ipython(), "display_formatter", None)  # None outside IPython
    if display is None:
        return
    formatter = display.formatters["image/png"]
    if _has_type(formatter, figure_class):
        return  # the inline backend (or an earlier call) registered one
    formatter.for_type(figure_class, lambda fig: print_figure(fig, "png", bbox_inches="tight"))


def _has_type(formatter: Any, figure_class: type[Any]) -> bool:
    try:
        formatter.lookup_by_type(figure_class)
    except KeyError:
        return False
    return True


def _require_pandas(what: str) -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError as exc:
        raise ImportError(f"{what}.to_dataframe() needs pandas, which is not installed: "
                          "pip install 'synapse-orm[pandas]'") from exc


class ClassCounts(dict[str, dict[str, int]]):
    """``{tool: {class: number of objects}}``, a plain dict, plus what was read to count it.

    Tools appear in the order first met; classes by count, largest first (ties by name).
    Objects without a class count under ``"(unlabelled)"``; relations are not counted.

    Attributes:
        tasks: The rows (tasks) read.
        annotated: Of those, the ones holding at least one object.
        notes: How the figures were read, when it matters (a fallback route, unreadable rows).
    """

    def __init__(self, counts: Mapping[str, Mapping[str, int]] | None = None, *, tasks: int = 0,
                 annotated: int = 0, notes: list[str] | None = None) -> None:
        super().__init__({tool: dict(classes) for tool, classes in (counts or {}).items()})
        self.tasks = tasks
        self.annotated = annotated
        self.notes: list[str] = list(notes or [])

    def total(self, tool: str | None = None) -> int:
        """The number of objects counted (of one tool, or of all)."""
        tools = [tool] if tool is not None else list(self)
        return sum(sum(self.get(t, {}).values()) for t in tools)

    def classes(self) -> dict[str, int]:
        """``{class: n}`` over every tool (a class drawn with two tools adds up)."""
        out: dict[str, int] = {}
        for classes in self.values():
            for name, n in classes.items():
                out[name] = out.get(name, 0) + n
        return out

    def to_dataframe(self) -> Any:
        """A ``pandas.DataFrame`` with columns ``tool``, ``class``, ``count``, one row per pair.

        Raises:
            ImportError: pandas is not installed (``pip install 'synapse-orm[pandas]'``).
        """
        pandas = _require_pandas("ClassCounts")
        rows = [(tool, name, n) for tool, classes in self.items() for name, n in classes.items()]
        return pandas.DataFrame(rows, columns=["tool", "class", "count"])

    def plot(self, *, title: str = "Objects per class") -> Any:
        """Horizontal bar charts, one per tool, on a new ``matplotlib.figure.Figure`` (returned).

        Raises:
            ImportError: matplotlib is not installed (``pip install 'synapse-orm[plot]'``).
        """
        figure_module = require_matplotlib()
        tools = [t for t in self if self[t]] or ["(none)"]
        tallest = max((len(self.get(t, {})) for t in tools), default=1)
        size = (4.2 * len(tools), 1.2 + 0.35 * max(tallest, 2))
        fig = figure_module.Figure(figsize=size, layout="constrained")
        axes = fig.subplots(1, len(tools), squeeze=False)[0]
        for ax, tool in zip(axes, tools, strict=True):
            classes = self.get(tool, {})
            names = list(classes)[::-1]
            ax.barh(names, [classes[n] for n in names], color="#4363d8")
            ax.set_title(tool)
            ax.set_xlabel("objects")
            for y, name in enumerate(names):
                ax.annotate(str(classes[name]), (classes[name], y), xytext=(3, 0),
                            textcoords="offset points", va="center", fontsize=8)
        fig.suptitle(f"{title} ({self.tasks} tasks, {self.total()} objects)")
        return fig

    def __repr__(self) -> str:
        return f"ClassCounts({dict(self)!r}, tasks={self.tasks})"


class ProjectStats(dict[str, Any]):
    """A project's figures as a plain dict.

    Keys:
        ``tasks``: ``{"total", "by_status": {status_label: n}, "by_review": {status_review: n}}``;
        ``assignments``: ``{"total", "by_status": {status_label: n},
        "by_annotator": {user id: {status_label: n}}}``;
        ``time_per_task``: ``{"tasks", "mean_s", "median_s", "max_s"}`` from the assignments' start
        and completion times, or None when the rows carry no completion time (see ``notes``).

    Attributes:
        notes: Why a figure is missing or how it was read.
    """

    def __init__(self, figures: Mapping[str, Any], *, notes: list[str] | None = None) -> None:
        super().__init__(figures)
        self.notes: list[str] = list(notes or [])

    def to_dataframe(self, part: str = "assignments") -> Any:
        """One table of the figures as a ``pandas.DataFrame``.

        Args:
            part: ``"assignments"`` (annotators as rows, statuses as columns, zeros filled),
                ``"tasks"`` (status_label and status_review counts) or ``"time_per_task"``.

        Raises:
            ImportError: pandas is not installed (``pip install 'synapse-orm[pandas]'``).
            ValueError: an unknown ``part``.
        """
        pandas = _require_pandas("ProjectStats")
        if part == "assignments":
            frame = pandas.DataFrame.from_dict(self["assignments"]["by_annotator"], orient="index")
            frame = frame.fillna(0).astype(int)
            frame.index.name = "annotator"
            return frame.sort_index()
        if part == "tasks":
            rows = [("status_label", k, v) for k, v in self["tasks"]["by_status"].items()]
            rows += [("status_review", k, v) for k, v in self["tasks"]["by_review"].items()]
            return pandas.DataFrame(rows, columns=["field", "status", "count"])
        if part == "time_per_task":
            return pandas.DataFrame([self["time_per_task"] or {}])
        raise ValueError(f"part must be 'assignments', 'tasks' or 'time_per_task', not {part!r}")

    def plot(self) -> Any:
        """Bar charts of tasks by status and assignments by annotator and status (a new Figure).

        Raises:
            ImportError: matplotlib is not installed (``pip install 'synapse-orm[plot]'``).
        """
        figure_module = require_matplotlib()
        fig = figure_module.Figure(figsize=(10, 3.6), layout="constrained")
        left, right = fig.subplots(1, 2)
        by_status = self["tasks"]["by_status"]
        left.bar([str(k) for k in by_status], list(by_status.values()), color="#4363d8")
        left.set_title(f"tasks by status ({self['tasks']['total']})")
        left.set_ylabel("tasks")
        annotators = self["assignments"]["by_annotator"]
        statuses = list(self["assignments"]["by_status"])
        names = [str(a) for a in annotators]
        bottom = [0] * len(names)
        for status in statuses:
            values = [annotators[a].get(status, 0) for a in annotators]
            right.bar(names, values, bottom=bottom, label=str(status))
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        right.set_title(f"assignments by annotator ({self['assignments']['total']})")
        right.set_xlabel("annotator (user id)")
        if statuses:
            right.legend(fontsize=8)
        return fig


def _pages(
    transport: Transport, path: str, params: Mapping[str, Any], page_size: int
) -> Generator[list[Any], None, None]:
    for page in transport.iter_pages(path, dict(params), page_size=page_size):
        yield page.results


def _count_document(data: Any, counts: dict[str, dict[str, int]]) -> int | None:
    """Add one task's objects to ``counts``; return how many, or None when unreadable."""
    if not data:
        return 0
    if not isinstance(data, Mapping):
        return None
    found = 0
    annotations = data.get("annotations")
    if isinstance(annotations, Mapping):  # DM v1: read the meta rows, no typed objects needed
        for rows in annotations.values():
            if not isinstance(rows, list):
                continue
            for row in rows:
                if not isinstance(row, Mapping):
                    continue
                tool = str(row.get("tool") or "(unknown)")
                if tool in _SKIPPED_TOOLS:
                    continue
                classification = row.get("classification")
                label = classification.get("class") if isinstance(classification, Mapping) else None
                tally = counts.setdefault(tool, {})
                key = UNLABELLED if label is None else str(label)
                tally[key] = tally.get(key, 0) + 1
                found += 1
        return found
    from synapse.annotations import Document, FormatError

    try:
        document = Document.from_dm(data)
    except (FormatError, TypeError, ValueError):
        return None
    for obj in document:
        if obj.tool in _SKIPPED_TOOLS:
            continue
        tally = counts.setdefault(obj.tool, {})
        key = UNLABELLED if obj.label is None else obj.label
        tally[key] = tally.get(key, 0) + 1
        found += 1
    return found


def class_counts(
    transport: Transport,
    params: Mapping[str, Any] | None = None,
    *,
    skip: int = 0,
    limit: int | None = None,
    page_size: int = PAGE,
) -> ClassCounts:
    """Count objects per tool and class over the tasks the filters select.

    Reads ``GET sdk/tasks/data/`` (falls back to ``sdk/tasks/?fields=id,data`` on a backend
    without it, and says so in ``notes``), a page at a time.

    Args:
        transport: the client's transport (``client.transport``).
        params: the task filters (a QuerySet's query; ``fields``/``expand`` are dropped).
        skip: rows to pass over first (a sliced QuerySet's start).
        limit: the most rows to count (a sliced QuerySet's length), None for all.
        page_size: rows per request.

    Returns:
        A :class:`ClassCounts`.
    """
    query = {k: v for k, v in (params or {}).items() if k not in ("fields", "expand")}
    counts: dict[str, dict[str, int]] = {}
    tasks = annotated = unreadable = 0
    notes: list[str] = []
    size = max(1, min(page_size, limit + skip) if limit is not None else page_size)
    pages = _pages(transport, "sdk/tasks/data/", query, size)
    try:
        first = next(pages, None)
    except NotFound:
        notes.append("sdk/tasks/data/ is not served here: read sdk/tasks/?fields=id,data instead")
        pages = _pages(transport, "sdk/tasks/", {**query, "fields": "id,data"}, size)
        first = next(pages, None)
    remaining = limit
    for rows in itertools.chain([] if first is None else [first], pages):
        for row in rows:
            if skip:
                skip -= 1
                continue
            if remaining is not None:
                if remaining <= 0:
                    break
                remaining -= 1
            tasks += 1
            found = _count_document(row.get("data") if isinstance(row, Mapping) else None, counts)
            if found is None:
                unreadable += 1
            elif found:
                annotated += 1
        if remaining is not None and remaining <= 0:
            break
    pages.close()
    if unreadable:
        notes.append(f"{unreadable} task(s) held data that is not a DM document; not counted")
    ordered = {
        tool: dict(sorted(classes.items(), key=lambda item: (-item[1], item[0])))
        for tool, classes in counts.items()
    }
    return ClassCounts(ordered, tasks=tasks, annotated=annotated, notes=notes)


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def project_stats(transport: Transport, project: int, *, page_size: int = PAGE) -> ProjectStats:
    """Count a project's tasks by status and its assignments by annotator and status.

    Reads ``sdk/tasks/?project=<id>&fields=id,status_label,status_review`` and
    ``sdk/assignments/?project=<id>&fields=id,task,user,status_label,created``, a page at a time.

    Args:
        transport: the client's transport (``client.transport``).
        project: the project id.
        page_size: rows per request.

    Returns:
        A :class:`ProjectStats`.
    """
    notes: list[str] = []
    task_total = 0
    by_status: dict[str, int] = {}
    by_review: dict[str, int] = {}
    task_query = {"project": project, "fields": "id,status_label,status_review"}
    for rows in _pages(transport, "sdk/tasks/", task_query, page_size):
        for row in rows:
            task_total += 1
            label, review = str(row.get("status_label")), str(row.get("status_review"))
            by_status[label] = by_status.get(label, 0) + 1
            by_review[review] = by_review.get(review, 0) + 1

    assignment_total = 0
    assignment_status: dict[str, int] = {}
    by_annotator: dict[Any, dict[str, int]] = {}
    durations: dict[Any, float] = {}
    seen_end = False
    assignment_query = {"project": project, "fields": "id,task,user,status_label,created"}
    for rows in _pages(transport, "sdk/assignments/", assignment_query, page_size):
        for row in rows:
            assignment_total += 1
            status = str(row.get("status_label"))
            assignment_status[status] = assignment_status.get(status, 0) + 1
            user = row.get("user")
            tally = by_annotator.setdefault(user if user is not None else "(unassigned)", {})
            tally[status] = tally.get(status, 0) + 1
            end = next((t for t in (_time(row.get(k)) for k in _END_KEYS) if t is not None), None)
            start = next((t for t in (_time(row.get(k)) for k in _START_KEYS) if t is not None), None)
            if end is not None and start is not None and end >= start:
                seen_end = True
                task = row.get("task")
                durations[task] = durations.get(task, 0.0) + (end - start).total_seconds()

    time_per_task: dict[str, Any] | None = None
    if seen_end:
        values = array("d", durations.values())
        time_per_task = {
            "tasks": len(values),
            "mean_s": statistics.fmean(values),
            "median_s": statistics.median(values),
            "max_s": max(values),
        }
    else:
        notes.append("time per task: the assignment rows carry no completion time (only 'created'), "
                     "so it is not computed")
    figures = {
        "tasks": {"total": task_total, "by_status": by_status, "by_review": by_review},
        "assignments": {
            "total": assignment_total,
            "by_status": assignment_status,
            "by_annotator": dict(sorted(by_annotator.items(), key=lambda kv: str(kv[0]))),
        },
        "time_per_task": time_per_task,
    }
    return ProjectStats(figures, notes=notes)
