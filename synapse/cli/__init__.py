"""The ``synapse`` command (console script, and ``python -m synapse``).

::

    synapse demo                                   # the tour, against a local emulator
    synapse shell [--local] [--plain]              # Python with `client` connected
    synapse ls projects|tasks|jobs|... [--filter k=v] [--limit N] [--json]
    synapse get projects 1 [--json]
    synapse upload PATH... --collection ID [--project ID] [--spec NAME]
    synapse whoami | synapse config                # where and as what you are connected
    synapse emulator [--port 8080] [--seed demo]   # run the local backend

Connection options (``--base-url``, ``--token``, ``--profile``, ``--debug``) go before or after
the command; without them the environment and ``~/.synapse/config.json`` are used (see
``synapse.config``). Exit status: 0 on success, 1 when the API or the network fails (the error's
message on stderr, no traceback), 2 for a usage or configuration error, 130 on Ctrl-C.

Only the parser is built at start-up; a command's module (and ``requests``) is imported only
when it runs, so ``import synapse.cli`` and ``synapse --help`` stay fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_NO_BASE_URL_HINT = "no backend yet? `synapse demo` and `synapse shell --local` run a local emulator"


def _handler(spec: str) -> Any:
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``synapse [OPTIONS] COMMAND [ARGS...]`` and return the exit status."""
    from synapse.cli._common import UsageError, fail
    from synapse.cli._parser import build_parser, normalize_argv

    args = build_parser().parse_args(normalize_argv(list(sys.argv[1:] if argv is None else argv)))
    if getattr(args, "debug", False):
        os.environ["SYNAPSE_LOG"] = "debug"  # read when the client's transport is built
    prog = f"synapse {args.command}"
    try:
        return int(_handler(args.handler)(args))
    except UsageError as exc:
        return fail(prog, str(exc), status=2)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `synapse ls tasks | head`: the reader left; say nothing more, and keep Python quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # the command line turns errors into messages
        from synapse.errors import ConfigurationError, SynapseError

        if isinstance(exc, ConfigurationError):
            message = str(exc)
            hint = _NO_BASE_URL_HINT if message.startswith("no base URL") else ""
            return fail(prog, message, status=2, hint=hint)
        if isinstance(exc, (SynapseError, OSError)):
            return fail(prog, str(exc) or type(exc).__name__, status=1)
        raise
