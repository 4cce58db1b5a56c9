"""Storages: where the platform keeps files (``storages/``); their configuration is a secret.

Secrets policy (API.md: the configuration holds credentials and is "never returned unless
``?with_configuration=true``"):

- ``client.storages.get(1)`` and lists do not ask for it: ``storage.configuration`` is None
  and reading it sends no request. ``get(1, with_configuration=True)`` asks for it; that
  answer is never put in the client's cache, and ``refresh()`` asks for it again.
- When present it is a ``Credentials``: a real ``dict`` for code (``to_dict()``,
  ``json.dumps``, ``save()``, ``to_dataframe()`` get the real values), whose ``repr``/``str``
  show only the keys. So ``repr(storage)``, ``_repr_html_`` tables, log lines and f-strings
  never show a credential.
- Pickling (and ``copy.deepcopy``'s sharing) never carries it: a pickled storage drops its
  configuration.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from synapse.errors import ValidationError
from synapse.orm.build import build, converter, json_copy
from synapse.orm.filters import Filters
from synapse.orm.options import ResourceOptions
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Creatable, Gettable

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["STORAGE_CATEGORIES", "STORAGE_PROVIDERS", "Credentials", "Storage", "StorageManager"]

# API.md "Storages and agents".
STORAGE_PROVIDERS = ("amazon_s3", "azure", "digital_ocean", "file_system", "ftp", "sftp", "minio", "gcp")
STORAGE_CATEGORIES = ("internal", "external")


class Credentials(dict[str, Any]):
    """A storage's configuration: a plain ``dict`` whose ``repr`` hides the values.

    ``repr(c)`` is ``<Credentials: access_key, bucket_name (values hidden)>``; ``dict(c)``,
    ``c["secret_key"]`` and ``json.dumps(c)`` give the real values.
    """

    def __repr__(self) -> str:
        keys = ", ".join(sorted(map(str, self)))
        return f"<Credentials: {keys or 'empty'} (values hidden)>"

    __str__ = __repr__

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # IPython would otherwise pretty-print the dict's items


converter.register_structure_hook(Credentials, lambda value, _: Credentials(json_copy(value)))
converter.register_unstructure_hook(Credentials, lambda value: json_copy(dict(value)))


def _choice(field: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValidationError(
            400,
            f"Storage: {field} must be one of {', '.join(choices)}, got {value!r:.40}; no request was sent",
            errors={field: [f'"{value}" is not a valid choice.']},
        )


@resource
class Storage(Resource):
    """A storage backend (S3 bucket, file system, ...) files live in.

    ``configuration`` holds credentials: None unless fetched with
    ``client.storages.get(id, with_configuration=True)``, and never shown by ``repr``, HTML
    tables or logs (see the module docstring). API.md offers no update or delete.
    """

    options = ResourceOptions(
        path="storages/",
        repr_fields=("name", "provider"),
        create_fields=("name", "provider"),
        filters=Filters(
            "category", "provider", "name", "with_configuration", ordering=("id", "name", "created")
        ),
    )

    id: int
    name: str = NOT_LOADED
    provider: str = NOT_LOADED
    category: str = NOT_LOADED
    configuration: Credentials | None = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    def _missing(self, name: str) -> Any:
        if name == "configuration":
            return None  # API.md: hidden unless asked for; reading it must not send a GET
        return super()._missing(name)

    def refresh(self) -> Self:
        """Reload from the server (with the configuration again if this object holds it)."""
        if self.__dict__.get("_with_configuration"):
            manager: StorageManager = self._manager()
            raw = manager._get_with_configuration(self.id)
            self._merge(raw, replace=True)
            self.__dict__["_with_configuration"] = True
            return self
        return super().refresh()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("configuration", None)
        state.pop("_with_configuration", None)
        snapshot = state.get("_snapshot")
        if isinstance(snapshot, Mapping) and "configuration" in snapshot:
            state["_snapshot"] = {k: v for k, v in snapshot.items() if k != "configuration"}
        return state

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        new = super().__deepcopy__(memo)
        held = new.__dict__.get("configuration")
        if isinstance(held, Credentials):
            new.__dict__["configuration"] = Credentials(json_copy(dict(held)))
        return new


class StorageManager(Gettable[Storage], Creatable[Storage]):
    """``client.storages``: list, read and create storages."""

    _model = Storage

    def get(self, id: Any, *, lazy: bool = False, with_configuration: bool = False) -> Storage:  # type: ignore[override]
        """Return the storage with this id.

        Args:
            id: the storage's id.
            lazy: send no request now.
            with_configuration: also fetch the credentials (``?with_configuration=true``);
                always one GET, never cached.

        Raises:
            TypeError: ``id`` is not an int (before any request).
            ValueError: ``lazy`` together with ``with_configuration``.
            NotFound: no such storage.
        """
        if not with_configuration:
            return super().get(id, lazy=lazy)
        if lazy:
            raise ValueError("with_configuration=True fetches now: it cannot be lazy")
        ident = self._check_id(id)
        obj = build(Storage, self._get_with_configuration(ident), self._require_client(), path="storages/")
        obj.__dict__["_with_configuration"] = True
        return obj

    def _get_with_configuration(self, ident: Any) -> dict[str, Any]:
        from synapse.orm.build import MalformedAnswer

        path = self._detail_path(ident)
        raw = self._require_client().transport.get(path, params={"with_configuration": "true"})
        if not isinstance(raw, dict):
            got = type(raw).__name__
            raise MalformedAnswer(f"GET {path}: expected a Storage object, got {got}", path=path)
        return raw

    def create(
        self,
        *args: Any,
        name: str | None = None,
        provider: str | None = None,
        category: str | None = None,
        configuration: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> Storage:
        """Create a storage (``POST storages/``); the answer hides the configuration.

        Args:
            *args: not accepted (keyword arguments only).
            name: the storage's name (required).
            provider: one of ``amazon_s3 azure digital_ocean file_system ftp sftp minio gcp``.
            category: ``internal`` or ``external`` (server default when left out).
            configuration: provider settings and credentials.
            **fields: other fields of the create body.

        Raises:
            ValidationError: no name or provider, or a provider or category not in API.md's
                lists (before any request), or the server refused.
            TypeError: ``configuration`` is not a mapping (before any request).
        """
        if provider is not None:
            _choice("provider", provider, STORAGE_PROVIDERS)
        if category is not None:
            _choice("category", category, STORAGE_CATEGORIES)
        if configuration is not None and not isinstance(configuration, Mapping):
            raise TypeError(f"configuration must be a mapping, got {type(configuration).__name__}")
        given = {
            "name": name, "provider": provider, "category": category,
            "configuration": json_copy(dict(configuration)) if configuration is not None else None,
        }
        return super().create(*args, **{k: v for k, v in given.items() if v is not None}, **fields)
