"""``Document.from_dm(raw, copy=...)``: handing a dict over reads the same document; the default isolates."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings

import synapse.annotations as ann

from .strategies import v1_documents
from .test_dm_v1 import EXAMPLE


@settings(max_examples=100, deadline=None)
@given(v1_documents())
def test_a_handed_over_dict_reads_as_an_equal_document_and_round_trips(raw: dict[str, Any]) -> None:
    owned = copy.deepcopy(raw)
    handed = ann.Document.from_dm(owned, copy=False)
    assert handed == ann.Document.from_dm(raw)
    assert handed.to_dm(1) == raw
    assert owned == raw  # reading does not change the dict handed over


def test_the_default_isolates_the_document_from_later_changes_to_the_callers_dict() -> None:
    raw = copy.deepcopy(EXAMPLE)
    doc = ann.Document.from_dm(raw)
    before = doc.objects("image_1")
    raw["annotationsData"]["image_1"][0]["coordinate"]["x"] = -1.0
    raw["annotations"]["image_1"][0]["classification"]["loaded"] = False
    raw["extra"]["image_1"]["width"] = 1
    raw["annotations"]["image_1"].clear()
    assert doc.objects("image_1") == before and doc.size("image_1") == (640, 480)
    assert doc.to_dm(1) == EXAMPLE


def test_copy_false_shares_the_rows_with_the_dict_handed_over() -> None:
    raw = copy.deepcopy(EXAMPLE)
    doc = ann.Document.from_dm(raw, copy=False)
    assert doc.to_dm(1) == EXAMPLE
    assert doc.to_dm(1) is not raw  # what is written is still a fresh dict
    raw["extra"]["image_1"]["width"] = 1  # the caller broke its promise: the document sees it
    assert doc.size("image_1") == (1, 480)
