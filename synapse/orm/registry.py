"""Which resource classes and managers exist: looked up by name so modules need not import each other."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse.orm.resource import Resource

__all__ = ["managers", "model_named", "models", "register_manager", "register_model"]

_MODELS: dict[str, type[Resource]] = {}
_MANAGERS: dict[type[Resource], type[Any]] = {}


def register_model(cls: type[Resource]) -> None:
    """Record a resource class under its class name (done by ``@resource``).

    Raises:
        TypeError: another class already has that name.
    """
    known = _MODELS.get(cls.__name__)
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(
            f"two resource classes named {cls.__name__!r}: {known.__module__} and {cls.__module__}"
        )
    _MODELS[cls.__name__] = cls


def register_manager(model: type[Resource], manager: type[Any]) -> None:
    """Record the manager class of a model (done by ``Manager.__init_subclass__``)."""
    _MANAGERS[model] = manager


def _load_all() -> None:
    importlib.import_module("synapse.resources")


def model_named(name: str) -> type[Resource]:
    """Return the resource class called ``name`` (importing the resource modules if needed).

    Raises:
        LookupError: no resource has that name.
    """
    if name not in _MODELS:
        _load_all()
    try:
        return _MODELS[name]
    except KeyError:
        raise LookupError(f"no resource class named {name!r}; known: {', '.join(sorted(_MODELS))}") from None


def manager_class(model: type[Resource]) -> type[Any] | None:
    """Return the registered manager class of ``model``, or None."""
    if model not in _MANAGERS:
        _load_all()
    return _MANAGERS.get(model)


def models() -> dict[str, type[Resource]]:
    """Every registered resource class by name (all resource modules imported)."""
    _load_all()
    return dict(_MODELS)


def managers() -> dict[type[Resource], type[Any]]:
    """Every registered manager class by model (all resource modules imported)."""
    _load_all()
    return dict(_MANAGERS)
