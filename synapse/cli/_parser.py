"""The argument parser of the ``synapse`` command: every command's options, no implementation.

Only ``argparse`` (and ``re``, which it imports anyway) is imported here, so ``synapse --help``
and ``synapse ls --help`` stay fast. Each command names its implementation as
``"module:function"`` (``handler``); ``main`` imports it only when the command runs.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from synapse._version import __version__

__all__ = ["RESOURCE_NAMES", "build_parser", "parse_filter"]

# The names `synapse ls`/`synapse get` accept (canonical names; aliases in synapse.cli.ls).
RESOURCE_NAMES = (
    "projects", "tasks", "jobs", "plugins", "releases", "collections", "units", "assignments",
    "task-tags", "models", "storages", "agents", "gt-versions",
)

_CONNECTION_HELP = """environment (the connection options win over it, and it over ~/.synapse/config.json):
  SYNAPSE_BASE_URL, SYNAPSE_API_TOKEN, SYNAPSE_PROFILE   where and as what to connect
  SYNAPSE_LOG=debug         log each request (method, path, status, ms; tokens redacted)
  SYNAPSE_SHELL=plain       `synapse shell` uses the standard console even with IPython installed"""


def parse_filter(text: str) -> tuple[str, str]:
    """Parse ``--filter KEY=VALUE`` into ``(key, value)``.

    Raises:
        argparse.ArgumentTypeError: no ``=`` or an empty key.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _connection_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """``--base-url``, ``--token``, ``--profile``, ``--debug``.

    The subcommand copies get ``default=SUPPRESS``: argparse copies a subcommand's namespace
    over the main one, so a default there would erase a value given before the command.
    """
    group = parser.add_argument_group("connection")
    group.add_argument("--base-url", dest="base_url", default=default, metavar="URL",
                       help="the backend's base URL (else SYNAPSE_BASE_URL or the config file)")
    group.add_argument("--token", dest="api_token", default=default, metavar="TOKEN",
                       help="API token; prefer SYNAPSE_API_TOKEN: a token typed here lands in your "
                            "shell history and the process list")
    group.add_argument("--profile", dest="profile", default=default, metavar="NAME",
                       help="a profile of ~/.synapse/config.json (else SYNAPSE_PROFILE)")
    group.add_argument("--debug", dest="debug", action="store_true", default=default,
                       help="log each request to stderr (same as SYNAPSE_LOG=debug)")


def _command(
    commands: Any, name: str, handler: str, help: str, *, connects: bool = True, **kwargs: Any
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help, description=kwargs.pop("description", help[:1].upper() + help[1:] + "."),
        formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs,
    )
    parser.set_defaults(handler=handler)
    if connects:
        _connection_options(parser, default=argparse.SUPPRESS)
    return parser


def _add_emulator(commands: Any) -> None:
    from synapse.emulator.cli import add_arguments  # light: argparse only, no server

    parser = _command(commands, "emulator", "synapse.emulator.cli:run",
                      "run a local Synapse backend (HTTP + SQLite)", connects=False)
    add_arguments(parser)


def _add_shell(commands: Any) -> None:
    parser = _command(
        commands, "shell", "synapse.cli.shell:run", "an interactive Python session with `client` connected",
        epilog="IPython is used when installed (--plain or SYNAPSE_SHELL=plain for the standard console).",
    )
    parser.add_argument("--local", action="store_true",
                        help="start a local emulator with the demo workspace and connect to it")
    parser.add_argument("--plain", action="store_true", help="use the standard Python console, not IPython")


def _add_demo(commands: Any) -> None:
    parser = _command(
        commands, "demo", "synapse.cli.demo:run",
        "the tour on a local emulator: uploads, tasks, annotations, a job",
        connects=False,
        description="Start a local emulator with the demo workspace, upload a folder of generated images "
        "through the chunked upload service, create data units and tasks, annotate some, run a "
        "plugin, wait for its job and print a summary. Needs the emulator extra.",
    )
    parser.add_argument("--images", type=_positive_int, default=24, metavar="N",
                        help="how many images to generate and upload (default: 24)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the emulator running afterwards (until Ctrl-C) to explore the result")
    parser.add_argument("--port", type=_positive_int, default=0,
                        help="the emulator's port with --keep (default: a free one)")


