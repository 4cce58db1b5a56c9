"""ImageFolder: ``<split>/<class>/<file>`` (or ``<class>/<file>`` without splits), for classification.

Each image is filed under the class of its :class:`~synapse.annotations.Classification`; an image
with several classes goes under the first (reported), one without any is left out (reported), and
every other object is reported as skipped: the folder of an image is all this format holds.
"""

from __future__ import annotations

import synapse.annotations as ann
from synapse.formats.base import Item
from synapse.formats.writing import BaseWriter


def folder_name(code: str) -> str:
    """A class code as a folder name (path separators replaced)."""
    return code.replace("/", "_").replace("\\", "_") or "_"


class ImageFolderWriter(BaseWriter):
    """Writes a classification ImageFolder tree (media only: without media nothing is written)."""

    format = "imagefolder"

    def add(self, item: Item) -> None:
        """Copy the item's image into the folder of its class."""
        classes: list[ann.Annotation] = []
        for obj in item.objects:
            if not isinstance(obj, ann.Classification):
                self.unsupported(item, obj)
            elif obj.label is None:
                self.audit(item, obj, "skipped", "no_label", "a classification without a class")
            elif self.labels is not None and obj.label not in self.labels:
                self.audit(item, obj, "skipped", "unknown_class", f"{obj.label!r} is not in labels=")
            else:
                classes.append(obj)
        if not classes:
            detail = f"{item.name} has no classification to file it under"
            self.audit(item, None, "skipped", "no_class", detail)
            return
        first = str(classes[0].label)
        for other in classes[1:]:
            if other.label != first:
                self.audit(item, other, "lossy", "multiple_classes", f"filed under {first!r} only")
        if item.image is None or not self.media:
            self.audit(item, classes[0], "skipped", "no_media", "ImageFolder stores the image itself")
            return
        folder = f"{item.split}/{folder_name(first)}" if item.split else folder_name(first)
        name = self.names.claim(folder, item.name, item)
        self.copy_media(item, self.dest / folder / name)
