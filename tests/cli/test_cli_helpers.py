"""The command line's building blocks, in this process: parser, tables, progress lines, PNG files."""

from __future__ import annotations

import argparse
import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from synapse.cli._common import format_table, text_of
from synapse.cli._images import box_of, png_bytes
from synapse.cli._parser import build_parser, parse_filter
from synapse.cli._progress import LineProgress, format_amount
from synapse.cli.upload import collect_files


def test_importing_the_cli_and_building_its_parser_loads_no_http_code() -> None:
    code = (
        "import sys, synapse.cli, synapse.cli._parser; synapse.cli._parser.build_parser(); "
        "print(sorted(m for m in sys.modules if m.startswith(('requests', 'urllib3', 'synapse.client', "
        "'synapse.resources', 'werkzeug', 'tqdm', 'pandas', 'IPython'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_every_command() -> None:
    out = subprocess.run([sys.executable, "-m", "synapse", "--help"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    for command in ("demo", "shell", "ls", "get", "upload", "whoami", "config", "emulator"):
        assert f"\n    {command} " in out, command
    assert "SYNAPSE_LOG=debug" in out


def test_connection_options_given_before_the_command_survive_the_subcommand() -> None:
    parser = build_parser()
    before = parser.parse_args(["--base-url", "http://127.0.0.1:1/", "--profile", "p", "ls", "tasks"])
    assert (before.base_url, before.profile, before.api_token, before.resource) == (
        "http://127.0.0.1:1/", "p", None, "tasks")
    after = parser.parse_args(["ls", "tasks", "--token", "t"])
    assert (after.base_url, after.api_token) == (None, "t")
    emulator = parser.parse_args(["emulator", "--token", "a", "--token", "b=1"])
    assert emulator.token == ["a", "b=1"] and emulator.api_token is None


def test_parse_filter() -> None:
    assert parse_filter("project=1") == ("project", "1")
    assert parse_filter("tags=1,2") == ("tags", "1,2")
    assert parse_filter("search=a=b") == ("search", "a=b")
    assert parse_filter("title=") == ("title", "")
    for bad in ("project", "=1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_filter(bad)


def test_table_cells() -> None:
    assert text_of(None) == "" and text_of(True) == "yes" and text_of(False) == "no"
    assert text_of([1, 2, 3]) == "1,2,3"
    assert text_of({"a": [1, {"b": None}]}) == '{"a":[1,{"b":null}]}'
    assert text_of("2024-01-01T00:01:30.000000Z") == "2024-01-01 00:01:30"
    assert text_of("2024-01-01T00:01:30+02:00") == "2024-01-01 00:01:30+02:00"
    assert text_of("two\nlines\tand  tabs") == "two lines and tabs"
    assert text_of("x" * 60, 10) == "x" * 9 + "…"


def test_table_layout_right_aligns_numbers() -> None:
    table = format_table(("id", "name", "n"), [(1, "alpha", 10), (123, "b", None)])
    assert table.splitlines() == [
        " id  name    n",
        "---  -----  --",
        "  1  alpha  10",
        "123  b",
    ]


def test_line_progress_writes_the_start_each_quarter_and_nothing_twice() -> None:
    out = io.StringIO()
    progress = LineProgress(out)
    progress.start(8, desc="uploading", unit="file")
    for done in range(1, 9):
        progress.update(done, 8)
    progress.finish()
    assert out.getvalue().splitlines() == [
        "uploading: 0 of 8 files (0%)",
        "uploading: 2 of 8 files (25%)",
        "uploading: 4 of 8 files (50%)",
        "uploading: 6 of 8 files (75%)",
        "uploading: 8 of 8 files (100%)",
    ]


def test_line_progress_ends_on_where_it_stopped_and_copes_with_no_total() -> None:
    out = io.StringIO()
    progress = LineProgress(out)
    progress.start(4096, desc="uploading", unit="B")
    progress.update(1536, 4096)
    progress.finish()
    assert out.getvalue().splitlines() == [
        "uploading: 0 B of 4.0 KiB (0%)",
        "uploading: 1.5 KiB of 4.0 KiB (37%)",
    ]
    progress.start(None, desc="reading", unit="B")
    progress.update(2048, None)
    progress.finish()
    assert out.getvalue().splitlines()[-2:] == ["reading: 0 B", "reading: 2.0 KiB"]
    assert format_amount(3 * 1024**3, "B") == "3.0 GiB" and format_amount(1, "file") == "1 file"


def test_generated_images_are_valid_distinct_pngs() -> None:
    data = png_bytes(3, size=16)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = {}
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks[kind] = body
        pos += 12 + length
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    assert struct.unpack(">IIBBBBB", chunks[b"IHDR"]) == (16, 16, 8, 2, 0, 0, 0)
    pixels = zlib.decompress(chunks[b"IDAT"])
    assert len(pixels) == 16 * (1 + 3 * 16)
    x, y, w, h = box_of(3, 16)
    assert x >= 0 and y >= 0 and x + w <= 16 and y + h <= 16
    assert len({png_bytes(i) for i in range(1, 50)}) == 49


def test_collect_files_walks_folders_skips_hidden_and_repeats(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("a.png", "b/c.png", ".DS_Store", ".git/x"):
        (tmp_path / name).write_bytes(b"x")
    files = collect_files([str(tmp_path), str(tmp_path / "a.png")])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.png", "b/c.png"]
