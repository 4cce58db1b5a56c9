"""The ``demo`` seed: a small, realistic workspace with stable ids (docs can say ``projects.get(1)``).

What it creates:

- data collection 1 "Street scenes" with specifications ``image`` (id 1; required, primary)
  and ``metadata`` (id 2; optional JSON);
- 320 data units (ids 1-320), each with a real 8x8 PNG and a small JSON file (data files
  2i-1 and 2i, bytes kept in the database);
- project 1 "Street scenes annotation" (configuration with classes and tools) with tasks 1-320,
  one per unit; project 2 "Sign review" with tasks 321-332 over units 1-12;
- task tags 1-3 (project 1: needs-review, hard, export-ready) and 4 (project 2: priority);
- assignments 1-200 (tasks 1-200) and 201-206 (project 2);
- plugin 1 ``yolo-detector`` with release 1 ``1.0.0`` (actions train, inference, export) and
  plugin 2 ``coco-export`` without a release;
- agent 1 "local-agent" (connected, token ``DEMO_AGENT_TOKEN``) and agent 2 (disconnected);
- storage 1 (file_system, internal) and 2 (amazon_s3, external, with credentials);
- ground-truth dataset 1, versions 1 (60 events) and 2 (20 events);
- model 1 ``yolo-base``; job ``DEMO_JOB_ID`` (train, SUCCEEDED, with console lines).
"""

from __future__ import annotations

import functools
import hashlib
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from synapse.emulator.clock import iso
from synapse.emulator.store import Store

__all__ = ["DEMO_AGENT_TOKEN", "DEMO_JOB_ID", "SEEDS", "seed_demo"]

DEMO_AGENT_TOKEN = "demo-agent-token"
DEMO_JOB_ID = "00000000-0000-4000-8000-000000000001"
_BASE = 1704067200.0  # 2024-01-01T00:00:00Z
_UNITS = 320
_P2_TASKS = 12
CLASSES = ["car", "person", "bicycle", "traffic_sign"]

PROJECT_CONFIGURATION = {
    "classification": {
        "classes": [{"name": c, "color": f"#{(i * 0x3F5A7) % 0xFFFFFF:06x}"} for i, c in enumerate(CLASSES)]
    },
    "tools": [{"type": "bounding_box", "classes": CLASSES}, {"type": "polygon", "classes": ["person"]}],
    "options": {"allow_empty": False},
}


def _png(index: int) -> bytes:
    """A real 8x8 RGB PNG whose colour depends on ``index`` (so every checksum differs)."""
    color = bytes(((index * 37) % 256, (index * 91) % 256, (index * 151) % 256))
    raw = b"".join(b"\x00" + color * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


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
                _j({"tools": [{"type": "classification", "classes": ["stop", "yield", "speed_limit"]}]}),
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

        config = {
            "actions": {
                "train": {
                    "entrypoint": "plugin.train.main",
                    "params": {"epochs": {"type": "int", "default": 10}},
                },
                "inference": {"entrypoint": "plugin.inference.main"},
                "export": {"entrypoint": "plugin.export.main"},
            }
        }
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
            (_j(config), _j(["ultralytics==8.0.0", "torch>=2.0"]), _t(42)),
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
        png = _png(i)
        meta = _j({"frame": i, "camera": "front", "weather": ["sunny", "rain", "fog"][i % 3]}).encode()
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
        data = None
        if label == "completed":
            data = _j({"objects": [{"class": CLASSES[i % 4], "bbox": [i % 8, (i * 3) % 8, 2, 3]}]})
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
        category = "train" if pgh % 10 < 7 else "validation" if pgh % 10 < 9 else "test"
        cls = CLASSES[pgh % 4]
        events.append(
            (
                pgh,
                unit,
                version,
                "ground_truth.add",
                unit,
                category,
                _j({"objects": [{"class": cls, "bbox": [1, 1, 4, 4]}]}),
                _j({"image": {"checksum": units[unit - 1][1]}}),
                _j([cls]),
            )
        )
    return {"files": files, "units": units, "tasks": tasks, "assignments": assignments, "events": events}


SEEDS = {"demo": seed_demo}
