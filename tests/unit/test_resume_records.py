"""Resume records: where they live, atomic writes, and failures that never stop an upload."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from synapse.services.uploads.resume import ResumeRecord, ResumeStore, default_cache_dir


def record(path: Path, upload_id: str = "u1") -> ResumeRecord:
    return ResumeRecord(
        path=str(path), size=10, mtime_ns=123, upload_id=upload_id, url="http://127.0.0.1:1/chunked_upload/u1/",
        chunk_size=1024, base_url="http://127.0.0.1:1/", offset=512,
    )


def test_cache_dir_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SYNAPSE_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path / "uploads"
    monkeypatch.delenv("SYNAPSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "synapse" / "uploads"


def test_save_load_delete(tmp_path: Path) -> None:
    store = ResumeStore(tmp_path)
    rec = record(tmp_path / "f.bin")
    store.save(rec)
    assert store.load(rec.base_url, rec.path) == rec
    assert store.load("http://127.0.0.1:2/", rec.path) is None  # keyed by backend too
    store.delete(rec.base_url, rec.path, upload_id="another")  # names another upload: kept
    assert store.load(rec.base_url, rec.path) == rec
    store.delete(rec.base_url, rec.path, upload_id="u1")
    assert store.load(rec.base_url, rec.path) is None
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary files left


def test_matches_checks_size_and_mtime(tmp_path: Path) -> None:
    rec = record(tmp_path / "f.bin")
    assert rec.matches(10, 123)
    assert not rec.matches(11, 123)
    assert not rec.matches(10, 124)


def test_a_corrupt_record_is_ignored(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = ResumeStore(tmp_path)
    rec = record(tmp_path / "f.bin")
    store.save(rec)
    store.path_for(rec.base_url, rec.path).write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="synapse.services.uploads.service"):
        assert store.load(rec.base_url, rec.path) is None
    assert "unreadable" in caplog.text


def test_an_unwritable_cache_dir_only_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = ResumeStore(blocker / "uploads")  # a directory under a file cannot exist
    with caplog.at_level(logging.WARNING, logger="synapse.services.uploads.service"):
        store.save(record(tmp_path / "f.bin"))
    assert "could not write" in caplog.text
