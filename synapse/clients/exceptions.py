"""The original SDK's exception module: the same classes as ``synapse.errors``."""

from synapse.errors import *  # noqa: F403
from synapse.errors import __all__ as __all__
