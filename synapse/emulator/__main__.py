"""``python -m synapse.emulator``: same as ``synapse emulator``."""

from __future__ import annotations

import sys

from synapse.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
