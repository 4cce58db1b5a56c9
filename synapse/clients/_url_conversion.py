"""``url_conversion``: file URLs in an answer downloaded to a local cache and replaced by paths.

The original SDK's option, kept as it worked: ``{"files_fields": ["files", "data_unit.files"],
"coerce": None, "is_list": True}``. For each object and each field (a dotted path):

- a string value is a URL: the field becomes the local ``Path`` of the downloaded file;
- a mapping ``{name: value}``: each string value becomes a ``Path``; each mapping value with a
  ``url`` loses its ``url`` and gains ``path`` (``files["image"] = {"checksum", "size", "path", ...}``);
- a list (``sdk/tasks/files/`` rows): each entry is converted as a mapping's values are;
- a field the object lacks, or an entry without a URL, is left as it is.

Files land in ``$SYNAPSE_CACHE_DIR/media`` (default ``~/.cache/synapse/media``), named by their
checksum when the answer gives one, else by a hash of the URL, and are downloaded only once.
Downloads go through the client's transport (``synapse.services.downloads``), so a URL of another origin
is refused rather than sent our credentials. ``coerce``, when given, is applied to each path.
``is_list`` is accepted for compatibility; lists convert each row, single objects the object.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

if TYPE_CHECKING:
    from synapse.client import Client

__all__ = ["UrlConversion", "media_dir"]

_SUFFIX_MAX = 12


def media_dir() -> Path:
    """The folder converted files are downloaded to (read from the environment on each call)."""
    from synapse.services.uploads.resume import default_cache_dir

    return default_cache_dir().parent / "media"  # beside ``uploads/`` in the SDK's cache folder


@attrs.frozen
class UrlConversion:
    """Which fields of an answer hold file URLs to download, and what to do with each path."""

    files_fields: tuple[str, ...] = ()
    coerce: Callable[[Path], Any] | None = None

    @classmethod
    def parse(cls, value: Mapping[str, Any] | None, default_fields: tuple[str, ...] = ()) -> UrlConversion:
        """Read the original SDK's ``url_conversion`` dict (None: the method's default fields).

        Raises:
            TypeError: not a mapping, ``files_fields`` not a list of strings, ``coerce`` not callable.
        """
        if value is None:
            return cls(default_fields)
        if not isinstance(value, Mapping):
            example = "{'files_fields': ['files']}"
            raise TypeError(f"url_conversion must be a dict like {example}, got {value!r:.60}")
        fields = value.get("files_fields", default_fields)
        if isinstance(fields, str) or not all(isinstance(f, str) and f for f in fields or ()):
            raise TypeError(f"url_conversion['files_fields'] must be a list of names, got {fields!r:.60}")
        coerce = value.get("coerce")
        if coerce is not None and not callable(coerce):
            raise TypeError("url_conversion['coerce'] must be a callable taking a Path")
        return cls(tuple(fields or ()), coerce)

    def __bool__(self) -> bool:
        return bool(self.files_fields)

    def apply(self, client: Client, obj: MutableMapping[str, Any]) -> None:
        """Download the files named by ``files_fields`` in ``obj`` and put their paths in place."""
        for field in self.files_fields:
            parent: Any = obj
            *path, last = field.split(".")
            for key in path:
                parent = parent.get(key) if isinstance(parent, Mapping) else None
            if not isinstance(parent, MutableMapping) or last not in parent:
                continue
            value = parent[last]
            if isinstance(value, str):
                parent[last] = self._fetch(client, value, None)
            elif isinstance(value, MutableMapping):
                for name, entry in value.items():
                    value[name] = self._entry(client, entry)
            elif isinstance(value, list):
                value[:] = [self._entry(client, entry) for entry in value]

    def _entry(self, client: Client, entry: Any) -> Any:
        """One file entry: a URL becomes a path; a ``{"url", ...}`` mapping gains ``path`` instead."""
        if isinstance(entry, str):
            return self._fetch(client, entry, None)
        if isinstance(entry, MutableMapping) and isinstance(entry.get("url"), str):
            entry["path"] = self._fetch(client, entry.pop("url"), entry.get("checksum"))
        return entry

    def _fetch(self, client: Client, url: str, checksum: Any) -> Any:
        from synapse.services import downloads

        suffix = PurePosixPath(urlsplit(url).path).suffix
        suffix = suffix if 1 < len(suffix) <= _SUFFIX_MAX and suffix[1:].isalnum() else ""
        if isinstance(checksum, str) and checksum.isalnum():
            stem = checksum.lower()
        else:
            stem = hashlib.sha256(url.encode("utf-8", "surrogateescape")).hexdigest()[:40]
        directory = media_dir()
        target = directory / f"{stem}{suffix}"
        if not target.is_file():
            target = downloads.download(client, url, directory, filename=target.name)
        return self.coerce(target) if self.coerce is not None else target