def _add_upload(commands: Any) -> None:
    parser = _command(
        commands, "upload", "synapse.cli.upload:run",
        "upload files or folders, one data unit per file",
        epilog="Files the server already has are not sent again, so an interrupted upload is "
        "finished by running the same command again. Hidden files are skipped, and so are empty "
        "files (with a warning line each).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders (walked recursively)")
    parser.add_argument("--collection", type=int, required=True, metavar="ID", help="the data collection")
    parser.add_argument("--project", type=int, metavar="ID", help="also create one task per unit here")
    parser.add_argument("--spec", metavar="NAME",
                        help="the file specification each file fills (default: the primary one)")
    parser.add_argument("--include", action="append", default=[], metavar="PATTERN",
                        help="upload only files whose path relative to the folder matches this fnmatch "
                        "pattern (repeatable; e.g. '*.png')")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="leave out files whose path relative to the folder matches this pattern "
                        "(repeatable; e.g. 'tmp/*')")
    parser.add_argument("--workers", type=int, default=8, metavar="N", help="parallel uploads (default: 8)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_ls(commands: Any) -> None:
    parser = _command(
        commands, "ls", "synapse.cli.ls:run_ls", "list projects, tasks, jobs ... as a table or JSON",
        epilog="examples:\n  synapse ls projects\n  synapse ls tasks --filter project=1 "
        "--filter status_label=completed --limit 10\n  synapse ls jobs --filter status=RUNNING --json",
    )
    parser.add_argument("resource", metavar="RESOURCE", help=f"one of: {', '.join(RESOURCE_NAMES)}")
    parser.add_argument("--filter", "-f", dest="filters", action="append", type=parse_filter, default=[],
                        metavar="KEY=VALUE", help="a query filter, repeatable (e.g. project=1)")
    parser.add_argument("--order-by", dest="order_by", metavar="FIELD",
                        help="comma-separated fields, a leading minus for descending: --order-by -created")
    parser.add_argument("--limit", type=_positive_int, default=50, metavar="N",
                        help="at most N rows (default: 50; 0 for all)")
    parser.add_argument("--columns", metavar="A,B", help="the table's columns (default: a few per resource)")
    parser.add_argument("--json", action="store_true", help="print a JSON array of the full objects")


def _add_get(commands: Any) -> None:
    parser = _command(commands, "get", "synapse.cli.ls:run_get", "show one object by id")
    parser.add_argument("resource", metavar="RESOURCE", help=f"one of: {', '.join(RESOURCE_NAMES)}")
    parser.add_argument("id", metavar="ID", help="its id (a plugin also by code, a job by UUID)")
    parser.add_argument("--json", action="store_true", help="print the object as JSON")


def _add_info(commands: Any) -> None:
    for name, what in (("whoami", "check the connection and the credentials (one request)"),
                       ("config", "show the base URL, profile and credential sources")):
        parser = _command(commands, name, f"synapse.cli.info:run_{name}", what,
                          epilog="Tokens are never printed: only where each one comes from.")
        parser.add_argument("--json", action="store_true", help="print JSON")


_FORMATS = ("dm", "coco", "yolo", "voc", "imagefolder")


def _add_export(commands: Any) -> None:
    parser = _command(
        commands, "export", "synapse.cli.export:run_export",
        "export a project's tasks as COCO, YOLO, Pascal VOC, DM or ImageFolder",
        epilog="examples:\n  synapse export 1 --format coco --dest out/coco -f status_label=completed\n"
        "  synapse export 1 --format yolo --dest out/yolo --splits train=0.8,val=0.2 --no-media\n\n"
        "Run the same command again to resume an interrupted export (only missing media are fetched).",
    )
    parser.add_argument("project", type=int, metavar="PROJECT", help="the project id")
    parser.add_argument("--format", required=True, choices=_FORMATS, help="the format to write")
    parser.add_argument("--dest", required=True, metavar="DIR", help="the destination folder")
    parser.add_argument("--filter", "-f", dest="filters", action="append", type=parse_filter, default=[],
                        metavar="KEY=VALUE", help="a task filter, repeatable (e.g. status_label=completed)")
    parser.add_argument("--no-media", dest="no_media", action="store_true", help="annotations only")
    parser.add_argument("--splits", metavar="NAME=W,...", help="splits by a stable hash of the task id")
    parser.add_argument("--since", type=int, metavar="WATERMARK",
                        help="only tasks after a previous export's watermark, merged into DIR")
    parser.add_argument("--workers", type=int, default=8, metavar="N", help="parallel downloads (default: 8)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_import(commands: Any) -> None:
    parser = _command(
        commands, "import", "synapse.cli.export:run_import",
        "import annotations (e.g. predictions) from a dataset into a project's tasks",
        epilog="Rows that match no task are listed, never guessed; importing twice changes nothing.",
    )
    parser.add_argument("project", type=int, metavar="PROJECT", help="the project id")
    parser.add_argument("file", metavar="FILE", help="the dataset folder or file (a COCO JSON)")
    parser.add_argument("--format", default="coco", choices=[f for f in _FORMATS if f != "imagefolder"],
                        help="the format of FILE (default: coco)")
    parser.add_argument("--match", default="file_name", choices=("file_name", "checksum", "task_id"),
                        help="how items find their task (default: file_name)")
    parser.add_argument("--mode", default="merge", choices=("merge", "replace"),
                        help="merge: add objects by id; replace: the item's objects only (default: merge)")
    parser.add_argument("--dry-run", dest="dry_run", action="store_true", help="report, write nothing")
    parser.add_argument("--workers", type=int, default=4, metavar="N", help="parallel writes (default: 4)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def _add_convert(commands: Any) -> None:
    parser = _command(
        commands, "convert", "synapse.cli.export:run_convert",
        "convert a dataset folder between formats (offline)", connects=False,
        epilog="example:\n  synapse convert --from yolo --to coco in/yolo out/coco",
    )
    parser.add_argument("--from", dest="src_format", required=True, choices=_FORMATS[:-1],
                        help="the format of SRC")
    parser.add_argument("--to", dest="dst_format", required=True, choices=_FORMATS,
                        help="the format to write")
    parser.add_argument("src", metavar="SRC", help="the source folder")
    parser.add_argument("dst", metavar="DST", help="the destination folder")
    parser.add_argument("--splits", metavar="NAME=W,...", help="reassign splits by a stable hash")
    parser.add_argument("--no-media", dest="no_media", action="store_true", help="do not copy the media")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


# Options whose value may start with a minus (a descending field). argparse would read "-id"
# after "--order-by" as an unknown option; ``normalize_argv`` joins such a pair with "=".
_SIGNED_VALUE_OPTIONS = ("--order-by",)
# "-id", "-created,name": a field list starting with a descending field (not "-f", an option).
_DESCENDING = re.compile(r"-[A-Za-z_][\w.]+(,-?[A-Za-z_][\w.]*)*")


def normalize_argv(argv: list[str]) -> list[str]:
    """Rewrite ``--order-by -id`` as ``--order-by=-id`` so argparse takes the minus as part of the value."""
    out: list[str] = []
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            out.append(token)
            out.extend(tokens)
            break
        if token in _SIGNED_VALUE_OPTIONS:
            value = next(tokens, None)
            if value is not None and _DESCENDING.fullmatch(value):
                out.append(f"{token}={value}")
                continue
            out.append(token)
            if value is not None:
                out.append(value)
            continue
        out.append(token)
    return out


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of ``synapse [OPTIONS] COMMAND [ARGS]``."""
    parser = argparse.ArgumentParser(
        prog="synapse",
        description="The Synapse SDK command line.",
        epilog=_CONNECTION_HELP + "\n\nRun 'synapse COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synapse {__version__}")
    _connection_options(parser, default=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command", required=True)
    for add in (_add_demo, _add_shell, _add_ls, _add_get, _add_upload, _add_export, _add_import, _add_convert,
                _add_info, _add_emulator):
        add(commands)
    return parser

