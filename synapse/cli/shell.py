"""``synapse shell``: an interactive Python session with ``client`` already connected.

IPython is used when it is installed; ``--plain`` (or ``SYNAPSE_SHELL=plain``) picks the standard
console (``code.interact``, with tab completion through ``rlcompleter`` when ``readline`` exists).
``--local`` starts an emulator with the demo workspace, connects ``client`` to it and closes it
when the session ends (``emu`` is the emulator). Without ``--local`` and with no base URL
configured, the command says how to configure one, or to use ``--local``, and exits with 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from synapse.cli._common import connect, fail

__all__ = ["NO_BACKEND_HINT", "run"]

NO_BACKEND_HINT = """no backend configured: no --base-url, no SYNAPSE_BASE_URL and no host in the config file.
  Explore the demo workspace on a local emulator:   synapse shell --local
  Or connect to a backend:                          export SYNAPSE_BASE_URL=https://api.synapse.sh
                                                    export SYNAPSE_API_TOKEN=...   (then: synapse shell)"""


def _banner(client: Any, local: bool) -> str:
    where = "a local emulator with the demo workspace" if local else client.base_url
    lines = [
        f"synapse shell: connected to {where}",
        "  client   " + repr(client),
        "  synapse  the synapse package",
    ]
    if local:
        lines.append("  emu      the emulator (emu.url, emu.requests, emu.faults)")
    lines.append("Try: client.projects.get(1)   client.tasks.filter(project=1)[:5]   client.last_response")
    return "\n".join(lines)


def _plain(namespace: dict[str, Any], banner: str) -> None:
    import code

    local = {"__name__": "__console__", **namespace}  # one dict: completion sees new names too
    try:
        import readline
        import rlcompleter
    except ImportError:  # e.g. Windows without pyreadline: no completion, still a console
        pass
    else:
        readline.set_completer(rlcompleter.Completer(local).complete)
        readline.parse_and_bind("tab: complete")
    code.interact(banner=banner, local=local, exitmsg="")


def _ipython(namespace: dict[str, Any], banner: str) -> bool:
    try:
        from IPython import start_ipython
    except ImportError:
        return False
    print(banner, flush=True)
    start_ipython(argv=["--no-banner"], user_ns=namespace)
    return True


def run(args: argparse.Namespace) -> int:
    """Open the session; returns 0 when it ends normally."""
    import synapse
    from synapse.client import Client
    from synapse.errors import ConfigurationError

    emu = None
    if args.local:
        from synapse.cli.demo import start_emulator

        emu = start_emulator()
        client = emu.client(Client)
    else:
        try:
            client = connect(args)
        except ConfigurationError as exc:
            if str(exc).startswith("no base URL"):
                return fail("synapse shell", NO_BACKEND_HINT, status=2)
            raise
    namespace: dict[str, Any] = {"client": client, "synapse": synapse}
    if emu is not None:
        namespace["emu"] = emu
    banner = _banner(client, emu is not None)
    plain = args.plain or os.environ.get("SYNAPSE_SHELL", "").strip().lower() == "plain"
    try:
        if plain or not _ipython(namespace, banner):
            _plain(namespace, banner)
    finally:
        client.close()
        if emu is not None:
            emu.close()
    sys.stdout.flush()
    return 0
