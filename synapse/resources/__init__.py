"""Resource classes and their managers, one module per domain (see ``synapse.orm.resource`` to add one).

Importing this package imports every domain module, so relations can name models by string.
"""

from __future__ import annotations

import importlib

# Domain modules, in import order. Add a new module's name here.
_MODULES = ("projects", "tasks", "assignments", "data", "plugins", "jobs", "ml", "storage", "agents")

for _name in _MODULES:
    importlib.import_module(f"{__name__}.{_name}")
