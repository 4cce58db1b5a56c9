"""``synapse config`` and ``synapse whoami``: which backend, profile and credentials are in use.

Both show where each setting comes from (an option, an environment variable, a profile, the
config file), never a token's value. ``config`` sends no request; ``whoami`` sends one small
request (``GET projects/?page_size=1``) to check that the backend answers and accepts the
credentials, and exits with 1 when it does not.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from synapse.cli._common import format_table, print_json, resolve_config

if TYPE_CHECKING:
    from synapse.config import Config

__all__ = ["describe", "run_config", "run_whoami"]

_CREDENTIALS = (("api_token", "api token"), ("agent_token", "agent token"), ("user_token", "user token"),
                ("tenant", "tenant"))


def describe(config: Config) -> dict[str, Any]:
    """The settings in use and their sources, as JSON-ready data; credentials as sources only."""
    from synapse.config import config_path

    path = config_path()
    sources = config.sources
    return {
        "base_url": config.base_url,
        "base_url_source": sources.get("base_url", "argument"),
        "profile": config.profile,
        "profile_source": sources.get("profile"),
        # {name: where it came from} for each credential that is set; never the value.
        "credentials": {name: sources.get(name, "argument") for name, _ in _CREDENTIALS
                        if getattr(config, name)},
        "config_file": str(path),
        "config_file_exists": os.path.isfile(path),
        "timeout": {"connect": config.timeout[0], "read": config.timeout[1],
                    "source": sources.get("timeout", "default")},
        "verify": config.verify,
    }


def _rows(info: dict[str, Any]) -> list[tuple[str, str, str]]:
    labels = dict(_CREDENTIALS)
    creds = info["credentials"]
    rows = [
        ("base URL", info["base_url"], info["base_url_source"]),
        ("profile", info["profile"] or "(none)", info["profile_source"] or ""),
    ]
    if creds:
        rows.extend((labels[name], "set (not shown)", source) for name, source in creds.items())
    else:
        rows.append(("credentials", "none", ""))
    exists = "" if info["config_file_exists"] else " (not found)"
    rows.append(("config file", info["config_file"] + exists, ""))
    timeout = info["timeout"]
    seconds = f"connect {timeout['connect']:g} s, read {timeout['read']:g} s"
    rows.append(("timeout", seconds, timeout["source"]))
    return rows


def run_config(args: argparse.Namespace) -> int:
    """Show the resolved settings without sending a request."""
    info = describe(resolve_config(args, require_credential=False))
    if args.json:
        print_json(info)
    else:
        print(format_table(("setting", "value", "from"), _rows(info), limit=100))
    return 0


def run_whoami(args: argparse.Namespace) -> int:
    """Check the connection and the credentials with one request, then show the settings."""
    from synapse.client import Client

    config = resolve_config(args, retries=1)  # a check: say quickly when nothing answers
    with Client.from_config(config) as client:
        visible = client.projects.count()  # 401/403 or no answer: exit status 1 with the reason
    info = describe(config)
    info.update(authenticated=True, projects_visible=visible)
    if args.json:
        print_json(info)
        return 0
    rows = _rows(info)
    rows.insert(1, ("server", f"answers; credentials accepted ({visible} projects visible)", ""))
    print(format_table(("setting", "value", "from"), rows, limit=100))
    return 0
