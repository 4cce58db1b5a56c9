"""Conventions of the code base itself (python-gitlab style meta tests)."""

from __future__ import annotations

import inspect
from functools import cached_property
from typing import Any

import attrs
import pytest

import synapse
import synapse.errors
from synapse.client import Client
from synapse.orm.manager import Manager
from synapse.orm.registry import managers, models
from synapse.orm.resource import Resource

MODELS = sorted(models().items())
MANAGERS = sorted(managers().items(), key=lambda item: item[0].__name__)


def test_there_are_resources_and_managers() -> None:
    names = {name for name, _ in MODELS}
    assert {"Project", "TaskTag", "Task", "Assignment", "DataCollection", "DataUnit", "DataFile"} <= names


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_resource_is_documented_has_a_repr_field_and_an_id(name: str, model: type[Resource]) -> None:
    assert inspect.getdoc(model) and inspect.getdoc(model) != inspect.getdoc(Resource), name
    assert model._repr_fields, f"{name} declares no _repr_fields"
    fields = {a.name for a in attrs.fields(model)}  # type: ignore[misc]
    assert model._id_attr in fields
    assert set(model._repr_fields) <= fields


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_resource_is_exported_from_synapse(name: str, model: type[Resource]) -> None:
    assert name in synapse.__all__
    assert getattr(synapse, name) is model


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_routed_resource_has_a_registered_manager(name: str, model: type[Resource]) -> None:
    if model._verbs:
        assert model in dict(MANAGERS), f"{name} has verbs but no Manager subclass with _model = {name}"


@pytest.mark.parametrize(("model", "manager"), MANAGERS)
def test_every_managers_model_is_registered(model: type[Resource], manager: type[Any]) -> None:
    assert issubclass(manager, Manager)
    assert models()[model.__name__] is model
    assert inspect.getdoc(manager), f"{manager.__name__} has no docstring"


def _client_managers() -> dict[str, Any]:
    client = Client(base_url="https://api.example.com/", api_token="t")
    out = {}
    for name, member in vars(Client).items():
        if isinstance(member, cached_property):
            value = getattr(client, name)
            if isinstance(value, Manager):
                out[name] = value
    return out


@pytest.mark.parametrize(("model", "manager"), MANAGERS)
def test_every_manager_is_reachable_from_the_client(model: type[Resource], manager: type[Any]) -> None:
    found = [name for name, value in _client_managers().items() if type(value) is manager]
    assert found, f"no Client property returns a {manager.__name__}"


@pytest.mark.parametrize(("name", "model"), [*MODELS, *((m.__name__, m) for _, m in MANAGERS)])
def test_public_methods_have_docstrings(name: str, model: type[Any]) -> None:
    for attr, member in vars(model).items():
        if not attr.startswith("_") and inspect.isfunction(member):
            assert inspect.getdoc(member), f"{name}.{attr} has no docstring"


def test_every_exception_is_exported_from_synapse() -> None:
    for name in synapse.errors.__all__:
        value = getattr(synapse.errors, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert getattr(synapse, name) is value, f"synapse.{name} is not exported"


def test_import_synapse_does_not_load_the_object_model() -> None:
    import subprocess
    import sys

    code = "import sys, synapse; print([m for m in sys.modules if m.startswith(('synapse', 'pandas'))])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "synapse.resources" not in out and "pandas" not in out and "synapse.orm.queryset" not in out


def _every_module() -> None:
    """Import every module of the client side, so every exception class it defines exists."""
    import importlib
    import pkgutil

    for info in pkgutil.walk_packages(synapse.__path__, "synapse."):
        if info.name.startswith(("synapse.emulator", "synapse.cli", "synapse.testing")):
            continue  # the other end of the wire, the command, the pytest plugin
        importlib.import_module(info.name)


def _subclasses(cls: type[BaseException]) -> list[type[BaseException]]:
    found: list[type[BaseException]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return list(dict.fromkeys(found))


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance built as the SDK builds it, with a message that names a credential-like string."""
    from synapse.errors import ClientError, JobError

    if issubclass(cls, ClientError) and not issubclass(cls, synapse.errors.TransportError):
        return cls(418, "teapot", method="GET", path="/x/")  # type: ignore[call-arg]
    if issubclass(cls, JobError):
        return cls("job ended", job=None)  # type: ignore[call-arg]
    return cls("something went wrong")


def test_every_synapse_error_is_defined_in_errors_exported_documented_and_picklable() -> None:
    import pickle

    _every_module()
    classes = _subclasses(synapse.errors.SynapseError)
    assert len(classes) >= 25
    for cls in classes:
        name = cls.__name__
        assert cls.__module__ == "synapse.errors", f"{name} is defined in {cls.__module__}, not synapse.errors"
        assert name in synapse.errors.__all__, f"{name} is not in synapse.errors.__all__"
        assert getattr(synapse, name) is cls, f"synapse.{name} is not exported"
        assert cls.__doc__ and cls.__doc__.strip(), f"{name} has no docstring"
        assert f"{name} " in (synapse.errors.__doc__ or ""), f"{name} is missing from the tree in errors.py"
        err = _instance(cls)
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is cls and str(clone) == str(err)
