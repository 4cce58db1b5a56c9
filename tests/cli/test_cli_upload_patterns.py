"""`synapse upload --include/--exclude` picks files by relative path; empty files are skipped, warned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_run import Run

from synapse.cli._common import UsageError
from synapse.cli.upload import collect_files, drop_empty


def tree(root: Path, *names: str, empty: tuple[str, ...] = ()) -> Path:
    for name in (*names, *empty):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if name in empty else f"content of {name}".encode())
    return root


def relative(files: list[Path], root: Path) -> list[str]:
    return [f.relative_to(root).as_posix() for f in files]


def test_include_and_exclude_match_the_path_relative_to_the_folder(tmp_path: Path) -> None:
    root = tree(tmp_path / "data", "a.png", "b.jpg", "left/c.png", "right/d.png", "right/e.txt", ".h.png")
    every = collect_files([str(root)])
    assert relative(every, root) == ["a.png", "b.jpg", "left/c.png", "right/d.png", "right/e.txt"]
    pngs = collect_files([str(root)], include=["*.png"])
    assert relative(pngs, root) == ["a.png", "left/c.png", "right/d.png"]
    assert relative(collect_files([str(root)], include=["*.png", "*.jpg"], exclude=["right/*"]), root) == [
        "a.png", "b.jpg", "left/c.png"]
    assert relative(collect_files([str(root)], include=["left/*"]), root) == ["left/c.png"]
    assert relative(collect_files([str(root)], exclude=["*.txt", "*.jpg"]), root) == [
        "a.png", "left/c.png", "right/d.png"]
    # A file given as is is matched by its name.
    assert collect_files([str(root / "right" / "e.txt")], include=["*.txt"]) == [root / "right" / "e.txt"]
    with pytest.raises(UsageError, match=r"no files to upload in .*\(after --include/--exclude\)"):
        collect_files([str(root)], include=["*.gif"])


def test_drop_empty_warns_once_per_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tree(tmp_path, "a.png", empty=("b.png", "c.png"))
    kept = drop_empty(collect_files([str(root)]))
    assert relative(kept, root) == ["a.png"]
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: skipping empty file {root / name}" for name in ("b.png", "c.png")]
    with pytest.raises(UsageError, match="every file is empty"):
        drop_empty([root / "b.png"])


def test_upload_with_patterns_and_an_empty_file(fresh_cli: Run, tmp_path: Path) -> None:
    root = tree(tmp_path / "imgs", "a.png", "b.png", "skip/c.png", "notes.txt", empty=("x.png",))
    result = fresh_cli("upload", str(root), "--collection", "1", "--include", "*.png", "--exclude", "skip/*",
                       "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: skipping empty file {root / 'x.png'}"]
    report = json.loads(result.stdout)
    assert [Path(i["path"]).name for i in report["items"]] == ["a.png", "b.png"]
    assert report["ok"] and report["files_uploaded"] == 2


def test_upload_of_only_empty_or_excluded_files_is_a_usage_error(fresh_cli: Run, tmp_path: Path) -> None:
    root = tree(tmp_path / "imgs", "a.png", empty=("e.png",))
    excluded = fresh_cli("upload", str(root), "--collection", "1", "--exclude", "*")
    assert excluded.returncode == 2 and "after --include/--exclude" in excluded.stderr
    empty = fresh_cli("upload", str(root / "e.png"), "--collection", "1")
    assert empty.returncode == 2
    assert "skipping empty file" in empty.stderr and "every file is empty" in empty.stderr
