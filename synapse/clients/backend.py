"""``BackendClient``: the original Synapse SDK's flat client, as a thin facade over the object model.

Code written against the original SDK moves by changing one import::

    from synapse.clients.backend import BackendClient

    client = BackendClient("https://api.synapse.sh", access_token="...")
    project = client.get_project(1)                         # a plain dict, as before
    first_page = client.list_tasks(params={"project": 1})   # {"count", "next", "previous", "results"}
    rows, count = client.list_tasks(params={"project": 1}, list_all=True)

Every method calls the object model (``client.client``, a ``synapse.Client``) and returns plain
dicts in the wire's shapes; ``docs/migration.md`` maps each method to its object-model form.
"""

from __future__ import annotations

from synapse.clients._annotation import AnnotationClientMixin
from synapse.clients._base import BaseClient
from synapse.clients._core import CoreClientMixin
from synapse.clients._data_collection import DataCollectionClientMixin
from synapse.clients._hitl import HITLClientMixin
from synapse.clients._integration import IntegrationClientMixin
from synapse.clients._ml import MLClientMixin
from synapse.clients._url_conversion import UrlConversion

__all__ = [
    "AnnotationClientMixin",
    "BackendClient",
    "BaseClient",
    "CoreClientMixin",
    "DataCollectionClientMixin",
    "HITLClientMixin",
    "IntegrationClientMixin",
    "MLClientMixin",
    "UrlConversion",
]


class BackendClient(
    AnnotationClientMixin,
    CoreClientMixin,
    DataCollectionClientMixin,
    HITLClientMixin,
    IntegrationClientMixin,
    MLClientMixin,
):
    """The original SDK's client for the Synapse backend: every method returns plain dicts.

    ``BackendClient(base_url, api_token=None, *, agent_token=None, tenant=None, access_token=None,
    token=None, timeout=None)``: ``access_token`` is the original name of ``api_token``; ``token``
    is a personal user token. Without a token argument, ``SYNAPSE_API_TOKEN`` (or
    ``SYNAPSE_ACCESS_TOKEN``) and ``SYNAPSE_AGENT_TOKEN`` are read. Use it as a context manager,
    or call ``close()``. ``client.client`` is the ``synapse.Client`` underneath.
    """
