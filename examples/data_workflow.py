"""End-to-end data processing (the original "Client APIs" page, "Complete Workflow Examples").

One change beyond the ids: the original read ``data_file['data_unit_id']``, which no data-file
answer carries. A data file becomes part of a data unit when the unit is created from its
checksum (``create_data_units``), and the task is created for that unit.
Run ``python examples/data_workflow.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from _local import local_backend

from synapse.clients.backend import BackendClient

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def complete_data_workflow(base_url: str, access_token: str, image: Path) -> dict[str, Any]:
    """Upload an image, make it a unit and a task, then look at assignments and models."""
    client = BackendClient(
        base_url=base_url,
        access_token=access_token,
    )

    # 1. Data ingestion
    collection = client.get_data_collection(1)
    data_file = client.create_data_file(image)
    data_unit = client.create_data_units(
        {
            "data_collection": collection["id"],
            "files": {"image": {"checksum": data_file["checksum"], "path": image.name}},
        }
    )

    # 2. Task creation
    tasks = client.create_tasks([{"project": 1, "data_unit": data_unit["id"]}])

    # 3. Assignment management
    assignments = client.list_assignments(params={"project": 1})

    # 4. Model operations
    models = client.list_models(params={"project": 1})

    return {
        "data_file": data_file,
        "tasks": tasks,
        "assignments": assignments,
        "models": models,
    }


if __name__ == "__main__":
    with local_backend() as backend, tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "image.png"
        image.write_bytes(PNG)
        result = complete_data_workflow(backend.base_url, backend.access_token, image)
        task, checksum = result["tasks"][0], result["data_file"]["checksum"]
        print(f"data file {checksum} -> data unit {task['data_unit']} -> task {task['id']}")
        models = ", ".join(m["name"] for m in result["models"]["results"])
        print(f"project 1 has {result['assignments']['count']} assignments; models: {models}")
