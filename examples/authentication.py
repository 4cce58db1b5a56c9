"""The three ways to authenticate (the original "Client APIs" page, "Authentication").

Run ``python examples/authentication.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

import os

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str, agent_token: str | None) -> None:
    """Authenticate with an access token, with the environment, and as an agent."""
    # Access Token Authentication
    client = BackendClient(
        base_url=base_url,
        access_token=access_token,
    )
    print("access token:", client.get_project(1)["title"])

    # Environment Variable Authentication
    # Set SYNAPSE_ACCESS_TOKEN environment variable
    os.environ["SYNAPSE_ACCESS_TOKEN"] = access_token
    client = BackendClient(base_url=base_url)
    print("environment:", client.get_project(1)["title"])

    # Agent Token Authentication (for agents)
    if agent_token:
        del os.environ["SYNAPSE_ACCESS_TOKEN"]  # this client authenticates with its agent token alone
        client = BackendClient(
            base_url=base_url,
            agent_token=agent_token,
        )
        agent = client.health_check_agent(agent_token)
        jobs = client.list_jobs()
        print(f"agent token: agent {agent['name']!r} is {agent['status']}; it sees {jobs['count']} job(s)")


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token, backend.agent_token)
