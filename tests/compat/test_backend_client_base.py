"""BackendClient's constructor, errors, ``list_all`` streaming, ``exists`` and ``url_conversion``."""

from __future__ import annotations

import gc
import hashlib
import inspect
from pathlib import Path
from typing import Any

import pytest

import synapse.errors
from synapse.clients import exceptions
from synapse.clients.backend import (
    AnnotationClientMixin,
    BackendClient,
    CoreClientMixin,
    DataCollectionClientMixin,
    HITLClientMixin,
    IntegrationClientMixin,
    MLClientMixin,
)
from synapse.errors import ConfigurationError, NotFound, PermissionDenied, RateLimited, ValidationError
from synapse.resources.tasks import Task


# ---- surface and construction ----
def test_backend_client_is_composed_of_the_six_mixins() -> None:
    for mixin in (
        AnnotationClientMixin,
        CoreClientMixin,
        DataCollectionClientMixin,
        HITLClientMixin,
        IntegrationClientMixin,
        MLClientMixin,
    ):
        assert issubclass(BackendClient, mixin)


def test_client_error_is_the_same_class_with_the_older_aliases() -> None:
    assert exceptions.ClientError is synapse.errors.ClientError
    err = exceptions.ClientError(404, "Not found.")
    assert (err.status_code, err.status, err.detail, err.reason) == (404, 404, "Not found.", "Not found.")
    with pytest.raises(AttributeError):
        err.status = 500  # type: ignore[misc]


def test_access_token_is_an_alias_of_api_token(emu: Any) -> None:
    with BackendClient(emu.url, access_token=emu.token) as client:
        assert client.get_project(1)["id"] == 1
    assert "Synapse-Access-Token" in emu.requests[-1].headers
    with pytest.raises(TypeError):
        BackendClient(emu.url, "one", access_token="two")


