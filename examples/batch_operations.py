"""Batch task creation and tagging (the original "Client APIs" page, "Common Patterns: Batch Operations").

Run ``python examples/batch_operations.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str) -> None:
    """Create three tasks in one request, then tag three assignments."""
    client = BackendClient(base_url=base_url, access_token=access_token)

    # Create multiple tasks (project 2 of the demo data has no task yet for units 13-15)
    tasks_data = [
        {"project": 2, "data_unit": 13},
        {"project": 2, "data_unit": 14},
        {"project": 2, "data_unit": 15},
    ]
    created_tasks = client.create_tasks(tasks_data)
    units = [task["data_unit"] for task in created_tasks]
    print("created tasks", [task["id"] for task in created_tasks], "for units", units)

    # Set tags for multiple assignments (tags 1 and 2 are project 1's "needs-review" and "hard")
    client.set_tags_assignments(
        {
            "ids": [1, 2, 3],
            "tags": [1, 2],
            "action": "add",
        }
    )
    print("assignment 3 now has tags", client.get_assignment(3)["tags"])


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token)
