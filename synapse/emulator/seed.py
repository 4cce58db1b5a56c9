"""The ``demo`` seed: a small, realistic workspace with stable ids (docs can say ``projects.get(1)``).

What it creates:

- data collection 1 "Street scenes" with specifications ``image`` (id 1; required, primary)
  and ``metadata`` (id 2; optional JSON);
- 320 data units (ids 1-320), each with a 320x240 PNG street scene (``synapse.emulator.scenes``:
  sky, buildings, a road, cars, pedestrians, bicycles, signs, drawn where the annotations say)
  and a small JSON file (data files 2i-1 and 2i, bytes kept in the database);
- project 1 "Street scenes annotation" with tasks 1-320, one per unit; its configuration is the
  label schema of ANNOTATIONS.md §2 (``bounding_box``: car, person, bicycle, traffic_sign;
  ``polygon``: road; ``keypoint``: six body points with a skeleton); tasks 1-120 (completed)
  hold their scene's annotation in DM v1 (ANNOTATIONS.md §1, media id ``image``, ``extra``
  width and height), the others none; project 2 "Sign review" (a ``classification`` tool:
  stop, yield, speed_limit) with tasks 321-332 over units 1-12;
- task tags 1-3 (project 1: needs-review, hard, export-ready) and 4 (project 2: priority);
- assignments 1-200 (tasks 1-200; 1-120 carry their task's annotation) and 201-206 (project 2);
- plugin 1 ``yolo-detector`` with release 1 ``1.0.0`` (actions train, inference, export, with
  typed params, see ``synapse.emulator.run_params``) and plugin 2 ``coco-export`` without a release;
- agent 1 "local-agent" (connected, token ``DEMO_AGENT_TOKEN``) and agent 2 (disconnected);
- storage 1 (file_system, internal) and 2 (amazon_s3, external, with credentials);
- ground-truth dataset 1, versions 1 (60 events, units 1-60) and 2 (20 events, units 1-20):
  each event's ``data`` is its unit's scene in DM v1, its ``category`` a stable split
  (``train`` 70%, ``validation`` 20%, ``test`` 10%), its ``files`` the unit's image with a ``url``;
- model 1 ``yolo-base``; job ``DEMO_JOB_ID`` (train, SUCCEEDED, with console lines).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from synapse.emulator.clock import iso
from synapse.emulator.scenes import WEATHERS, street_scene
from synapse.emulator.store import Store

__all__ = [
    "DEMO_AGENT_TOKEN",
    "DEMO_JOB_ID",
    "PROJECT_CONFIGURATION",
    "SEEDS",
    "dm_document",
    "seed_demo",
    "split_of",
]

DEMO_AGENT_TOKEN = "demo-agent-token"
DEMO_JOB_ID = "00000000-0000-4000-8000-000000000001"
_BASE = 1704067200.0  # 2024-01-01T00:00:00Z
_UNITS = 320
_P2_TASKS = 12
CLASSES = ["car", "person", "bicycle", "traffic_sign"]
KEYPOINTS = ["head", "neck", "left_hand", "right_hand", "left_foot", "right_foot"]
MEDIA = "image"  # the media id of the annotations: the collection's image specification

_OCCLUDED = {"name": "occluded", "type": "radio", "options": ["yes", "no"]}
_SIGN_KIND = {"name": "kind", "type": "select", "options": ["stop", "yield", "speed_limit"]}
_KEYPOINT_COLORS = ["#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c", "#fabebe"]
PROJECT_CONFIGURATION: dict[str, Any] = {
    "classification": {
        "bounding_box": {
            "classification_schema": [
                {"code": "car", "name": "Car", "color": "#e6194b", "attributes": [_OCCLUDED]},
                {"code": "person", "name": "Person", "color": "#3cb44b", "attributes": [_OCCLUDED]},
                {"code": "bicycle", "name": "Bicycle", "color": "#ffe119"},
                {
                    "code": "traffic_sign",
                    "name": "Traffic sign",
                    "color": "#4363d8",
                    "attributes": [_SIGN_KIND],
                },
            ]
        },
        "polygon": {"classification_schema": [{"code": "road", "name": "Road", "color": "#808080"}]},
        "keypoint": {
            "classification_schema": [
                {"code": code, "name": code.replace("_", " ").capitalize(), "color": color}
                for code, color in zip(KEYPOINTS, _KEYPOINT_COLORS, strict=True)
            ],
            "skeleton": [["head", "neck"], *[["neck", code] for code in KEYPOINTS[2:]]],
        },
    },
    "options": {"allow_empty": False},
}
SIGN_REVIEW_CONFIGURATION: dict[str, Any] = {
    "classification": {
        "classification": {
            "classification_schema": [
                {"code": "stop", "name": "Stop", "color": "#e6194b"},
                {"code": "yield", "name": "Yield", "color": "#ffe119"},
                {"code": "speed_limit", "name": "Speed limit", "color": "#4363d8"},
            ]
        }
    },
    "options": {"allow_empty": True},
}
_EXPORT_FORMAT = {"type": "string", "default": "coco", "choices": ["coco", "yolo", "voc", "dm"]}
RELEASE_CONFIG: dict[str, Any] = {
    "actions": {
        "train": {
            "entrypoint": "plugin.train.main",
            "params": {
                "epochs": {"type": "integer", "default": 10, "minimum": 1},
                "batch_size": {"type": "integer", "default": 16, "minimum": 1},
                "learning_rate": {"type": "number", "default": 0.01, "minimum": 0},
                "pretrained": {"type": "boolean", "default": True},
            },
        },
        "inference": {
            "entrypoint": "plugin.inference.main",
            "params": {"confidence": {"type": "number", "default": 0.25, "minimum": 0, "maximum": 1}},
        },
        "export": {"entrypoint": "plugin.export.main", "params": {"format": _EXPORT_FORMAT}},
    }
}


def dm_document(index: int, assignment: int | None = None) -> dict[str, Any]:
    """The DM v1 annotation of unit ``index``'s scene (ANNOTATIONS.md §1), under media id ``image``.

    Args:
        index: the unit (1-320).
        assignment: the ``assignmentId`` to record, if any.
    """
    scene = street_scene(index)
    metas, rows = [], []
    groups: dict[str, list[str]] = {}
    for obj in scene.objects:
        metas.append(
            {
                "id": obj.ident,
                "tool": obj.tool,
                "isLocked": False,
                "isVisible": True,
                "isValid": True,
                "isDrawCompleted": True,
                "classification": {"class": obj.label, **obj.attrs},
                "label": [],
            }
        )
        if obj.tool == "bounding_box":
            x, y, w, h = obj.geometry
            coordinate: Any = {"x": x, "y": y, "width": w, "height": h, "rotation": 0.0}
        elif obj.tool == "polygon":
            points = enumerate(obj.geometry)
            coordinate = [{"x": px, "y": py, "id": f"{obj.ident}p{k}"} for k, (px, py) in points]
        else:
            coordinate = {"x": obj.geometry[0], "y": obj.geometry[1]}
        rows.append({"id": obj.ident, "coordinate": coordinate})
        if obj.group is not None:
            groups.setdefault(obj.group, []).append(obj.ident)
    document: dict[str, Any] = {"assignmentId": assignment} if assignment is not None else {}
    document.update(
        {
            "extra": {MEDIA: {"width": scene.width, "height": scene.height}},
            "annotations": {MEDIA: metas},
            "annotationsData": {MEDIA: rows},
            "relations": {MEDIA: []},
            "annotationGroups": {MEDIA: [{"id": g, "annotationIds": ids} for g, ids in groups.items()]},
        }
    )
    return document


def split_of(index: int) -> str:
    """The stable ground-truth split of event ``index``: 7 in 10 train, 2 validation, 1 test."""
    return "train" if index % 10 < 7 else "validation" if index % 10 < 9 else "test"


def _t(seconds: float) -> str:
    return iso(_BASE + seconds)


def _j(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def seed_demo(store: Store, data_dir: Path) -> None:
    """Fill an empty database with the demo workspace (one transaction)."""
    with store.write() as db:
        db.execute(
            "INSERT INTO data_collections (id, name, description, category, meta, created) VALUES "
            "(1, 'Street scenes', 'Dash-cam frames with metadata', 'image', ?, ?)",
            (_j({"source": "demo"}), _t(0)),
        )
        db.executemany(
            "INSERT INTO file_specifications "
            "(id, data_collection, name, file_type, is_required, is_primary, idx) "
            "VALUES (?, 1, ?, ?, ?, ?, ?)",
            [(1, "image", "image", 1, 1, 0), (2, "metadata", "json", 0, 0, 1)],
        )
        rows = _bulk_rows()
        files, units = rows["files"], rows["units"]
        db.executemany(
            "INSERT INTO data_files (id, checksum, size, filename, content, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            files,
        )
        db.executemany(
            "INSERT INTO data_units (id, data_collection, checksum, meta, files, created) "
            "VALUES (?, 1, ?, ?, ?, ?)",
            units,
        )

        db.execute(
            "INSERT INTO projects (id, title, description, category, data_collection, configuration, "
            "settings, created) VALUES (1, 'Street scenes annotation', 'Boxes around road users', 'image', "
            "1, ?, ?, ?)",
            (_j(PROJECT_CONFIGURATION), _j({"review": True, "assignees_per_task": 1}), _t(10)),
        )
        db.execute(
            "INSERT INTO projects (id, title, description, category, data_collection, configuration, "
            "settings, created) VALUES (2, 'Sign review', 'Check traffic signs', 'image', 1, ?, ?, ?)",
            (
                _j(SIGN_REVIEW_CONFIGURATION),
                _j({"review": False}),
                _t(20),
            ),
        )
        db.executemany(
            "INSERT INTO task_tags (id, project, name, category, description, meta, created) "
            "VALUES (?, ?, ?, ?, ?, '{}', ?)",
            [
                (1, 1, "needs-review", "project", "Look at it again", _t(30)),
                (2, 1, "hard", "project", "Occluded or blurry", _t(31)),
                (3, 1, "export-ready", "export", "Include in the next export", _t(32)),
                (4, 2, "priority", "project", "Do these first", _t(33)),
            ],
        )
        tasks, assignments = rows["tasks"], rows["assignments"]
        db.executemany(
            "INSERT INTO tasks (id, project, data_unit, data, meta, status_label, status_review, "
            "is_discarded, tags, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tasks,
        )
        db.executemany(
            "INSERT INTO assignments (id, project, task, user, reviewer, status_label, status_review, "
            "is_confirmed, is_discarded, data, tags, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            assignments,
        )

        db.execute(
            "INSERT INTO plugins (id, code, name, category, description, created) VALUES "
            "(1, 'yolo-detector', 'YOLO Detector', 'neural_net', 'Object detection with YOLO', ?)",
            (_t(40),),
        )
        db.execute(
            "INSERT INTO plugins (id, code, name, category, description, created) VALUES "
            "(2, 'coco-export', 'COCO Export', 'export', 'Export annotations as COCO', ?)",
            (_t(41),),
        )
        db.execute(
            "INSERT INTO plugin_releases (id, plugin, version, config, requirements, created) VALUES "
            "(1, 1, '1.0.0', ?, ?, ?)",
            (_j(RELEASE_CONFIG), _j(["ultralytics==8.0.0", "torch>=2.0"]), _t(42)),
        )
        db.execute(
            "INSERT INTO agents (id, name, url, status, token, checked_at) VALUES "
            "(1, 'local-agent', 'http://127.0.0.1:9000', 'connected', ?, ?)",
            (DEMO_AGENT_TOKEN, _t(50)),
        )
        db.execute(
            "INSERT INTO agents (id, name, url, status, token) VALUES "
            "(2, 'gpu-agent', 'http://127.0.0.1:9001', 'disconnected', 'demo-agent-token-2')"
        )
        db.execute(
            "INSERT INTO storages (id, name, provider, category, configuration, created) VALUES "
            "(1, 'Default storage', 'file_system', 'internal', ?, ?)",
            (_j({"location": "/var/lib/synapse/media"}), _t(60)),
        )
        db.execute(
            "INSERT INTO storages (id, name, provider, category, configuration, created) VALUES "
            "(2, 'Archive bucket', 'amazon_s3', 'external', ?, ?)",
            (
                _j(
                    {
                        "bucket_name": "synapse-archive",
                        "region_name": "us-east-1",
                        "access_key": "AKIAEMULATOR000000",
                        "secret_key": "emulator-secret-key",
                    }
                ),
                _t(61),
            ),
        )

        db.execute(
            "INSERT INTO ground_truth_versions (id, ground_truth_dataset, version, description, created) "
            "VALUES (1, 1, 'v1.0', 'First cut', ?)",
            (_t(70),),
        )
        db.execute(
            "INSERT INTO ground_truth_versions (id, ground_truth_dataset, version, description, created) "
            "VALUES (2, 1, 'v1.1', 'More signs', ?)",
            (_t(71),),
        )
        events = rows["events"]
        db.executemany(
            "INSERT INTO ground_truth_events (pgh_id, id, version, pgh_label, data_unit, category, data, "
            "files, classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )

        weights = data_dir / "models" / "yolo-base.pt"
        weights.parent.mkdir(parents=True, exist_ok=True)
        weights.write_bytes(b"EMULATED-WEIGHTS\x00" * 4)
        db.execute(
            "INSERT INTO models (id, name, plugin, version, configuration, description, path, filename, "
            "is_released, created) VALUES (1, 'yolo-base', 'yolo-detector', '1.0.0', ?, "
            "'Pretrained base', ?, 'yolo-base.pt', 1, ?)",
            (_j({"input_size": 640}), str(weights), _t(80)),
        )

        progress = {
            "current_progress": {"overall": 100, "step": "train", "current_step": 3, "total_steps": 3},
            "record": {"completed": 3, "total": 3},
        }
        db.execute(
            "INSERT INTO jobs (seq, id, status, plugin, plugin_release, agent, action, params, "
            "progress_record, metrics_record, result, created, started, finished, step) VALUES "
            "(1, ?, 'SUCCEEDED', 'yolo-detector', 1, 1, 'train', ?, ?, ?, ?, ?, ?, ?, 5)",
            (
                DEMO_JOB_ID,
                _j({"epochs": 3}),
                _j(progress),
                _j({"loss": 0.25, "map50": 0.61}),
                _j({"status": "ok", "action": "train", "output": {"model": 1}}),
                _t(90),
                _t(91),
                _t(95),
            ),
        )
        db.executemany(
            "INSERT INTO job_logs (job, line) VALUES (1, ?)",
            [
                ("Starting action 'train'",),
                ("epoch 1/3 loss=0.61",),
                ("epoch 2/3 loss=0.38",),
                ("epoch 3/3 loss=0.25",),
                ("Action 'train' finished successfully",),
            ],
        )


@functools.lru_cache(maxsize=1)
def _bulk_rows() -> dict[str, list[tuple[Any, ...]]]:
    """The many-row tables of the demo seed, computed once per process (seeding stays ~10 ms)."""
    files, units = [], []
    for i in range(1, _UNITS + 1):
        png = street_scene(i).png
        meta = _j({"frame": i, "camera": "front", "weather": WEATHERS[i % 3]}).encode()
        png_md5, meta_md5 = hashlib.md5(png).hexdigest(), hashlib.md5(meta).hexdigest()
        files.append((2 * i - 1, png_md5, len(png), f"frame_{i:04d}.png", png, _t(i)))
        files.append((2 * i, meta_md5, len(meta), f"frame_{i:04d}.json", meta, _t(i)))
        unit_files = {
            "image": {
                "checksum": png_md5,
                "url": f"media/data_files/{2 * i - 1}/frame_{i:04d}.png",
                "size": len(png),
                "file_type": "image",
                "is_primary": True,
            },
            "metadata": {
                "checksum": meta_md5,
                "url": f"media/data_files/{2 * i}/frame_{i:04d}.json",
                "size": len(meta),
                "file_type": "json",
                "is_primary": False,
            },
        }
        units.append((i, png_md5, _j({"frame": i}), _j(unit_files), _t(i)))
    tasks, assignments = [], []
    for i in range(1, _UNITS + 1):
        label = "completed" if i <= 120 else "in_progress" if i <= 200 else "stand_by"
        review = "completed" if i <= 60 else "rejected" if i <= 70 else "stand_by"
        data = _j(dm_document(i, assignment=i)) if label == "completed" else None
        tags = sorted({1} if i % 10 == 0 else set()) + ([2] if i % 7 == 0 else [])
        tasks.append(
            (i, 1, i, data, _j({"frame": i}), label, review, int(i % 50 == 0), _j(tags), _t(100 + i))
        )
        if i <= 200:
            assignments.append(
                (
                    i,
                    1,
                    i,
                    1 + i % 3,
                    4 if i <= 70 else None,
                    label,
                    review,
                    int(label == "completed"),
                    int(i % 50 == 0),
                    data,
                    _j([]),
                    _t(1000 + i),
                )
            )
    for k in range(1, _P2_TASKS + 1):
        tid = _UNITS + k
        tasks.append(
            (tid, 2, k, None, _j({}), "stand_by", "stand_by", 0, _j([4] if k <= 3 else []), _t(100 + tid))
        )
        if k <= 6:
            assignments.append(
                (200 + k, 2, tid, 5, None, "in_progress", "stand_by", 0, 0, None, _j([]), _t(1000 + tid))
            )
    events = []
    for pgh in range(1, 81):
        version, unit = (1, pgh) if pgh <= 60 else (2, pgh - 60)
        document = dm_document(unit)
        classes = sorted({meta["classification"]["class"] for meta in document["annotations"][MEDIA]})
        image = json.loads(units[unit - 1][3])["image"]
        event_files = {MEDIA: {k: image[k] for k in ("checksum", "url", "file_type", "is_primary")}}
        row = (pgh, unit, version, "ground_truth.add", unit, split_of(pgh), _j(document))
        events.append((*row, _j(event_files), _j(classes)))
    return {"files": files, "units": units, "tasks": tasks, "assignments": assignments, "events": events}


SEEDS = {"demo": seed_demo}
