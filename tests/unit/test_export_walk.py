"""The export walks its source ahead of the staging: errors arrive in order, an early stop ends the walk."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from synapse.http.pagination import Page
from synapse.services.export import export


class _Source:
    """A task source whose ``raw_pages()`` yields ``n`` rows in pages of 100, then raises ``fail``."""

    def __init__(
        self, n: int, fail: BaseException | None = None, files: dict[str, Any] | None = None
    ) -> None:
        self.n, self.fail, self.files = n, fail, files or {}
        self.pulled = 0
        self.closed = False

    def expand(self, *names: str) -> _Source:
        return self

    def raw_pages(self, page_size: int | None = None) -> Any:
        try:
            for start in range(1, self.n + 1, 100):
                rows = [{"id": i, "data": None, "data_unit": {"id": i, "files": self.files}}
                        for i in range(start, min(start + 100, self.n + 1))]
                self.pulled += len(rows)
                yield Page(results=rows, count=self.n, next=None, previous=None)
            if self.fail is not None:
                raise self.fail
        finally:
            self.closed = True


def _walkers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "synapse-export-walk"]


def test_every_row_is_exported_in_order(tmp_path: Path) -> None:
    report = export(_Source(1234), "coco", tmp_path, transport=None, media=False)  # type: ignore[arg-type]
    assert report.new_tasks == tuple(range(1, 1235)) and report.watermark == 1234
    assert _walkers() == []


def test_an_error_of_the_walk_is_raised_in_the_caller_and_the_walk_is_closed(tmp_path: Path) -> None:
    source = _Source(250, fail=RuntimeError("page 3 failed"))
    with pytest.raises(RuntimeError, match="page 3 failed"):
        export(source, "coco", tmp_path, transport=None, media=False)  # type: ignore[arg-type]
    assert source.closed and _walkers() == []


def test_a_failing_download_stops_the_walk_a_few_pages_ahead_at_most(tmp_path: Path) -> None:
    image = {"image_1": {"url": "http://h/1.png", "checksum": "0" * 32, "file_type": "image",
                         "is_primary": True}}
    source = _Source(100_000, files=image)
    with pytest.raises(TypeError, match="Transport"):  # the download has no transport: it fails at once
        export(source, "coco", tmp_path, transport=None, workers=1)  # type: ignore[arg-type]
    assert source.closed and _walkers() == []
    assert source.pulled <= 1_000  # bounded: the walk did not run on to the end


class _OddKeys(_Source):
    """One page whose task id the staging cannot encode (bytes): the staging's commit fails."""

    def raw_pages(self, page_size: int | None = None) -> Any:
        yield Page(results=[{"id": b"7", "data": None, "data_unit": {"id": 1, "files": {}}}], count=1,
                   next=None, previous=None)


def test_a_failed_staging_commit_is_raised_in_the_caller_and_its_thread_ends(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="bytes"):
        export(_OddKeys(1), "coco", tmp_path, transport=None, media=False)  # type: ignore[arg-type]
    assert [t for t in threading.enumerate() if t.name.startswith("synapse-export")] == []
