"""A local Synapse backend: a real HTTP server on ``127.0.0.1`` over SQLite, speaking API.md.

::

    from synapse.emulator import Emulator

    with Emulator(seed="demo") as emu:
        emu.url, emu.token, emu.agent_token     # where and how to connect
        emu.faults.fail("tasks/*", status=503)  # misbehave on purpose
        emu.requests[-1].path                   # what reached the server
        client = emu.client(synapse.Client)                   # a synapse.Client bound to it

The emulator imports nothing from the client side of the package. ``Emulator`` is loaded
lazily, so importing this package (e.g. for the command line) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse.emulator.server import Emulator

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    if name == "Emulator":
        from synapse.emulator.server import Emulator

        return Emulator
    raise AttributeError(f"module 'synapse.emulator' has no attribute {name!r}")
