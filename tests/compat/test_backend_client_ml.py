"""MLClientMixin against the emulator: models (weights uploaded in chunks), ground truth."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from synapse.clients.backend import BackendClient
from synapse.errors import ValidationError


def _weights(tmp_path: Path, size: int = 4096) -> Path:
    path = tmp_path / "best.pt"
    path.write_bytes(bytes(i % 199 for i in range(size)))
    return path


def test_create_model_uploads_the_weights_first(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    path = _weights(tmp_path)
    model = backend.create_model(
        {"name": "yolo-finetuned", "plugin": "yolo-detector", "version": "1.0.0", "checkpoint": 1}, file=path
    )
    assert model["name"] == "yolo-finetuned" and model["checkpoint"] == 1 and model["file"]
    put, finish, create = sent()
    assert (put.method, put.path) == ("PUT", "/chunked_upload/")
    assert finish.body == {"md5": hashlib.md5(path.read_bytes()).hexdigest()}
    assert create.path == "/models/" and create.body["chunked_upload"] == finish.path.split("/")[2]
    assert {k: create.body[k] for k in ("name", "plugin", "version", "checkpoint")} == {
        "name": "yolo-finetuned",
        "plugin": "yolo-detector",
        "version": "1.0.0",
        "checkpoint": 1,
    }
    downloaded = backend.get_model(model["id"])["file"]
    assert isinstance(downloaded, Path) and downloaded.read_bytes() == path.read_bytes()


def test_create_model_with_the_file_in_data_or_open(backend: BackendClient, tmp_path: Path) -> None:
    path = _weights(tmp_path, 100)
    assert backend.create_model({"name": "a", "file": str(path)})["name"] == "a"
    with path.open("rb") as handle:
        assert backend.create_model({"name": "b"}, file=handle)["name"] == "b"
    with pytest.raises(TypeError):
        backend.create_model({"name": "c", "file": path}, file=path)


def test_create_model_without_a_name_sends_nothing(backend: BackendClient, sent: Any, tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        backend.create_model({"plugin": "yolo-detector"}, file=_weights(tmp_path))
    assert sent() == []


def test_list_models(backend: BackendClient, sent: Any) -> None:
    page = backend.list_models({"plugin": "yolo-detector"})
    assert page["count"] == 1 and page["results"][0]["name"] == "yolo-base"
    assert sent()[0].path == "/models/" and sent()[0].query["plugin"] == "yolo-detector"


def test_get_model_downloads_its_file_unless_told(backend: BackendClient, sent: Any, emu: Any) -> None:
    model = backend.get_model(1)
    assert isinstance(model["file"], Path) and model["file"].name.endswith(".pt")
    assert [r.path for r in sent()] == ["/models/1/", "/media/models/1/yolo-base.pt"]
    plain = backend.get_model(1, params={"fields": "id,file"}, url_conversion={"files_fields": []})
    assert plain["file"] == f"{emu.url}media/models/1/yolo-base.pt"
    assert sent()[-1].query == {"fields": "id,file"}


def test_list_ground_truth_events(backend: BackendClient, sent: Any) -> None:
    page = backend.list_ground_truth_events({"ground_truth_dataset_versions": 1, "category": "train"})
    assert page["count"] > 0 and all(e["category"] == "train" for e in page["results"])
    assert sent()[0].path == "/sdk/ground_truth_events/"
    assert sent()[0].query == {"ground_truth_dataset_versions": "1", "category": "train", "page_size": "100"}


def test_list_ground_truth_events_list_all(backend: BackendClient, sent: Any) -> None:
    rows, count = backend.list_ground_truth_events(
        {"ground_truth_dataset_versions": 1, "page_size": 25}, list_all=True
    )
    events = list(rows)
    assert count == 60 and len(events) == 60 and len({e["pgh_id"] for e in events}) == 60
    assert len(sent("GET", "/sdk/ground_truth_events/")) == 3
    # Every event's image carries a URL: list_all downloads it once and puts its path instead.
    images = [e["files"]["image"] for e in events]
    assert all("url" not in image and image["path"].is_file() for image in images)
    assert len(sent("GET", "/media/*")) == 60


def test_ground_truth_versions(backend: BackendClient, sent: Any) -> None:
    assert backend.get_ground_truth_version(2)["version"] == "v1.1"
    page = backend.list_ground_truth_versions({"ground_truth_dataset": 1})
    assert [v["version"] for v in page["results"]] == ["v1.0", "v1.1"]
    assert [r.path for r in sent()] == [
        "/ground_truth_dataset_versions/2/",
        "/ground_truth_dataset_versions/",
    ]


def test_list_filters_the_type_does_not_declare_go_as_given(backend: BackendClient, sent: Any) -> None:
    page = backend.list_models(params={"project": 123, "plugin": "yolo-detector"})
    assert page["count"] == 1  # the server ignores a filter it does not know
    assert sent()[0].query == {"project": "123", "plugin": "yolo-detector", "page_size": "100"}
