"""``synapse emulator``: run the local backend from the command line.

::

    synapse emulator --port 8080 --db workspace.sqlite --seed demo --token dev-token

prints the URL and the token to use, and serves until Ctrl-C or SIGTERM (exit status 0).
Importing this module is light: the server is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["add_arguments", "build_parser", "main", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's options on ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: 8080; 0 picks a free one)")
    parser.add_argument(
        "--db", default=None, help="SQLite file to keep the workspace in (default: in memory)"
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder for uploaded bytes (default: <db>.files/ or a temporary folder)",
    )
    parser.add_argument(
        "--seed",
        default="demo",
        choices=["demo", "none"],
        help="initial data for an empty database (default: demo)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=None,
        metavar="TOKEN[=IDS]",
        help="an accepted API token, repeatable; TOKEN=1,2 limits it to projects 1 and 2 "
        "(default: dev-token)",
    )
    parser.add_argument(
        "--job-duration", type=float, default=1.0, help="seconds a plugin job runs (default: 1.0)"
    )
    variations = parser.add_argument_group("how the real backend varies (API.md)")
    variations.add_argument(
        "--checksum", default="md5", choices=["md5", "sha1", "sha256"],
        help="the digest data-file checksums are answered in (default: md5)",
    )
    variations.add_argument(
        "--storage-origin", action="store_true",
        help="serve file URLs from a second loopback origin, pre-signed, refusing credentials",
    )
    variations.add_argument(
        "--list-relations", default="ids", choices=["ids", "expanded"],
        help="relations on list routes as ids unless expand names them (default), or expanded",
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``synapse emulator``."""
    parser = argparse.ArgumentParser(
        prog="synapse emulator",
        description="Run a local Synapse backend (HTTP + SQLite) for development and tests.",
    )
    add_arguments(parser)
    return parser


def _tokens(values: Sequence[str] | None) -> dict[str, Any]:
    tokens: dict[str, Any] = {}
    for value in values or ["dev-token"]:
        token, _, scope = value.partition("=")
        if not token:
            raise ValueError(f"empty token in {value!r}")
        tokens[token] = [int(p) for p in scope.split(",") if p.strip()] if scope else "*"
    return tokens


def run(args: argparse.Namespace) -> int:
    """Start the emulator with parsed ``args`` and serve until interrupted."""
    from synapse.emulator.server import Emulator

    try:
        tokens = _tokens(args.token)
    except ValueError as exc:
        print(f"synapse emulator: error: bad --token: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        emulator = Emulator(
            seed=None if args.seed == "none" else args.seed,
            tokens=tokens,
            host=args.host,
            port=args.port,
            db=args.db,
            data_dir=args.data_dir,
            job_duration=args.job_duration,
            checksum=args.checksum,
            storage_origin=args.storage_origin,
            list_relations=args.list_relations,
        )
        try:
            emulator.start()
        except OSError as exc:
            emulator.close()
            print(
                f"synapse emulator: error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
            )
            return 1
        try:
            print(f"Synapse emulator running at {emulator.url}")
            print(f"  token:       {emulator.token}")
            if emulator.agent_token:
                print(f"  agent token: {emulator.agent_token}")
            print(f"  database:    {args.db or 'in memory'}")
            if emulator.storage_url:
                print(f"  storage:     {emulator.storage_url} (pre-signed file URLs)")
            print(f"Use it with: SYNAPSE_BASE_URL={emulator.url} SYNAPSE_API_TOKEN={emulator.token}")
            print("Press Ctrl-C to stop.", flush=True)
            while not stop.wait(0.2):
                pass
        finally:
            emulator.close()
        print("Emulator stopped.", flush=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``synapse emulator`` and ``python -m synapse.emulator``."""
    return run(build_parser().parse_args(argv))
