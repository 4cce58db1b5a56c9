"""The demo emulator in a child process, with synthetic annotated tasks written straight into its store.

Shared by the benchmark scripts that need many annotated tasks (datasets, export): the child's CPU
and memory are not the client's, and its tasks carry the demo scenes' DM v1 documents.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import synapse

SERVER_SCRIPT = r"""
import json, sys
from synapse.emulator import Emulator
from synapse.emulator.seed import dm_document
latency, total, project, first, units = (float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                         int(sys.argv[4]), int(sys.argv[5]))
with Emulator(seed="demo", request_log_size=1000, threads=32) as emu:
    if total:
        documents = [json.dumps(dm_document(i)) for i in range(1, 121)]
        batch = 10_000
        for start in range(first, first + total, batch):
            rows = [
                (i, project, 1 + i % units, documents[i % 120], "{}", "completed", "stand_by", 0, "[]",
                 "2024-02-01T00:00:00Z")
                for i in range(start, min(start + batch, first + total))
            ]
            with emu.store.write() as db:
                db.executemany(
                    "INSERT INTO tasks (id, project, data_unit, data, meta, status_label, status_review, "
                    "is_discarded, tags, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        del rows, documents
    if latency:
        emu.faults.delay("*", seconds=latency, times=None)
    print(json.dumps({"url": emu.url, "token": emu.token}), flush=True)
    sys.stdin.read()
"""


class SeededEmulator:
    """The emulator in a child process; ``tasks`` synthetic tasks from ``first_id`` in ``project``.

    Each task points at one of the first ``units`` data units and carries one of the demo's 120
    annotated documents. ``latency`` (seconds) delays every request.
    """

    def __init__(
        self,
        latency: float = 0.0,
        tasks: int = 0,
        *,
        project: int = 2,
        first_id: int = 100_001,
        units: int = 320,
        page_size: int | None = None,
    ) -> None:
        self.args = [str(latency), str(tasks), str(project), str(first_id), str(units)]
        self.page_size = page_size

    def __enter__(self) -> SeededEmulator:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT, *self.args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        answer = json.loads(self.proc.stdout.readline())
        self.url, self.token = answer["url"], answer["token"]
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)

    def client(self) -> synapse.Client:
        """A client of the child emulator."""
        extra = {"page_size": self.page_size} if self.page_size else {}
        return synapse.Client(base_url=self.url, api_token=self.token, **extra)
