"""Every write through the client empties its cache, whichever layer sends it."""

from __future__ import annotations

from pathlib import Path

import pytest

import synapse


def _project_gets(emu) -> int:
    return sum(1 for r in emu.requests if r.method == "GET" and r.path.rstrip("/").endswith("projects/1"))


def test_a_raw_transport_write_empties_the_cache(synapse_emulator) -> None:
    client = synapse_emulator.client(synapse.Client)
    client.projects.get(1)
    client.projects.get(1)
    assert _project_gets(synapse_emulator) == 1  # the second get came from the cache
    client.transport.patch("projects/1/", json={"description": "changed elsewhere"})
    assert client.projects.get(1).description == "changed elsewhere"
    assert _project_gets(synapse_emulator) == 2


def test_an_ingestion_write_empties_the_cache(synapse_emulator, tmp_path: Path) -> None:
    client = synapse_emulator.client(synapse.Client)
    before = client.data_collections.get(1)
    assert len(client.cache) >= 1
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG not really")
    spec = next(s for s in before.file_specifications if s.is_required)
    before.upload(files={spec.name: image})
    assert len(client.cache) == 0


def test_a_failed_write_empties_the_cache_too(synapse_emulator) -> None:
    client = synapse_emulator.client(synapse.Client)
    client.projects.get(1)
    assert len(client.cache) == 1
    with pytest.raises(synapse.NotFound):
        client.transport.patch("projects/999999/", json={"title": "x"})
    assert len(client.cache) == 0


def test_reads_leave_the_cache_alone(synapse_emulator) -> None:
    client = synapse_emulator.client(synapse.Client)
    client.projects.get(1)
    list(client.tasks.filter(project=1)[:5])
    assert len(client.cache) >= 1


def test_nothing_is_cached_when_the_cache_is_off(synapse_emulator) -> None:
    client = synapse_emulator.client(synapse.Client, cache_ttl=0)
    project = client.projects.get(1)
    project.description = "changed"
    project.save()
    client.projects.get(1)
    assert len(client.cache) == 0
    gets = [r for r in synapse_emulator.requests if r.method == "GET" and r.path == "/projects/1/"]
    assert len(gets) == 2  # each get() asked the server
