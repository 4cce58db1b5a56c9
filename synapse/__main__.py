"""``python -m synapse``: the ``synapse`` command."""

from __future__ import annotations

import sys

from synapse.cli import main

if __name__ == "__main__":
    sys.exit(main())
