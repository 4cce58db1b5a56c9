"""The emulator's routes, one module per domain of API.md."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["Route", "all_routes"]

Handler = Callable[..., Any]


class Route:
    """One URL rule and its handler per method.

    Args:
        rule: a werkzeug rule without the leading slash, e.g. ``"tasks/<id:pk>/"``.
        auth: whether a credential is required (download links and the agent health check
            carry their own secret in the URL).
        handlers: method -> handler ``(ctx, **url_args) -> Reply | JSON value``.
    """

    def __init__(self, rule: str, *, auth: bool = True, **handlers: Handler) -> None:
        self.rule = "/" + rule
        self.auth = auth
        self.handlers = {m.upper(): h for m, h in handlers.items()}


def all_routes(bench: bool = False) -> list[Route]:
    """Every route of API.md (plus the download links, and the benchmark route if asked)."""
    names = [
        "projects",
        "tasks",
        "rows",
        "data_collections",
        "data",
        "uploads",
        "assignments",
        "plugins",
        "jobs",
        "logs",
        "ml",
        "ground_truths",
        "serving",
        "storage",
        "agents",
        "media",
    ]
    if bench:
        names.append("bench")
    routes: list[Route] = []
    for name in names:
        routes.extend(importlib.import_module(f"synapse.emulator.routes.{name}").ROUTES)
    return routes
