"""Conventions of the code base itself (python-gitlab style meta tests)."""

from __future__ import annotations

import inspect
from functools import cached_property
from typing import Any, ClassVar

import attrs
import pytest

import synapse
import synapse.errors
from synapse.client import Client
from synapse.orm.manager import Manager
from synapse.orm.registry import managers, models
from synapse.orm.relations import Parent
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Deletable, Saveable, verbs

MODELS = sorted(models().items())
MANAGERS = sorted(managers().items(), key=lambda item: item[0].__name__)


def test_there_are_resources_and_managers() -> None:
    names = {name for name, _ in MODELS}
    assert {"Project", "TaskTag", "Task", "Assignment", "DataCollection", "DataUnit", "DataFile"} <= names


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_resource_is_documented_has_a_repr_field_and_an_id(name: str, model: type[Resource]) -> None:
    assert inspect.getdoc(model) and inspect.getdoc(model) != inspect.getdoc(Resource), name
    assert model.options.repr_fields, f"{name} declares no repr_fields in its options"
    fields = {a.name for a in attrs.fields(model)}  # type: ignore[misc]
    assert model.options.id_attr in fields
    assert set(model.options.repr_fields) <= fields


# API.md's tables, verb by verb (agents: read one through the list, API.md has no detail route).
API_VERBS = {
    "Project": {"get", "list", "update", "delete"},
    "TaskTag": {"get", "list"},
    "Task": {"get", "list", "create", "update", "delete"},
    "Assignment": {"get", "list"},
    "DataCollection": {"get", "list", "create", "update", "delete"},
    "DataFile": {"create"},
    "DataUnit": {"get", "list", "create"},
    "FileSpecification": set(),
    "Plugin": {"get", "list", "create", "update", "delete"},
    "PluginRelease": {"get", "list", "create"},
    "Job": {"get", "list", "update"},
    "Model": {"get", "list", "create"},
    "ServeApplication": {"list", "create"},
    "GroundTruth": {"list"},
    "GroundTruthEvent": {"list"},
    "GroundTruthVersion": {"get", "list"},
    "Storage": {"get", "list", "create"},
    "Agent": {"get", "list"},
}


def test_every_resource_offers_the_verbs_api_md_lists_and_no_other() -> None:
    assert {name: set(verbs(model)) for name, model in MODELS} == API_VERBS


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_a_verb_the_api_lacks_is_a_method_the_class_lacks(name: str, model: type[Resource]) -> None:
    offered = verbs(model)
    assert hasattr(model, "save") == ("update" in offered) == issubclass(model, Saveable)
    assert hasattr(model, "delete") == ("delete" in offered) == issubclass(model, Deletable)
    obj = model.__new__(model)
    names = dir(obj)
    assert ("save" in names) == ("update" in offered) and ("delete" in names) == ("delete" in offered)
    manager = dict(MANAGERS).get(model)
    if manager is not None:
        instance = manager(None)
        assert ("create" in dir(instance)) == hasattr(instance, "create") == ("create" in offered)
        assert ("get" in dir(instance)) == hasattr(instance, "get") == ("get" in offered)


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_parent_relation_makes_its_id_field_under_the_relations_wire_key(
    name: str, model: type[Resource]
) -> None:
    fields = {a.name: a for a in attrs.fields(model)}  # type: ignore[misc]
    for attr, member in vars(model).items():
        if isinstance(member, Parent):
            assert member.id_attr == f"{attr}_id" and member.id_attr in fields, (name, attr)
            assert fields[member.id_attr].metadata["wire"] == attr


def test_a_parent_id_field_declared_by_hand_or_an_old_style_declaration_is_refused() -> None:
    with pytest.raises(TypeError, match="declared twice"):

        @resource
        class Twice(Resource):
            """Twice."""

            id: int
            project_id: int = NOT_LOADED
            project: ClassVar[Parent[Any]] = Parent("Project")

    with pytest.raises(TypeError, match=r"ResourceOptions\(path=\.\.\.\)"):

        class Old(Resource):
            """Old."""

            _path = "old/"
    assert "Twice" not in models() and "Old" not in models()


def test_the_how_to_add_a_resource_example_runs_as_a_doctest() -> None:
    import subprocess
    import sys

    # A fresh interpreter: the example registers a Widget, which the tests here must not see.
    code = (
        "import doctest, synapse.orm.resource as m\n"
        "r = doctest.testmod(m, optionflags=doctest.ELLIPSIS)\n"
        "assert r.attempted >= 10, r\n"
        "raise SystemExit(1 if r.failed else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_resource_is_exported_from_synapse(name: str, model: type[Resource]) -> None:
    assert name in synapse.__all__
    assert getattr(synapse, name) is model


@pytest.mark.parametrize(("name", "model"), MODELS)
def test_every_routed_resource_has_a_registered_manager(name: str, model: type[Resource]) -> None:
    if model.options.path:
        assert model in dict(MANAGERS), f"{name} has a route but no Manager subclass with _model = {name}"


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
        assert cls.__module__ == "synapse.errors", f"{name} is defined in {cls.__module__}, not errors.py"
        assert name in synapse.errors.__all__, f"{name} is not in synapse.errors.__all__"
        assert getattr(synapse, name) is cls, f"synapse.{name} is not exported"
        assert cls.__doc__ and cls.__doc__.strip(), f"{name} has no docstring"
        assert f"{name} " in (synapse.errors.__doc__ or ""), f"{name} is missing from the tree in errors.py"
        err = _instance(cls)
        clone = pickle.loads(pickle.dumps(err))
        assert type(clone) is cls and str(clone) == str(err)
