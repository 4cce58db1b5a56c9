"""Uploads: chunked (resumable, hashed once) and direct multipart, behind ``UploadService``."""

from __future__ import annotations

from synapse.services.uploads.service import UploadService

__all__ = ["UploadService"]
