"""Chunked upload and data file creation (the original "Client APIs" page, "File Operations").

The original's ``/path/to/...`` files are made up here in a temporary folder.
Run ``python examples/file_operations.py``: against a local emulator unless ``SYNAPSE_BASE_URL`` is set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from _local import local_backend

from synapse.clients.backend import BackendClient


def main(base_url: str, access_token: str, folder: Path) -> None:
    """Upload a 3 MiB file in chunks, then create a data file through the chunked route."""
    client = BackendClient(base_url=base_url, access_token=access_token)
    large_file = folder / "large_file.zip"
    large_file.write_bytes(os.urandom(3 * 1024 * 1024))
    image = folder / "data.jpg"
    image.write_bytes(os.urandom(20_000))

    # Upload large files with chunked upload
    result = client.create_chunked_upload(Path(large_file))
    print(f"chunked upload {result['id']}: {result['size']} bytes, md5 {result['checksum']}")

    # Create data file
    data_file = client.create_data_file(
        Path(image),
        use_chunked_upload=True,
    )
    print(f"data file {data_file['id']}: {data_file['size']} bytes, checksum {data_file['checksum']}")


if __name__ == "__main__":
    with local_backend() as backend, tempfile.TemporaryDirectory() as tmp:
        main(backend.base_url, backend.access_token, Path(tmp))
