"""The ``synapse`` command.

Each subcommand lives in its own module, imported only when it runs, so ``import synapse.cli``
stays light. A subcommand module provides ``main(argv) -> int``; register it in ``COMMANDS``::

    COMMANDS["shell"] = Command("synapse.shell_cli", "an interactive session with a client")
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NamedTuple

from synapse._version import __version__

__all__ = ["COMMANDS", "Command", "main"]


class Command(NamedTuple):
    """A subcommand: the module holding its ``main(argv) -> int``, and a one-line help."""

    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "emulator": Command("synapse.emulator.cli", "run a local Synapse backend (HTTP + SQLite)"),
}


def _parser() -> argparse.ArgumentParser:
    width = max(len(name) for name in COMMANDS)
    listing = "\n".join(f"  {name:<{width}}  {cmd.help}" for name, cmd in sorted(COMMANDS.items()))
    parser = argparse.ArgumentParser(
        prog="synapse",
        description="The Synapse SDK command line.",
        epilog=f"commands:\n{listing}\n\nRun 'synapse COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"synapse {__version__}")
    parser.add_argument("command", choices=sorted(COMMANDS), metavar="COMMAND", help="the command to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``synapse COMMAND [ARGS...]``; returns the exit status."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    module = importlib.import_module(COMMANDS[args.command].module)
    return int(module.main(args.args))
