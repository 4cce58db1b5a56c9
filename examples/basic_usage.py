"""Basic BackendClient usage (the original "Client APIs" page, "Basic Backend Client Usage").

Run ``python examples/basic_usage.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str) -> None:
    """List tasks, data collections and models with one client."""
    # Initialize client
    client = BackendClient(
        base_url=base_url,
        access_token=access_token,
    )

    # Use annotation operations
    tasks = client.list_tasks(params={"project": 1})

    # Use data collection operations
    collections = client.list_data_collections()

    # Use ML operations
    models = client.list_models(params={"project": 1})

    print(f"project 1: {tasks['count']} tasks, the first page holds {len(tasks['results'])}")
    print("data collections:", ", ".join(c["name"] for c in collections["results"]))
    print("models:", ", ".join(f"{m['name']} ({m['plugin']} {m['version']})" for m in models["results"]))
    client.close()


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token)
