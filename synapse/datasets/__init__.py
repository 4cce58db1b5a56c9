"""Training adapters over the local cache: ``DetectionDataset``.

::

    from synapse.datasets import DetectionDataset

    ds = DetectionDataset(client.ground_truth_versions.get(1), cache_dir="~/.cache/synapse/ds")
    ds.download(workers=8)          # the only step that talks to the server
    image, target = ds[0]           # PIL image; {"boxes", "labels", ...} from the cache
    ds.labels                       # ["car", "person", ...]: target["labels"] index this list

Pillow (and numpy for ``masks=True``) come with the ``vision`` extra.
"""

from synapse.datasets.detection import DEFAULT_CACHE, DetectionDataset, DownloadReport, NotDownloadedError

__all__ = ["DEFAULT_CACHE", "DetectionDataset", "DownloadReport", "NotDownloadedError"]
