"""The version of the synapse SDK."""

__version__ = "0.1.0"
