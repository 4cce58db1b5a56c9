"""Models (trained weights) and ground truth: dataset versions and their events."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from synapse.errors import MethodNotAllowed
from synapse.orm.filters import Filters
from synapse.orm.manager import Manager
from synapse.orm.options import ResourceOptions
from synapse.orm.queryset import QuerySet
from synapse.orm.relations import Children, Parent
from synapse.orm.resource import NOT_LOADED, Resource, resource
from synapse.orm.verbs import Creatable, Gettable

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from typing_extensions import Self

    from synapse.resources.data import DataUnit
    from synapse.resources.jobs import Job
    from synapse.services.export import ExportReport

__all__ = [
    "GROUND_TRUTH_CATEGORIES",
    "SERVE_STATUSES",
    "GroundTruth",
    "GroundTruthEvent",
    "GroundTruthEventManager",
    "GroundTruthManager",
    "GroundTruthVersion",
    "GroundTruthVersionManager",
    "Model",
    "ModelManager",
    "ServeApplication",
    "ServeApplicationManager",
]

StrPath = str | os.PathLike[str]

# API.md "Models and ground truth": an event's category.
GROUND_TRUTH_CATEGORIES = ("train", "validation", "test")
# API.md "Models and ground truth": a serving entry's status.
SERVE_STATUSES = ("DEPLOYING", "RUNNING", "DEPLOY_FAILED", "UNHEALTHY", "UNAVAILABLE")


@resource
class Model(Resource):
    """A trained model: its weights ``file`` (a download URL), plugin and configuration.

    ``model.checkpoint`` is the lazy parent model it was trained from; ``model.download(dir)``
    fetches the weights. API.md offers no route to update or delete a model.
    """

    options = ResourceOptions(
        path="models/",
        repr_fields=("name", "version"),
        create_fields=("name",),
        create_extra={"chunked_upload"},
        filters=Filters(
            "plugin", "name", "version", "checkpoint", "is_released", ordering=("id", "name", "created")
        ),
        read_only={"id", "created", "file", "is_released"},
    )

    id: int
    name: str = NOT_LOADED
    plugin: str | None = NOT_LOADED
    version: str | None = NOT_LOADED
    configuration: dict[str, Any] | None = NOT_LOADED
    description: str | None = NOT_LOADED
    file: str | None = NOT_LOADED
    is_released: bool = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    checkpoint: ClassVar[Parent[Model | None]] = Parent("Model")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        checkpoint_id: int | None = NOT_LOADED

    def download(self, dest: StrPath, filename: str | None = None, progress: Any = None) -> Path:
        """Download the weights into the directory ``dest`` and return the file's path.

        Raises:
            ValueError: the model has no file.
        """
        from synapse.services import downloads

        if not self.file:
            raise ValueError(f"Model {self.id} has no weights file to download")
        client = self._require_client()
        return downloads.download(client, self.file, dest, filename=filename, progress=progress)


class ModelManager(Gettable[Model], Creatable[Model]):
    """``client.models``: list, read and create models (weights sent as a chunked upload)."""

    _model = Model

    def create(
        self,
        *args: Any,
        name: str | None = None,
        file: StrPath | None = None,
        plugin: Any = None,
        version: str | None = None,
        checkpoint: Any = None,
        configuration: Mapping[str, Any] | None = None,
        description: str | None = None,
        chunked_upload: str | None = None,
        progress: Any = None,
        **fields: Any,
    ) -> Model:
        """Create a model (``POST models/``), uploading its weights first when ``file`` is given.

        Args:
            *args: not accepted (keyword arguments only).
            name: the model's name (required).
            file: the weights file; sent with a chunked upload whose id goes in ``chunked_upload``.
            plugin: the plugin (code or ``Plugin``) that trained it.
            version: the plugin release version.
            checkpoint: the parent model (id or ``Model``).
            configuration: the model's configuration.
            description: free text.
            chunked_upload: the id of an upload already completed (instead of ``file``).
            progress: for ``file``: ``True`` for a tqdm bar or a ``(done, total)`` callable.
            **fields: other fields of the create body.

        Raises:
            ValidationError: no name (before any upload or request), or the server refused.
            TypeError: both ``file`` and ``chunked_upload``, or an unknown field.
            FileNotFoundError: ``file`` names no file (before any request).
            UploadError: the weights upload failed.
        """
        from synapse.resources.plugins import Plugin
        from synapse.services.uploads.files import check_file

        if args:
            raise TypeError("ModelManager.create() takes keyword arguments only")
        if file is not None and chunked_upload is not None:
            raise TypeError("give either file= or chunked_upload=, not both")
        if isinstance(plugin, Plugin):
            plugin = plugin.code
        if configuration is not None and not isinstance(configuration, Mapping):
            raise TypeError(f"configuration must be a mapping, got {type(configuration).__name__}")
        given = {
            "name": name, "plugin": plugin, "version": version, "checkpoint": checkpoint,
            "configuration": dict(configuration) if configuration is not None else None,
            "description": description, "chunked_upload": chunked_upload,
        }
        body = {k: v for k, v in given.items() if v is not None}
        body.update(fields)
        self._prepare(body)  # required and unknown fields, before the upload
        if file is not None:
            path, _ = check_file(file)
            client = self._require_client()
            upload = client.uploads.upload(path, progress=progress)
            body["chunked_upload"] = str(upload.id)
        return super().create(**body)


@resource
class GroundTruthVersion(Resource):
    """A version of a ground-truth dataset; ``version.events`` lists its events."""

    options = ResourceOptions(
        path="ground_truth_dataset_versions/",
        repr_fields=("version",),
        filters=Filters("ground_truth_dataset", "is_archived", ordering=("id", "created")),
    )

    id: int
    ground_truth_dataset: int | None = NOT_LOADED
    version: str | None = NOT_LOADED
    description: str | None = NOT_LOADED
    is_archived: bool = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    events: ClassVar[Children[GroundTruthEventManager]] = Children(
        "GroundTruthEvent", fk="ground_truth_dataset_versions", create=False
    )
    ground_truths: ClassVar[Children[GroundTruthManager]] = Children(
        "GroundTruth", fk="ground_truth_dataset_versions", create=False
    )

    def export(
        self,
        format: str,
        dest: str | os.PathLike[str],
        *,
        media: bool = True,
        splits: Mapping[str, float] | None = None,
        labels: Sequence[str] | None = None,
        workers: int = 8,
        executor: Executor | None = None,
        progress: Any = None,
        since: int | None = None,
        page_size: int | None = None,
        **options: Any,
    ) -> ExportReport:
        """Export this version's ground truth in ``format``; splits come from the events' category.

        The latest event of each ground truth is written (``validation`` becomes the ``val``
        split); items are keyed by ground-truth id. See ``TaskManager.export`` for the arguments
        and :mod:`synapse.services.export` for resuming; the watermark is the highest event ``pgh_id``.
        """
        from synapse.services import export

        return export.export(
            self, format, dest, transport=self._require_client().transport, media=media, splits=splits,
            labels=labels, workers=workers, executor=executor, progress=progress, since=since,
            key={"ground_truth_version": self.id}, page_size=page_size, **options,
        )


class GroundTruthVersionManager(Gettable[GroundTruthVersion]):
    """``client.ground_truth_versions``: list and read ground-truth dataset versions."""

    _model = GroundTruthVersion


@resource
class ServeApplication(Resource):
    """A model serving entry: the job serving a model, its status and data (``serve_applications/``).

    ``entry.job`` is the lazy job; ``plugin_code`` and ``agent`` are the job's.
    """

    options = ResourceOptions(
        path="serve_applications/",
        repr_fields=("status", "plugin_code"),
        create_fields=("job",),
        filters=Filters("plugin_code", "job__agent", "status", "job", ordering=("id", "created", "status")),
        read_only={"id", "plugin_code", "agent", "created"},
    )

    id: int
    plugin_code: str | None = NOT_LOADED
    agent: int | None = NOT_LOADED
    status: str | None = NOT_LOADED
    data: dict[str, Any] | None = NOT_LOADED
    created: dt.datetime | None = NOT_LOADED

    job: ClassVar[Parent[Job | None]] = Parent("Job")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        job_id: str | None = NOT_LOADED


class ServeApplicationQuerySet(QuerySet[ServeApplication]):
    """A query over serving entries: a ``status`` is sent in capitals."""

    def filter(self, **params: Any) -> Self:
        """Return a QuerySet narrowed by ``plugin_code``, ``job__agent``, ``status``, ``job``.

        Raises:
            ValueError: an unknown ``status`` (before any request).
        """
        if isinstance(params.get("status"), str):
            params["status"] = _serve_status(params["status"])
        return super().filter(**params)


class ServeApplicationManager(
    Creatable[ServeApplication, ServeApplicationQuerySet], ServeApplicationQuerySet
):
    """``client.serve_applications``: list (``plugin_code``, ``job__agent``, ``status``) and record entries.

    ``client.serve_applications.create(job=job, status="RUNNING", data={...})``. A status is
    sent in capitals (API.md lists them so); an unknown one is a ``ValueError`` before any request.
    """

    if TYPE_CHECKING:  # on the manager, filter() returns a ServeApplicationQuerySet

        def filter(self, **params: Any) -> ServeApplicationQuerySet:  # type: ignore[override]
            """A ServeApplicationQuerySet narrowed by ``params`` (see its ``filter``; no request)."""

    _model = ServeApplication

    def create(self, *args: Any, **fields: Any) -> ServeApplication:
        """Record a serving entry (``POST serve_applications/``): ``job``, and ``status``, ``data``.

        Raises:
            ValidationError: no job (before any request), or the server refused it.
            ValueError: an unknown ``status`` (before any request).
        """
        if isinstance(fields.get("status"), str):
            fields["status"] = _serve_status(fields["status"])
        return super().create(*args, **fields)

    def _fetch_raw(self, ident: Any, *, use_cache: bool) -> tuple[dict[str, Any], bool]:
        raise _no_detail_route("ServeApplication", ident, "serve_applications/{id}/")


def _serve_status(value: str) -> str:
    status = value.upper()
    if status not in SERVE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(SERVE_STATUSES)}, got {value!r}")
    return status


def _no_detail_route(name: str, ident: Any, path: str) -> MethodNotAllowed:
    return MethodNotAllowed(
        405,
        f"{name} {ident}: API.md lists these objects but has no detail route, so a partial row "
        "cannot be completed; list without fields(), or with the fields you read; no request was sent",
        method="GET",
        path=path,
    )


@resource
class GroundTruth(Resource):
    """A ground truth of a dataset: its data unit, category, annotation and files (read-only).

    Listed from ``ground_truths/``, as its latest event within the asked dataset or versions
    left it; ``gt.data_unit`` is the lazy unit, each ``files`` entry carries a download ``url``.
    """

    options = ResourceOptions(
        path="ground_truths/",
        repr_fields=("category",),
        filters=Filters(
            "ground_truth_dataset", "ground_truth_dataset_versions", "category", "data_unit",
            ordering=("id", "category", "data_unit"),
        ),
        read_only={"id", "ground_truth_dataset", "data_unit", "category", "data", "files"},
    )

    id: int
    ground_truth_dataset: int | None = NOT_LOADED
    category: str | None = NOT_LOADED
    data: Any = NOT_LOADED
    files: dict[str, Any] | None = NOT_LOADED

    data_unit: ClassVar[Parent[DataUnit | None]] = Parent("DataUnit")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        data_unit_id: int | None = NOT_LOADED


class GroundTruthManager(Manager[GroundTruth]):
    """``client.ground_truths`` and ``version.ground_truths``: list ground truths (read-only).

    ``client.ground_truths.filter(ground_truth_dataset=1)`` lists a dataset's; a version's
    ``ground_truths`` lists them as that version holds them.
    """

    _model = GroundTruth

    def _fetch_raw(self, ident: Any, *, use_cache: bool) -> tuple[dict[str, Any], bool]:
        raise _no_detail_route("GroundTruth", ident, "ground_truths/{id}/")


@resource
class GroundTruthEvent(Resource):
    """One change to a ground truth item (read-only): its data, files and category.

    Identified by ``pgh_id`` (unique per event); ``id`` is the ground truth the event is
    about, so two events of one item share ``id`` but never ``pgh_id``. Equality and
    ``repr`` use ``pgh_id``. ``event.data_unit`` is the lazy data unit.
    """

    options = ResourceOptions(
        path="sdk/ground_truth_events/",
        repr_fields=("pgh_label", "category"),
        filters=Filters(
            "ground_truth_dataset_versions", "ground_truth", "category", "task", ordering=("pgh_id", "id")
        ),
        read_only={"pgh_id", "id", "pgh_label", "data_unit", "category", "data", "files", "classes"},
        id_attr="pgh_id",
        id_required=False,  # API.md: rows narrowed by fields= may lack pgh_id
    )

    pgh_id: int
    id: int | None = NOT_LOADED
    pgh_label: str | None = NOT_LOADED
    category: str | None = NOT_LOADED
    data: Any = NOT_LOADED
    files: dict[str, Any] | None = NOT_LOADED
    classes: Any = NOT_LOADED

    data_unit: ClassVar[Parent[DataUnit | None]] = Parent("DataUnit")

    if TYPE_CHECKING:  # the fields the Parent relations make, named for type checkers
        data_unit_id: int | None = NOT_LOADED


class GroundTruthEventQuerySet(QuerySet[GroundTruthEvent]):
    """A query over ground-truth events: a ``category`` is checked before any request."""

    def filter(self, **params: Any) -> Self:
        """Return a QuerySet narrowed by ``ground_truth_dataset_versions``, ``category``, ...

        Raises:
            ValueError: a ``category`` other than ``train``, ``validation``, ``test``.
        """
        category = params.get("category")
        if isinstance(category, str) and category not in GROUND_TRUTH_CATEGORIES:
            choices = ", ".join(GROUND_TRUTH_CATEGORIES)
            raise ValueError(f"category must be one of {choices}, got {category!r}")
        return super().filter(**params)


class GroundTruthEventManager(
    Manager[GroundTruthEvent, GroundTruthEventQuerySet], GroundTruthEventQuerySet
):
    """``client.ground_truth_events`` and ``version.events``: list events (read-only).

    Long walks: ``qs.iterator(cursor=True)`` (cursor mode, ``ordering=-pgh_id``). There is no
    detail route, so a row listed with ``fields(...)`` cannot complete itself: list the
    fields you need.
    """

    if TYPE_CHECKING:  # on the manager, filter() returns a GroundTruthEventQuerySet

        def filter(self, **params: Any) -> GroundTruthEventQuerySet:  # type: ignore[override]
            """A GroundTruthEventQuerySet narrowed by ``params`` (see its ``filter``; no request)."""

    _model = GroundTruthEvent

    def _fetch_raw(self, ident: Any, *, use_cache: bool) -> tuple[dict[str, Any], bool]:
        raise MethodNotAllowed(
            405,
            f"GroundTruthEvent {ident}: ground-truth events have no detail route (API.md lists them "
            "only), so a partial row cannot be completed; list without fields(), or with the fields "
            "you read; no request was sent",
            method="GET",
            path="sdk/ground_truth_events/{pgh_id}/",
        )

