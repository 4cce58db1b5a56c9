"""The row views and lists API.md added: task data and files, assignment data, ground truths."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from synapse.clients.backend import BackendClient


def test_list_tasks_data_rows(backend: BackendClient, sent: Any) -> None:
    page = backend.list_tasks_data({"project": 2, "page_size": 5})
    assert page["count"] == 12 and len(page["results"]) == 5
    assert all(set(row) == {"id", "data"} for row in page["results"])
    rows, count = backend.list_tasks_data({"id__in": [1, 2]}, list_all=True)
    full = backend.get_task(1)
    first = next(rows)
    assert count == 2 and first == {"id": 1, "data": full["data"]} and next(rows)["id"] == 2
    listing, walk = sent("GET", "/sdk/tasks/data/")
    assert listing.query == {"project": "2", "page_size": "5"}
    assert walk.query == {"id__in": "1,2", "page_size": "100"}


def test_list_tasks_files_rows_and_their_download(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    page = backend.list_tasks_files({"id": 5})
    (row,) = page["results"]
    assert set(row) == {"id", "data_unit", "files"} and isinstance(row["files"], list)
    image = next(f for f in row["files"] if f["specification"] == "image")
    assert image["url"].startswith(backend.base_url) and not sent("GET", "/media/*")
    page = backend.list_tasks_files({"id": 5}, url_conversion={"files_fields": ["files"]})
    for entry in page["results"][0]["files"]:
        assert "url" not in entry and entry["path"].parent == tmp_path / "cache" / "media"
        assert hashlib.md5(entry["path"].read_bytes()).hexdigest() == entry["checksum"]
    rows, count = backend.list_tasks_files({"project": 2}, list_all=True)
    assert count == 12 and all("url" in f for r in rows for f in r["files"])  # no download unless asked
    assert [r.path for r in sent("GET", "/sdk/tasks/files/")] == ["/sdk/tasks/files/"] * 3


def test_list_ground_truths(backend: BackendClient, sent: Any) -> None:
    page = backend.list_ground_truths({"ground_truth_dataset_versions": 1, "page_size": 10})
    assert page["count"] and len(page["results"]) <= 10
    row = page["results"][0]
    assert {"id", "ground_truth_dataset", "data_unit", "category", "data", "files"} <= set(row)
    assert all("url" in entry for entry in row["files"].values())
    rows, count = backend.list_ground_truths({"ground_truth_dataset": 1}, list_all=True)
    assert count == sum(1 for _ in rows)
    first, second = sent("GET", "/ground_truths/")[:2]
    assert first.query == {"ground_truth_dataset_versions": "1", "page_size": "10"}
    assert second.query["ground_truth_dataset"] == "1"
