"""``POST plugins/{id}/run/``: ``params`` checked against the types the release's config declares."""

from __future__ import annotations

from typing import Any

import pytest
from emu_http import Api

from synapse.emulator import Emulator

RUN = "plugins/yolo-detector/run/"
FORMATS = ["coco", "yolo", "voc", "dm"]


def jobs(emu: Emulator) -> int:
    return emu.db.count("jobs")


def test_a_wrongly_typed_param_is_a_400_naming_it_and_starts_no_job(api: Api, emu: Emulator) -> None:
    before = jobs(emu)
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": {"epochs": "many"}})
    assert r.status_code == 400 and r.json() == {"params.epochs": ["must be an integer"]}
    assert jobs(emu) == before


def test_well_typed_params_run(api: Api) -> None:
    params = {"epochs": 3, "batch_size": 8, "learning_rate": 1e-3, "pretrained": False}
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": params})
    assert r.status_code == 201 and r.json()["params"] == params


@pytest.mark.parametrize(
    ("action", "params", "errors"),
    [
        ("train", {"epochs": True}, {"params.epochs": ["must be an integer"]}),
        ("train", {"epochs": 2.5}, {"params.epochs": ["must be an integer"]}),
        ("train", {"epochs": 0}, {"params.epochs": ["must be >= 1"]}),
        ("train", {"epochs": None}, {"params.epochs": ["may not be null"]}),
        ("train", {"learning_rate": "fast"}, {"params.learning_rate": ["must be a number"]}),
        ("train", {"pretrained": "yes"}, {"params.pretrained": ["must be a boolean"]}),
        (
            "train",
            {"epochs": "x", "batch_size": [1]},
            {"params.epochs": ["must be an integer"], "params.batch_size": ["must be an integer"]},
        ),
        ("inference", {"confidence": 1.5}, {"params.confidence": ["must be <= 1"]}),
        ("export", {"format": 3}, {"params.format": ["must be a string"]}),
        ("export", {"format": "xml"}, {"params.format": [f"'xml' is not one of {FORMATS}"]}),
        (None, {"epochs": "many"}, {"params.epochs": ["must be an integer"]}),  # the first action: train
    ],
)
def test_each_declared_type_is_checked(api: Api, action: str | None, params: Any, errors: Any) -> None:
    body = {"agent": 1, "params": params, **({"action": action} if action else {})}
    r = api.post(RUN, json=body)
    assert r.status_code == 400 and r.json() == errors


def test_undeclared_params_and_other_actions_pass_unchecked(api: Api) -> None:
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": {"custom": "anything", "epochs": 2}})
    assert r.status_code == 201
    r = api.post(RUN, json={"agent": 1, "action": "fail", "params": {"epochs": "many"}})
    assert r.status_code == 201  # "fail" declares nothing


def test_a_release_without_typed_params_takes_any(api: Api) -> None:
    body = {"plugin": 1, "version": "2.0.0", "config": {"actions": {"train": {"params": {"epochs": 10}}}}}
    assert api.post("plugin_releases/", json=body).status_code == 201
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": {"epochs": "many"}})
    assert r.status_code == 201  # the latest release declares no type
    r = api.post(RUN, json={"agent": 1, "action": "train", "version": "1.0.0", "params": {"epochs": "many"}})
    assert r.status_code == 400 and r.json() == {"params.epochs": ["must be an integer"]}


def test_list_shaped_declarations_and_required_params(api: Api) -> None:
    declared = [{"name": "epochs", "type": "int"}, {"name": "data", "type": "object", "required": True}]
    config = {"actions": [{"name": "train", "params": declared}]}
    r = api.post("plugin_releases/", json={"plugin": 1, "version": "3.0.0", "config": config})
    assert r.status_code == 201
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": {"epochs": "x"}})
    assert r.json() == {
        "params.epochs": ["must be an integer"],
        "params.data": ["This parameter is required."],
    }
    params = {"epochs": 1, "data": {"split": "val"}}
    r = api.post(RUN, json={"agent": 1, "action": "train", "params": params})
    assert r.status_code == 201
