"""Models and ground truth against the emulator (demo seed: model 1 ``yolo-base`` of plugin
``yolo-detector``; ground-truth versions 1 (events 1-60) and 2 (events 61-80), categories by
``pgh_id % 10``: 0-6 train, 7-8 validation, 9 test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synapse import DataUnit, GroundTruthEvent, GroundTruthVersion, MethodNotAllowed, Model, ValidationError

WEIGHTS = b"EMULATED-WEIGHTS\x00" * 4


def calls(emu: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests.snapshot()]


# ---- models ----


def test_get_a_model(client: Any, emu: Any) -> None:
    model = client.models.get(1)
    assert isinstance(model, Model) and model.name == "yolo-base" and model.plugin == "yolo-detector"
    assert model.version == "1.0.0" and model.configuration == {"input_size": 640} and model.is_released
    assert model.file.startswith(emu.url) and model.checkpoint is None
    assert calls(emu) == [("GET", "/models/1/")]
    assert repr(model) == "<Model 1 'yolo-base' version='1.0.0'>"


def test_filter_by_plugin_is_sent_as_a_query_parameter(client: Any, emu: Any) -> None:
    assert list(client.models.filter(plugin="yolo").iterator()) == []
    assert emu.requests.snapshot()[-1].query["plugin"] == "yolo"
    assert [m.id for m in client.models.filter(plugin="yolo-detector").iterator()] == [1]


def test_download_writes_the_weights(client: Any, tmp_path: Path) -> None:
    path = client.models.get(1).download(tmp_path)
    assert path.parent == tmp_path and path.name == "yolo-base.pt" and path.read_bytes() == WEIGHTS


def test_create_uploads_the_file_then_posts_the_upload_id(client: Any, emu: Any, tmp_path: Path) -> None:
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights" * 100)
    parent = client.models.get(1)
    emu.requests.clear()
    model = client.models.create(
        name="yolo-finetuned", file=weights, plugin="yolo-detector", version="1.0.0", checkpoint=parent,
        configuration={"input_size": 320}, description="Fine-tuned on street scenes",
    )
    methods = [m for m, _ in calls(emu)]
    assert methods == ["PUT", "POST", "POST"]  # one chunk, finish, create
    put, finish, post = emu.requests.snapshot()
    assert put.path == "/chunked_upload/" and finish.path.startswith("/chunked_upload/")
    upload_id = finish.path.strip("/").split("/")[-1]
    assert (post.path, post.status) == ("/models/", 201)
    assert post.body == {
        "name": "yolo-finetuned", "plugin": "yolo-detector", "version": "1.0.0", "checkpoint": 1,
        "configuration": {"input_size": 320}, "description": "Fine-tuned on street scenes",
        "chunked_upload": upload_id,
    }
    assert model.checkpoint == parent and model.checkpoint_id == 1
    assert model.download(tmp_path / "out").read_bytes() == weights.read_bytes()


def test_create_checks_its_input_before_any_upload(client: Any, emu: Any, tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"w")
    with pytest.raises(ValidationError) as info:
        client.models.create(file=weights)
    assert info.value.errors == {"name": ["This field is required."]}
    with pytest.raises(FileNotFoundError):
        client.models.create(name="x", file=tmp_path / "missing.pt")
    with pytest.raises(TypeError, match="either"):
        client.models.create(name="x", file=weights, chunked_upload="abc")
    with pytest.raises(TypeError, match="configuration"):
        client.models.create(name="x", file=weights, configuration=[1])
    assert calls(emu) == []


def test_models_cannot_be_updated_or_deleted(client: Any, emu: Any) -> None:
    model = client.models.get(1)
    model.name = "renamed"
    with pytest.raises(AttributeError, match="cannot be updated"):
        model.save()  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="cannot be deleted"):
        model.delete()  # type: ignore[attr-defined]
    assert calls(emu) == [("GET", "/models/1/")]


# ---- ground truth ----


def test_a_versions_events_are_filtered_on_the_version(client: Any, emu: Any) -> None:
    version = client.ground_truth_versions.get(1)
    assert isinstance(version, GroundTruthVersion) and version.version == "v1.0"
    assert version.ground_truth_dataset == 1 and repr(version) == "<GroundTruthVersion 1 'v1.0'>"
    qs = version.events.filter(category="train")
    assert qs.count() == 42
    record = emu.requests.snapshot()[-1]
    assert record.path == "/sdk/ground_truth_events/"
    assert record.query == {"ground_truth_dataset_versions": "1", "category": "train", "page_size": "1"}
    events = list(qs.iterator())
    assert len(events) == 42 and all(e.category == "train" for e in events)
    assert all(isinstance(e, GroundTruthEvent) for e in events)


def test_client_events_filter_by_version_and_identity_is_pgh_id(client: Any, emu: Any) -> None:
    events = list(client.ground_truth_events.filter(ground_truth_dataset_versions=2).iterator())
    assert [e.pgh_id for e in events] == list(range(61, 81))
    first = events[0]
    assert first.id == 1 and first.pgh_label == "ground_truth.add"
    assert first.classes == ["car", "road", "traffic_sign"]  # DM v1 of unit 1's scene
    assert first.data["extra"] == {"image": {"width": 320, "height": 240}}
    assert repr(first) == "<GroundTruthEvent 61 'ground_truth.add' category='train'>"
    assert first == GroundTruthEvent(pgh_id=61) and first != GroundTruthEvent(pgh_id=1)
    same_item = list(client.ground_truth_events.filter(ground_truth=1).iterator())
    assert {e.pgh_id for e in same_item} == {1, 61}  # two events of one ground truth: not equal
    assert same_item[0] != same_item[1]
    assert emu.requests.snapshot()[0].query["ground_truth_dataset_versions"] == "2"


def test_cursor_mode_orders_by_descending_pgh_id(client: Any, emu: Any) -> None:
    qs = client.ground_truth_events.filter(ground_truth_dataset_versions=1)
    ids = [e.pgh_id for e in qs.iterator(cursor=True, page_size=25)]
    assert ids == list(range(60, 0, -1))
    first = emu.requests.snapshot()[0]
    assert first.query["pagination"] == "cursor" and first.query["ordering"] == "-pgh_id"
    assert len(emu.requests.snapshot()) == 3


def test_events_are_read_only_and_cannot_be_completed(client: Any, emu: Any) -> None:
    event = client.bind(GroundTruthEvent(pgh_id=61, category="train"))  # a partial row
    assert event.category == "train" and not event.is_loaded
    sent = len(calls(emu))
    with pytest.raises(MethodNotAllowed, match="no detail route"):
        _ = event.data
    with pytest.raises(AttributeError, match="read one by one"):
        client.ground_truth_events.get(61)
    with pytest.raises(AttributeError, match="cannot be deleted"):
        event.delete()  # type: ignore[attr-defined]
    full = client.ground_truth_events.filter(ground_truth_dataset_versions=2)[0]
    full.category = "test"
    with pytest.raises(AttributeError, match="cannot be updated"):
        full.save()  # type: ignore[attr-defined]
    assert len(calls(emu)) == sent + 1  # only the list request
    with pytest.raises(ValueError, match="category"):
        client.ground_truth_events.filter(category="training")


def test_an_events_data_unit_is_lazy(client: Any, emu: Any) -> None:
    event = client.ground_truth_events.filter(ground_truth_dataset_versions=2)[0]
    unit = event.data_unit
    assert isinstance(unit, DataUnit) and unit.id == 1 and len(calls(emu)) == 1
    assert unit.files["image"]["checksum"] == event.files["image"]["checksum"]
    assert calls(emu)[-1] == ("GET", "/data_units/1/")
