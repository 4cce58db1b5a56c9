"""Hostile input at every route: random paths, query strings and bodies.

Whatever arrives, the emulator never answers 5xx, and a 4xx answer leaves the database
exactly as it was (every write is one transaction, rolled back on error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st

from synapse.emulator import Emulator

FIELDS = [
    "project",
    "data_unit",
    "data",
    "meta",
    "title",
    "name",
    "code",
    "category",
    "description",
    "status",
    "status_label",
    "status_review",
    "is_discarded",
    "is_archived",
    "tags",
    "ids",
    "action",
    "agent",
    "params",
    "version",
    "config",
    "requirements",
    "debug",
    "files",
    "data_collection",
    "checksums",
    "chunked_upload",
    "md5",
    "provider",
    "configuration",
    "file_specifications",
    "plugin",
    "checkpoint",
    "progress_record",
    "metrics_record",
    "console_logs",
    "result",
    "settings",
    "groups",
]
PARAMS = [
    "page",
    "page_size",
    "pagination",
    "cursor",
    "ordering",
    "fields",
    "expand",
    "project",
    "id",
    "id__in",
    "id__gt",
    "id__lte",
    "status_label",
    "is_discarded",
    "tags",
    "assignments",
    "labelers",
    "reviewers",
    "created__gt",
    "created__lte",
    "data_collection",
    "plugin",
    "status",
    "agent",
    "category",
    "search",
    "with_configuration",
    "ground_truth_dataset_versions",
    "task",
    "schema",
    "users",
    "tasks",
    "is_confirmed",
]
SKIP = re.compile(r"tail_console_logs|^/media/")  # an endless stream for a frozen job; raw downloads

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["1", "2", "-1", "abc", "true", "2024-01-01", "yolo-detector", "train", "fail", "image"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6)
bodies = st.one_of(objects, st.lists(objects, max_size=3), json_values)
segment_values = st.one_of(
    st.integers(min_value=-5, max_value=400).map(str),
    st.sampled_from(
        [
            "1",
            "2",
            "yolo-detector",
            "yolo-detector@1.0.0",
            "00000000-0000-4000-8000-000000000001",
            "demo-agent-token",
            "99999999999999999999",
            "0",
        ]
    ),
    st.text(min_size=1, max_size=10),
)
param_values = st.one_of(
    st.sampled_from(
        [
            "1",
            "2",
            "1,2",
            "-id",
            "id,data",
            "data_unit",
            "true",
            "maybe",
            "cursor",
            "0",
            "-5",
            "2024-01-01T00:00:00Z",
            "99999999999999999999999",
            "",
            "%%",
            "abc",
        ]
    ),
    st.text(max_size=10),
)
queries = st.dictionaries(st.sampled_from(PARAMS) | st.text(min_size=1, max_size=6), param_values, max_size=4)


@pytest.fixture(scope="module")
def fuzz_emu() -> Iterator[Emulator]:
    with Emulator(seed="demo", auto_jobs=False) as emu:  # frozen jobs: nothing changes on its own
        emu.requests.enabled = False
        yield emu


def _routes(emu: Emulator) -> list[tuple[str, str]]:
    out = []
    for route in emu.app.routes:
        if SKIP.search(route.rule):
            continue
        out.extend((method, route.rule) for method in route.handlers)
    return out


def _fill(rule: str, values: list[str]) -> str:
    parts = iter(values)
    return re.sub(r"<[^>]+>", lambda _m: quote(next(parts), safe="@"), rule)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_requests_never_get_5xx_and_4xx_changes_nothing(
    fuzz_emu: Emulator, data: st.DataObject
) -> None:
    method, rule = data.draw(st.sampled_from(_routes(fuzz_emu)), label="route")
    if data.draw(st.booleans(), label="any method"):
        method = data.draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]))
    path = _fill(rule, [data.draw(segment_values, label="segment") for _ in range(rule.count("<"))])
    query = data.draw(queries, label="query")
    headers = {"Synapse-Access-Token": "Token dev-token"}
    kind = data.draw(st.sampled_from(["json", "json", "json", "raw", "multipart", "none"]), label="body kind")
    kwargs: dict[str, Any] = {}
    if kind == "json":
        kwargs["data"] = json.dumps(data.draw(bodies, label="body")).encode()
        headers["Content-Type"] = "application/json"
    elif kind == "raw":
        kwargs["data"] = data.draw(st.binary(max_size=64), label="raw body")
        headers["Content-Type"] = data.draw(
            st.sampled_from(
                [
                    "application/json",
                    "text/plain",
                    "multipart/form-data",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                ]
            ),
            label="content type",
        )
    elif kind == "multipart":
        fields = data.draw(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=10), max_size=4))
        part = data.draw(st.sampled_from(["file", "other"]))
        kwargs["files"] = {part: ("f.bin", data.draw(st.binary(max_size=64)))}
        kwargs["data"] = fields
        if data.draw(st.booleans()):
            headers["Content-Range"] = data.draw(
                st.sampled_from(
                    ["bytes 0-9/10", "bytes */0", "bytes 5-1/3", "nonsense", "bytes 0-99999999999999999999/1"]
                )
            )
    before = fuzz_emu.db.fingerprint()
    url = fuzz_emu.url + path.lstrip("/") + ("?" + urlencode(query) if query else "")
    response = requests.request(method, url, headers=headers, timeout=30, **kwargs)
    assert response.status_code < 500, (method, url, response.text)
    if 400 <= response.status_code < 500:
        assert fuzz_emu.db.fingerprint() == before, (method, url, response.status_code, response.text)
        if method != "HEAD":
            assert isinstance(response.json(), (dict, list))
