"""Plugins, releases and runs against the emulator (demo seed: plugin 1 ``yolo-detector`` with
release 1 ``1.0.0`` declaring train/inference/export; plugin 2 ``coco-export`` without a release;
agent 1 is the only connected agent)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from synapse import Job, NotFound, Plugin, PluginRelease, ValidationError


def calls(emu: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emu.requests.snapshot()]


def last(emu: Any) -> Any:
    return emu.requests.snapshot()[-1]


# ---- plugins ----


def test_create_sends_the_fields_and_the_server_derives_the_code(client: Any, emu: Any) -> None:
    plugin = client.plugins.create(name="My Plugin", category="neural_net", description="Detects things")
    assert isinstance(plugin, Plugin) and plugin.code == "my-plugin" and plugin.is_active is True
    post = last(emu)
    assert (post.method, post.path, post.status) == ("POST", "/plugins/", 201)
    assert post.body == {"name": "My Plugin", "category": "neural_net", "description": "Detects things"}
    assert repr(plugin) == f"<Plugin {plugin.id} 'My Plugin' code='my-plugin'>"


def test_create_checks_name_and_category_before_any_request(client: Any, emu: Any) -> None:
    with pytest.raises(ValidationError) as info:
        client.plugins.create(category="export")
    assert info.value.errors == {"name": ["This field is required."]}
    with pytest.raises(ValidationError, match="category must be one of") as info:
        client.plugins.create(name="X", category="training")
    assert info.value.errors == {"category": ['"training" is not a valid choice.']}
    with pytest.raises(TypeError, match="no field 'colour'"):
        client.plugins.create(name="X", colour="red")
    assert calls(emu) == []


def test_get_by_id_and_by_code(client: Any, emu: Any) -> None:
    by_id = client.plugins.get(1)
    by_code = client.plugins.get("yolo-detector")
    assert by_id == by_code and by_code.id == 1 and by_code.category == "neural_net"
    assert calls(emu) == [("GET", "/plugins/1/"), ("GET", "/plugins/yolo-detector/")]
    client.plugins.get("yolo-detector")  # cached under its code
    assert len(calls(emu)) == 2
    with pytest.raises(NotFound):
        client.plugins.get("no-such-plugin")
    with pytest.raises(ValueError, match="lazy"):
        client.plugins.get("yolo-detector", lazy=True)
    with pytest.raises(TypeError):
        client.plugins.get(1.5)


def test_save_and_update_patch_only_the_changed_fields(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(2)
    plugin.description = "COCO 1.0 export"
    plugin.save()
    assert (last(emu).method, last(emu).path, last(emu).body) == (
        "PATCH", "/plugins/2/", {"description": "COCO 1.0 export"},
    )
    assert plugin.update(name="COCO", is_active=False) is plugin
    assert last(emu).body == {"name": "COCO", "is_active": False}
    assert client.plugins.get(2).name == "COCO"  # the write cleared the cache
    with pytest.raises(ValidationError):
        plugin.update(category="nope")
    with pytest.raises(AttributeError):
        plugin.update(colour="red")


def test_delete(client: Any, emu: Any) -> None:
    client.plugins.get(2, lazy=True).delete()
    assert calls(emu) == [("DELETE", "/plugins/2/")]
    with pytest.raises(NotFound):
        client.plugins.get(2)


def test_list_and_filter(client: Any, emu: Any) -> None:
    assert [p.code for p in client.plugins.all()] == ["yolo-detector", "coco-export"]
    assert [p.id for p in client.plugins.filter(category="export")] == [2]
    assert last(emu).query == {"category": "export", "page_size": "100"}


# ---- releases ----


def test_releases_all_lists_the_plugins_releases_by_code(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(1)
    releases = list(plugin.releases.all().iterator())
    assert [r.version for r in releases] == ["1.0.0"] and isinstance(releases[0], PluginRelease)
    assert releases[0].available_actions == ["train", "inference", "export"]
    assert releases[0].requirements == ["ultralytics==8.0.0", "torch>=2.0"]
    assert (last(emu).path, last(emu).query["plugin"]) == ("/plugin_releases/", "yolo-detector")
    assert list(client.plugins.get(2).releases.all().iterator()) == []


def test_releases_get_by_version_reads_code_at_version(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(1)
    release = plugin.releases.get("1.0.0")
    assert release.id == 1 and release.plugin == "yolo-detector" and release.version == "1.0.0"
    assert calls(emu)[-1] == ("GET", "/plugin_releases/yolo-detector@1.0.0/")
    assert repr(release) == "<PluginRelease 1 'yolo-detector' version='1.0.0'>"
    assert client.plugin_releases.get("yolo-detector@1.0.0") == release
    assert client.plugin_releases.get(1) == release
    with pytest.raises(NotFound):
        plugin.releases.get("9.9.9")
    with pytest.raises(NotFound):
        client.plugins.get(2).releases.get(1)  # release 1 belongs to another plugin


def test_a_bare_version_needs_the_plugin(client: Any, emu: Any) -> None:
    with pytest.raises(ValueError, match=r"plugin\.releases\.get"):
        client.plugin_releases.get("1.0.0")
    assert calls(emu) == []


def test_create_release_with_an_archive_path_sends_multipart(client: Any, emu: Any, tmp_path: Path) -> None:
    archive = tmp_path / "plugin.zip"
    archive.write_bytes(b"PK\x03\x04" + b"x" * 1000)
    plugin = client.plugins.get(1)
    config = {"actions": {"train": {"entrypoint": "main.train"}, "predict": {"entrypoint": "main.predict"}}}
    release = plugin.releases.create(
        version="2.0.0", file=archive, config=config, requirements=["torch>=2.1", "numpy"], debug=True
    )
    assert release.version == "2.0.0" and release.available_actions == ["train", "predict"]
    assert release.requirements == ["torch>=2.1", "numpy"] and release.debug is True
    post = last(emu)
    assert (post.method, post.path, post.status) == ("POST", "/plugin_releases/", 201)
    assert post.files == {"file": 1004}
    assert post.form["plugin"] == "yolo-detector" and post.form["version"] == "2.0.0"
    assert json.loads(post.form["config"]) == config
    assert post.form["requirements"] == ["torch>=2.1", "numpy"] and post.form["debug"] == "true"
    assert [r.version for r in plugin.releases.all().iterator()] == ["1.0.0", "2.0.0"]


def test_create_release_from_an_open_binary_file(client: Any, emu: Any) -> None:
    fh = io.BytesIO(b"archive-bytes")
    release = client.plugin_releases.create("1.1.0", file=fh, requirements=["one"], plugin="yolo-detector")
    assert release.plugin == "yolo-detector" and release.requirements == ["one"]
    post = last(emu)
    assert post.files == {"file": 13} and post.form["requirements"] == "one" and post.form["debug"] == "false"
    assert "config" not in post.form


def test_create_release_without_a_file_sends_json(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(2)
    release = plugin.releases.create(version="0.1.0", config={"actions": ["export"]})
    assert release.available_actions == ["export"]
    assert last(emu).body == {
        "plugin": "coco-export", "version": "0.1.0", "requirements": [], "debug": False,
        "config": {"actions": ["export"]},
    }


def test_an_existing_version_is_refused_by_the_server(client: Any) -> None:
    with pytest.raises(ValidationError, match="already exists") as info:
        client.plugins.get(1).releases.create(version="1.0.0")
    assert "version" in info.value.errors


def test_create_release_checks_its_input_before_any_request(client: Any, emu: Any, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="plugin"):
        client.plugin_releases.create(version="1.0.0")
    with pytest.raises(TypeError, match="requirements"):
        client.plugin_releases.create("3.0.0", requirements="torch", plugin="yolo-detector")
    with pytest.raises(TypeError, match="config"):
        client.plugin_releases.create("3.0.0", config=[1], plugin="yolo-detector")
    with pytest.raises(FileNotFoundError):
        client.plugin_releases.create("3.0.0", file=tmp_path / "missing.zip", plugin="yolo-detector")
    with pytest.raises(TypeError, match="version"):
        client.plugin_releases.create("", plugin="yolo-detector")
    assert calls(emu) == []


# ---- runs ----


def test_run_sends_the_arguments_and_answers_a_job(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(1, lazy=True)
    job = plugin.run(action="train", params={"epochs": 3}, agent=1, version="1.0.0", debug=True)
    assert isinstance(job, Job) and job.id == job.job_id and job.plugin == "yolo-detector"
    assert job.action == "train" and job.params == {"epochs": 3} and job.agent_id == 1
    post = last(emu)
    assert (post.path, post.status) == ("/plugins/1/run/", 201)
    assert post.body == {
        "action": "train", "params": {"epochs": 3}, "agent": 1, "version": "1.0.0", "debug": True,
    }


def test_run_with_defaults_leaves_the_choices_to_the_server(client: Any, emu: Any) -> None:
    job = client.plugins.get(1, lazy=True).run()
    assert last(emu).body == {"debug": False}
    assert job.action == "train" and job.agent_id == 1  # first declared action, the one connected agent


def test_run_of_a_release_names_its_plugin_and_version(client: Any, emu: Any) -> None:
    release = client.plugins.get(1).releases.get("1.0.0")
    job = release.run(action="export", agent=client.agents.get(1))
    assert last(emu).path == "/plugins/yolo-detector/run/"
    assert last(emu).body == {"action": "export", "agent": 1, "version": "1.0.0", "debug": False}
    assert job.plugin_release_id == 1


def test_run_of_a_plugin_without_release_is_refused(client: Any) -> None:
    with pytest.raises(ValidationError, match="no release"):
        client.plugins.get(2, lazy=True).run()


def test_run_checks_argument_types_before_any_request(client: Any, emu: Any) -> None:
    plugin = client.plugins.get(1, lazy=True)
    for kwargs in ({"agent": "one"}, {"params": [1, 2]}, {"action": 3}, {"debug": "yes"}, {"version": 1}):
        with pytest.raises(TypeError):
            plugin.run(**kwargs)
    assert calls(emu) == []
