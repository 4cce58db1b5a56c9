"""Configuration from the environment (the original "Client APIs" page, "Environment Configuration").

Run ``python examples/environment_configuration.py``: against a local emulator unless
``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

import os

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str, agent_token: str | None) -> None:
    """Set the token variables, then build a client without any token argument."""
    # Set environment variables
    os.environ["SYNAPSE_ACCESS_TOKEN"] = access_token
    if agent_token:
        os.environ["SYNAPSE_AGENT_TOKEN"] = agent_token

    # Client will automatically use environment variables
    client = BackendClient(base_url=base_url)

    print("credentials:", client.client.config.describe_credentials())  # where from, never the values
    print("project 1:", client.get_project(1)["title"])
    client.close()


if __name__ == "__main__":
    with local_backend() as backend:
        main(backend.base_url, backend.access_token, backend.agent_token)
