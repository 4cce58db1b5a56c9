"""Models and ground truth, as the original SDK's ``MLClientMixin`` offered them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any, Literal, overload

from synapse.clients._base import Answer, BaseClient, Conversion, ListAnswer, Params, Stream
from synapse.clients._url_conversion import UrlConversion
from synapse.errors import ValidationError

__all__ = ["MLClientMixin"]


class MLClientMixin(BaseClient):
    """Models (with their weights), ground truths, their versions and events."""

    def create_model(
        self, data: Mapping[str, Any], file: str | os.PathLike[str] | IO[bytes] | None = None
    ) -> Answer:
        """Upload the weights (chunked) and create a model (``POST models/ {"chunked_upload": id, ...}``).

        Args:
            data: ``{"name", "plugin", "version", "checkpoint", "configuration", "description"}``,
                and the weights as ``"file"`` when not given as ``file``.
            file: the weights: a path, or a file opened from one.

        Raises:
            FileNotFoundError: the weights file does not exist (before any request).
            UploadError: the weights upload failed.
            ValidationError: no name with a file (before the upload), or the server refused the model.
        """
        body = dict(data)
        weights = body.pop("file", None)
        if file is not None and weights is not None:
            raise TypeError("give the weights as file= or as data['file'], not both")
        weights = file if file is not None else weights
        if weights is not None and not isinstance(weights, (str, os.PathLike)):
            name = getattr(weights, "name", None)
            if not isinstance(name, str) or not os.path.isfile(name):
                raise TypeError("the model file must be a path, or a file opened from a path")
            weights = name
        if weights is not None:
            if not body.get("name"):  # checked here only so no weights are sent for a refusal
                required = {"name": ["This field is required."]}
                raise ValidationError(400, "a model needs a name; nothing was uploaded", errors=required)
            body["chunked_upload"] = str(self._client.uploads.upload(weights).id)
        return self._send("POST", "models/", body)

    def list_models(self, params: Params = None) -> dict[str, Any]:
        """List models (``GET models/``; filters ``plugin``, ``name``, ...): the first page."""
        return self._page(self._client.models, params)

    def get_model(
        self, pk: int, params: Params = None, url_conversion: Mapping[str, Any] | None = None
    ) -> Answer:
        """Return a model (``GET models/{pk}/``) with its weights downloaded, as the original did.

        ``file`` becomes the local path of the weights (in the media cache); pass
        ``url_conversion={"files_fields": []}`` to keep the URL and download nothing.
        """
        return self._get(self._client.models, pk, params, UrlConversion.parse(url_conversion, ("file",)))

    @overload
    def list_ground_truth_events(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_ground_truth_events(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_ground_truth_events(
        self, params: Params, url_conversion: Conversion, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_ground_truth_events(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_ground_truth_events(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List ground-truth events (``GET sdk/ground_truth_events/?ground_truth_dataset_versions=1``).

        The first page, or ``(generator, count)`` with ``list_all`` (which downloads each
        event's ``files`` that carry a URL, as the original did).
        """
        return self._listing(self._client.ground_truth_events, params, url_conversion, list_all, ("files",))

    @overload
    def list_ground_truths(
        self, params: Params = None, url_conversion: Conversion = None, list_all: Literal[False] = False
    ) -> dict[str, Any]: ...
    @overload
    def list_ground_truths(
        self, params: Params = None, url_conversion: Conversion = None, *, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_ground_truths(
        self, params: Params, url_conversion: Conversion, list_all: Literal[True]
    ) -> Stream: ...
    @overload
    def list_ground_truths(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer: ...
    def list_ground_truths(
        self, params: Params = None, url_conversion: Conversion = None, list_all: bool = False
    ) -> ListAnswer:
        """List ground truths (``GET ground_truths/``) of a version or a dataset.

        Filters ``ground_truth_dataset_versions``, ``ground_truth_dataset``. Rows ``{"id",
        "ground_truth_dataset", "data_unit", "category", "data", "files"}``: the first page, or
        ``(generator, count)`` with ``list_all``. Nothing is downloaded unless
        asked (``url_conversion={"files_fields": ["files"]}``). The object model's form:
        ``client.ground_truths.filter(...)`` or ``version.ground_truths``.
        """
        return self._listing(self._client.ground_truths, params, url_conversion, list_all)

    def get_ground_truth_version(self, pk: int) -> Answer:
        """Return a ground-truth dataset version (``GET ground_truth_dataset_versions/{pk}/``)."""
        return self._get(self._client.ground_truth_versions, pk)

    def list_ground_truth_versions(self, params: Params = None) -> dict[str, Any]:
        """List ground-truth dataset versions (``GET ground_truth_dataset_versions/``): the first page."""
        return self._page(self._client.ground_truth_versions, params)
