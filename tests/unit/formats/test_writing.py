"""The writers' plumbing: the reused JSON encoder gives ``json.dumps``'s text, file names never clash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, strategies as st

from synapse.formats import Item
from synapse.formats.writing import FileNames, json_encoder

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(value=_json)
def test_json_encoder_gives_the_text_of_json_dumps(value: Any) -> None:
    for sort_keys in (True, False):
        expected = json.dumps(value, sort_keys=sort_keys, ensure_ascii=False)
        assert json_encoder(sort_keys=sort_keys)(value) == expected


def test_json_encoder_calls_default_and_raises_as_json_dumps_does() -> None:
    encode = json_encoder(default=str)
    assert encode({"b": (1, 2), "a": frozenset({3})}) == '{"a": "frozenset({3})", "b": [1, 2]}'
    with pytest.raises(TypeError):
        json_encoder()({"x": object()})


def test_file_names_keep_the_first_and_prefix_the_next_case_insensitively() -> None:
    names = FileNames()
    first, second = Item(stem="a", unit_id=1), Item(stem="a", unit_id=2)
    assert names.claim("images", "Car.png", first) == "Car.png"
    assert names.claim("images", "car.PNG", second) == "2_car.PNG"
    assert names.claim("labels", "car.png", second) == "car.png"  # another folder: free
    # no unit, no image: a counter, past "2_car.PNG" (taken, case aside)
    assert names.claim("images", "car.png", Item(stem="a")) == "3_car.png"


def test_many_copies_of_one_name_are_numbered_in_order_and_quickly() -> None:
    names = FileNames()
    got = [names.claim("images", "unit_7.png", Item(stem="a", unit_id=7)) for _ in range(20_000)]
    assert got[:4] == ["unit_7.png", "7_unit_7.png", "2_unit_7.png", "3_unit_7.png"]
    # 7 is skipped: "7_unit_7.png" is the second copy's name
    assert got[-1] == "20000_unit_7.png" and len({n.casefold() for n in got}) == 20_000
    # A name taken on its own is skipped by the counter, case aside.
    assert names.claim("images", "20001_UNIT_7.png", Item(stem="b")) == "20001_UNIT_7.png"
    assert names.claim("images", "unit_7.png", Item(stem="c")) == "20002_unit_7.png"
