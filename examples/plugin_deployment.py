"""Plugin development and deployment (the original "Client APIs" page, "Complete Workflow Examples").

The original's ``plugin.zip`` is made up here in a temporary folder.
Run ``python examples/plugin_deployment.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from typing import Any

from _local import local_backend

from synapse.clients.backend import BackendClient


def plugin_deployment_workflow(base_url: str, access_token: str) -> dict[str, Any]:
    """Create a plugin, publish a release from an archive, run it and read the job."""
    client = BackendClient(
        base_url=base_url,
        access_token=access_token,
    )

    # 1. Create plugin
    plugin = client.create_plugin(
        {
            "name": "My Plugin",
            "description": "Custom processing plugin",
        }
    )

    # 2. Create release
    with open("plugin.zip", "rb") as f:
        release = client.create_plugin_release(
            {
                "plugin": plugin["id"],
                "version": "1.0.0",
                "file": f,
            }
        )

    # 3. Execute plugin
    job = client.run_plugin(plugin["id"], {"parameters": {"threshold": 0.8}})

    # 4. Monitor execution
    job_status = client.get_job(job["job_id"])

    return {
        "plugin": plugin,
        "release": release,
        "job": job_status,
    }


PLUGIN_CODE = "def run(params):\n    return {'threshold': params['threshold']}\n"

if __name__ == "__main__":
    with local_backend() as backend, tempfile.TemporaryDirectory() as tmp:
        here = os.getcwd()
        os.chdir(tmp)  # the workflow opens plugin.zip from the working directory
        try:
            with zipfile.ZipFile("plugin.zip", "w") as archive:
                archive.writestr("plugin/main.py", PLUGIN_CODE)
            result = plugin_deployment_workflow(backend.base_url, backend.access_token)
        finally:
            os.chdir(here)
        plugin, release, job = result["plugin"], result["release"], result["job"]
        print(f"plugin {plugin['code']!r} (id {plugin['id']}), release {release['version']}")
        print(f"job {job['id']}: {job['status']}, params {job['params']}")