def test_without_a_token_the_environment_is_read(emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNAPSE_API_TOKEN", emu.token)
    monkeypatch.setenv("SYNAPSE_AGENT_TOKEN", emu.agent_token)
    with BackendClient(emu.url) as client:
        client.get_project(1)
    headers = emu.requests[-1].headers
    assert "Synapse-Access-Token" in headers and "Synapse-Agent" in headers


def test_no_credential_at_all_is_a_configuration_error(emu: Any) -> None:
    with pytest.raises(ConfigurationError):
        BackendClient(emu.url)


def test_token_is_the_user_token_and_agent_token_alone_authenticates(emu: Any) -> None:
    with BackendClient(emu.url, token=emu.token, tenant="acme") as client:
        client.get_project(1)
    assert {"Authorization", "Synapse-Tenant"} <= set(emu.requests[-1].headers)
    with BackendClient(emu.url, agent_token=emu.agent_token) as agent:
        assert agent.list_jobs()["count"] == 1
    assert set(emu.requests[-1].headers) & {"Synapse-Access-Token", "Authorization"} == set()


def test_timeout_takes_the_original_dict(emu: Any) -> None:
    client = BackendClient(emu.url, emu.token, timeout={"connect": 2, "read": 7})
    assert client.client.config.timeout == (2.0, 7.0)
    assert BackendClient(emu.url, emu.token, timeout=3).client.config.timeout == (3.0, 3.0)
    with pytest.raises(TypeError):
        BackendClient(emu.url, emu.token, timeout={"total": 3})


def test_repr_never_shows_the_token(emu: Any) -> None:
    client = BackendClient(emu.url, "very-secret-token-123")
    assert "very-secret-token-123" not in repr(client)
    assert emu.url in repr(client)


def test_close_and_context_manager(backend: BackendClient, emu: Any) -> None:
    backend.close()
    assert backend.get_project(2)["title"] == "Sign review"  # reconnects when used again
    with backend as same:
        assert same is backend


# ---- errors ----
def test_404_is_a_client_error_with_status_code(backend: BackendClient) -> None:
    with pytest.raises(exceptions.ClientError) as info:
        backend.get_project(999)
    assert info.value.status_code == 404 and info.value.status == 404
    assert isinstance(info.value, NotFound)


def test_403_for_a_token_limited_to_another_project(emu: Any) -> None:
    with BackendClient(emu.url, "viewer-token") as viewer:
        assert viewer.get_project(2)["id"] == 2
        with pytest.raises(exceptions.ClientError) as info:
            viewer.get_project(1)
        assert info.value.status_code == 403 and isinstance(info.value, PermissionDenied)
        assert viewer.list_tasks()["count"] == 12  # lists show only the token's projects


def test_400_carries_the_field_detail(backend: BackendClient, sent: Any) -> None:
    unit = {"data_collection": 1, "files": {"image": {"checksum": "0" * 32, "path": "x.png"}}}
    with pytest.raises(exceptions.ClientError) as info:
        backend.create_data_units([unit])
    err = info.value
    assert err.status_code == 400 and isinstance(err, ValidationError)
    assert err.errors and any("files" in field for field in err.errors)
    assert len(sent("POST", "/data_units/")) == 1


def test_429_with_a_long_retry_after_is_raised_not_waited(backend: BackendClient, emu: Any) -> None:
    emu.faults.fail("projects/*", status=429, retry_after=3600, times=1)
    with pytest.raises(exceptions.ClientError) as info:
        backend.get_project(1)
    assert info.value.status_code == 429 and isinstance(info.value, RateLimited)
    assert info.value.retry_after == 3600


def test_429_from_the_rate_limiter(backend: BackendClient, emu: Any) -> None:
    emu.faults.rate_limit(rate=0.001, burst=1, retry_after=3600)
    backend.get_project(1)
    with pytest.raises(RateLimited) as info:
        backend.get_project(2)
    assert info.value.status_code == 429


# ---- listing ----
def test_list_returns_the_first_page_envelope(backend: BackendClient, sent: Any) -> None:
    page = backend.list_tasks(params={"project": 1, "page": 2, "page_size": 50})
    assert isinstance(page, dict) and set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 320 and len(page["results"]) == 50 and page["results"][0]["id"] == 51
    assert "page=3" in page["next"] and page["previous"]
    (record,) = sent("GET", "/sdk/tasks/")
    assert record.query == {"project": "1", "page": "2", "page_size": "50"}


def test_list_all_streams_page_by_page(backend: BackendClient, sent: Any) -> None:
    rows, count = backend.list_tasks(params={"project": 1}, list_all=True)
    assert inspect.isgenerator(rows) and count == 320
    assert len(sent("GET", "/sdk/tasks/")) == 1  # the first page, at call time
    first = [next(rows) for _ in range(100)]
    assert len(sent("GET", "/sdk/tasks/")) == 1
    assert next(rows)["id"] == 101
    assert len(sent("GET", "/sdk/tasks/")) == 2
    rest = list(rows)
    assert [r["id"] for r in first] == list(range(1, 101)) and len(rest) == 219
    records = sent("GET", "/sdk/tasks/")
    assert len(records) == 4 and records[0].query == {"project": "1", "page_size": "100"}


def test_list_all_holds_one_page_at_a_time(emu: Any) -> None:
    client = BackendClient(emu.url, emu.token)
    rows, count = client.list_tasks(params={"page_size": 25}, list_all=True)
    live: list[int] = []
    for index, _row in enumerate(rows):
        if index % 40 == 39:
            gc.collect()
            live.append(sum(1 for obj in gc.get_objects() if type(obj) is dict and "status_review" in obj))
    assert count == 332 and index == 331
    # One page in hand (the in-process emulator may hold a few rows of its own): never the 332.
    assert 1 <= max(live) <= 2 * 25


def test_list_all_builds_no_objects(backend: BackendClient) -> None:
    rows, _ = backend.list_tasks(params={"project": 2}, list_all=True)
    first = next(rows)
    gc.collect()
    assert type(first) is dict and not any(type(obj) is Task for obj in gc.get_objects())
    assert sum(1 for _ in rows) == 11


def test_list_all_with_an_empty_list(backend: BackendClient) -> None:
    rows, count = backend.list_tasks(params={"project": 999}, list_all=True)
    assert count == 0 and list(rows) == []


def test_list_params_fields_and_expand(backend: BackendClient, sent: Any) -> None:
    page = backend.list_tasks(params={"project": 1, "fields": "id,status_label", "page_size": 2})
    assert set(page["results"][0]) == {"id", "status_label"}
    page = backend.list_tasks(params={"id__in": [3, 4], "expand": "data_unit"})
    assert [r["data_unit"]["id"] for r in page["results"]] == [3, 4]
    queries = [r.query for r in sent("GET", "/sdk/tasks/")]
    assert queries[0]["fields"] == "id,status_label"
    assert queries[1]["id__in"] == "3,4" and queries[1]["expand"] == "data_unit"


def test_bad_params_fail_before_any_request(backend: BackendClient, sent: Any) -> None:
    with pytest.raises(ValueError):
        backend.list_tasks(params={"page": 0})
    with pytest.raises(TypeError):
        backend.list_tasks(params="project=1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        backend.list_tasks(params={"pagination": "cursor"})
    assert sent() == []


# ---- exists ----
def test_exists_calls_a_getter_or_a_list(backend: BackendClient) -> None:
    assert backend.exists("get_project", 1) is True
    assert backend.exists("get_project", 999) is False
    assert backend.exists("list_tasks", {"project": 1}) is True
    assert backend.exists("list_tasks", params={"project": 999}) is False
    assert backend.exists("list_tasks", {"project": 1}, list_all=True) is True
    with pytest.raises(AttributeError):
        backend.exists("no_such_method")
    with pytest.raises(exceptions.ClientError):
        BackendClient(backend.base_url, "viewer-token").exists("get_project", 1)  # 403 is not "no"


# ---- url_conversion ----
def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_url_conversion_downloads_files_and_puts_paths(
    backend: BackendClient, sent: Any, tmp_path: Path
) -> None:
    page = backend.list_data_units(
        params={"page_size": 2}, url_conversion={"files_fields": ["files"], "is_list": True}
    )
    files = page["results"][0]["files"]
    assert set(files) == {"image", "metadata"}
    for entry in files.values():
        assert "url" not in entry and isinstance(entry["path"], Path)
        assert entry["path"].parent == tmp_path / "cache" / "media"
        assert _md5(entry["path"]) == entry["checksum"]
    assert len(sent("GET", "/media/*")) == 4
    backend.list_data_units(params={"page_size": 2}, url_conversion={"files_fields": ["files"]})
    assert len(sent("GET", "/media/*")) == 4  # cached: downloaded once


def test_default_conversion_applies_to_list_all_only(backend: BackendClient, sent: Any) -> None:
    page = backend.list_data_units(params={"page_size": 3})
    assert all("url" in e for e in page["results"][0]["files"].values()) and not sent("GET", "/media/*")
    rows, _ = backend.list_data_units(params={"page_size": 3, "id__in": [1, 2, 3]}, list_all=True)
    assert all("path" in e for row in rows for e in row["files"].values())
    assert len(sent("GET", "/media/*")) == 6
    rows, _ = backend.list_data_units(
        params={"id__in": [4]}, url_conversion={"files_fields": []}, list_all=True
    )
    assert "url" in next(rows)["files"]["image"] and len(sent("GET", "/media/*")) == 6


def test_url_conversion_of_a_nested_field_and_coerce(backend: BackendClient) -> None:
    conversion = {"files_fields": ["data_unit.files", "no.such.field"], "coerce": str}
    page = backend.list_tasks(params={"id": 5, "expand": "data_unit"}, url_conversion=conversion)
    image = page["results"][0]["data_unit"]["files"]["image"]
    assert isinstance(image["path"], str) and Path(image["path"]).is_file()


def test_url_conversion_of_a_string_field(backend: BackendClient, emu: Any) -> None:
    model = backend.get_model(1)
    assert isinstance(model["file"], Path) and model["file"].read_bytes() == b"EMULATED-WEIGHTS\x00" * 4
    assert backend.get_model(1, url_conversion={"files_fields": []})["file"].startswith(emu.url)


def test_bad_url_conversion_is_refused(backend: BackendClient) -> None:
    with pytest.raises(TypeError):
        backend.list_tasks(url_conversion={"files_fields": "files"})
    with pytest.raises(TypeError):
        backend.list_tasks(url_conversion=["files"])  # type: ignore[arg-type]
