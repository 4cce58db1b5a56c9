"""Logging set-up: ``SYNAPSE_LOG=debug`` and redaction of credentials in library logs.

The SDK logs to ``logging.getLogger("synapse")`` and its children and adds no handler unless
``SYNAPSE_LOG`` asks for one (a library must not configure logging behind the user's back).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterable, Mapping

__all__ = ["REDACTED", "configure_from_env", "redact", "register_secrets"]

REDACTED = "***"
LOGGER_NAME = "synapse"

_lock = threading.Lock()
_configured = False
_secrets: frozenset[str] = frozenset()
_filter_installed = False
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def configure_from_env(env: Mapping[str, str] | None = None) -> bool:
    """Add a stderr handler to the ``synapse`` logger when ``SYNAPSE_LOG`` is set (once per process).

    Args:
        env: the environment to read (default ``os.environ``).

    Returns:
        True when this call (or an earlier one) configured the handler.
    """
    global _configured
    environ = os.environ if env is None else env
    name = environ.get("SYNAPSE_LOG", "").strip().lower()
    level = _LEVELS.get(name)
    if level is None:
        return _configured
    with _lock:
        if _configured:
            return True
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger = logging.getLogger(LOGGER_NAME)
        logger.addHandler(handler)
        logger.setLevel(level)
        _configured = True
        return True


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


class _RedactingFilter(logging.Filter):
    """Scrubs known credentials from records of loggers we do not own.

    urllib3 logs URL paths, and the agent health check carries the agent token in its path.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = _secrets
        if not secrets:
            return True
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def register_secrets(secrets: Iterable[str]) -> None:
    """Remember credentials to scrub from third-party log records (urllib3)."""
    global _secrets, _filter_installed
    new = frozenset(s for s in secrets if s)
    if not new or new <= _secrets:
        return
    with _lock:
        _secrets = _secrets | new
        if not _filter_installed:
            logging.getLogger("urllib3.connectionpool").addFilter(_RedactingFilter())
            _filter_installed = True
