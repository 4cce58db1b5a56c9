"""Manual and automatic pagination (the original "Client APIs" page, "Common Patterns: Pagination").

Run ``python examples/pagination.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str) -> None:
    """Read one page, then walk every task."""
    client = BackendClient(base_url=base_url, access_token=access_token)

    # Manual pagination
    page1 = client.list_tasks(params={"page": 1, "page_size": 50})
    print(f"page 1: {len(page1['results'])} of {page1['count']} tasks; next page: {page1['next']}")

    # Automatic pagination (recommended): a generator and the count, as it always was;
    # pages are read as the generator advances, one page in memory at a time.
    all_tasks, count = client.list_tasks(list_all=True)
    completed = sum(1 for task in all_tasks if task["status_label"] == "completed")
    print(f"all {count} tasks read; {completed} completed")


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token)
