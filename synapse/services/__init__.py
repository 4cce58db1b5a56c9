"""Services used by resources and the flat facade alike: uploads, ingestion, downloads, job waiting, progress.

A service takes the transport it needs, never the whole client, and calls it, never the other way round.
"""
