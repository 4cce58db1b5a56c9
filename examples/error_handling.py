"""Handling API errors (the original "Client APIs" page, "Common Patterns: Error Handling").

A missing project answers 404; a project the token may not see answers 403.
Run ``python examples/error_handling.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

from _local import local_backend

from synapse.clients.backend import BackendClient
from synapse.clients.exceptions import ClientError


def show_project(client: BackendClient, project_id: int) -> None:
    """Print a project's title, or what went wrong."""
    try:
        result = client.get_project(project_id)
        print(f"Project {project_id}: {result['title']}")
    except ClientError as e:
        if e.status_code == 404:
            print("Project not found")
        elif e.status_code == 403:
            print("Permission denied")
        else:
            print(f"API Error: {e}")


def main(base_url: str, access_token: str, limited_token: str | None) -> None:
    """Ask for a project that does not exist, then for one a limited token may not see."""
    client = BackendClient(base_url=base_url, access_token=access_token)
    show_project(client, 123)  # the demo data has projects 1 and 2: 404
    show_project(client, 1)
    if limited_token:
        limited = BackendClient(base_url=base_url, access_token=limited_token)  # sees project 2 only
        show_project(limited, 1)  # 403


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token, backend.limited_token)
