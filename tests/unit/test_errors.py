"""Error answers become typed errors with the server's detail; bodies decode by content type."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import pytest
import requests_mock as rm

import synapse.clients.exceptions
import synapse.errors
from synapse.errors import (
    AuthenticationError,
    ClientError,
    Conflict,
    Gone,
    MethodNotAllowed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ValidationError,
)
from synapse.http.responses import decode_body, parse_error_body
from synapse.transport import Transport

from .conftest import BASE, TOKEN

URL = BASE + "projects/1/"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDenied),
        (404, NotFound),
        (405, MethodNotAllowed),
        (409, Conflict),
        (410, Gone),
        (418, ClientError),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
def test_each_status_maps_to_its_class(
    status: int, cls: type[ClientError], make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=status, json={"detail": "Nope."})
    with pytest.raises(cls) as info:
        make_transport().get("projects/1/", retry=False)
    err = info.value
    assert type(err) is cls
    assert (err.status_code, err.detail, err.method, err.path) == (status, "Nope.", "GET", "/api/projects/1/")
    where = " (credentials: api token from argument)" if status == 401 else ""  # never the token itself
    assert str(err) == f"{status} on GET /api/projects/1/: Nope.{where}"


def test_detail_body(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, status_code=404, json={"detail": "Not found."})
    with pytest.raises(NotFound) as info:
        make_transport().get("projects/1/")
    assert info.value.detail == "Not found." and info.value.errors == {}
    assert info.value.body == {"detail": "Not found."}


def test_field_errors_become_errors_and_a_readable_detail(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    body = {"title": ["This field is required."], "non_field_errors": ["Bad combination."]}
    requests_mock.post(BASE + "projects/", status_code=400, json=body)
    with pytest.raises(ValidationError) as info:
        make_transport().post("projects/", json={})
    err = info.value
    assert err.errors == body
    assert err.detail == "Bad combination.; title: This field is required."
    assert err.method == "POST"


def test_list_create_errors_name_the_item_index() -> None:
    body = [{}, {"files": {"image": ["Unknown checksum."]}, "data_collection": ["Required."]}]
    detail, errors = parse_error_body(body)
    assert errors == {"1.files.image": ["Unknown checksum."], "1.data_collection": ["Required."]}
    assert detail == "1.files.image: Unknown checksum.; 1.data_collection: Required."


def test_a_list_of_messages() -> None:
    detail, errors = parse_error_body(["First.", "Second."])
    assert errors == {"non_field_errors": ["First.", "Second."]}
    assert detail == "First.; Second."


def test_detail_with_extra_keys_keeps_the_body(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.put(
        BASE + "chunked_upload/", status_code=400, json={"detail": "Offsets do not match", "offset": 7}
    )
    with pytest.raises(ValidationError) as info:
        make_transport().put("chunked_upload/", data=b"x")
    assert info.value.detail == "Offsets do not match"
    assert info.value.body["offset"] == 7


def test_plain_text_body(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(
        URL, status_code=500, text="  Internal\n  Server Error ", headers={"Content-Type": "text/plain"}
    )
    with pytest.raises(ServerError) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.detail == "Internal Server Error"


PROXY_PAGE = """<html>
<head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center></body>
</html>"""


def test_a_proxy_html_page_becomes_a_server_error(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=502, text=PROXY_PAGE, headers={"Content-Type": "text/html"})
    with pytest.raises(ServerError) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.status_code == 502
    assert info.value.detail == "502 Bad Gateway"


def test_html_without_title_is_stripped_and_shortened() -> None:
    detail, _ = parse_error_body("<p>" + "word " * 200 + "</p>")
    assert detail.startswith("word word") and len(detail) <= 300 and "<p>" not in detail


@pytest.mark.parametrize("content_type", ["application/json", None])
def test_invalid_json_error_body_is_text_not_a_crash(
    content_type: str | None, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    requests_mock.get(URL, status_code=500, text='{"detail": "trunc', headers=headers)
    with pytest.raises(ServerError) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.detail == '{"detail": "trunc'


def test_empty_body_uses_the_reason_phrase(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=503, content=b"")
    with pytest.raises(ServerError) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.detail == "Service Unavailable"
    assert info.value.body is None


def test_json_body_labelled_as_text_is_still_parsed(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=403, text='{"detail": "No."}', headers={"Content-Type": "text/html"})
    with pytest.raises(PermissionDenied) as info:
        make_transport().get("projects/1/")
    assert info.value.detail == "No."


def test_hostile_deep_nesting_does_not_crash() -> None:
    deep = "[" * 5000 + "]" * 5000
    assert isinstance(decode_body(deep.encode(), "application/json", 400), str)
    nested: Any = ["msg"]
    for _ in range(100):
        nested = {"f": nested}
    detail, errors = parse_error_body(nested)
    assert list(errors.values()) == [["(nested too deep)"]]
    assert isinstance(detail, str)


def test_rate_limited_carries_retry_after(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=429, json={"detail": "Slow down."}, headers={"Retry-After": "7"})
    with pytest.raises(RateLimited) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.retry_after == 7.0


def test_server_error_carries_retry_after(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=503, json={"detail": "Maintenance."}, headers={"Retry-After": "120"})
    with pytest.raises(ServerError) as info:
        make_transport().get("projects/1/", retry=False)
    assert info.value.retry_after == 120.0


def test_an_echoed_token_is_redacted_from_the_detail(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=401, json={"detail": f"Invalid token {TOKEN}.", TOKEN: [TOKEN]})
    with pytest.raises(AuthenticationError) as info:
        make_transport().get("projects/1/")
    assert (
        TOKEN not in str(info.value) and TOKEN not in repr(info.value) and TOKEN not in str(info.value.errors)
    )


def test_errors_pickle_with_their_attributes() -> None:
    err = RateLimited(429, "Slow.", retry_after=3.0, errors={"a": ["b"]}, method="GET", path="/x/")
    clone = pickle.loads(pickle.dumps(err))
    assert (type(clone), clone.retry_after, clone.errors, str(clone)) == (
        RateLimited,
        3.0,
        {"a": ["b"]},
        str(err),
    )


def test_original_sdk_exception_module_holds_the_same_classes() -> None:
    assert synapse.clients.exceptions.ClientError is synapse.errors.ClientError
    err = NotFound(404, "gone")
    assert (err.status, err.reason) == (404, "gone")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "expected"),
    [
        (b"", "application/json", 200, None),
        (b'{"a": 1}', "application/json", 204, None),
        (b'{"a": 1}', "application/json; charset=utf-8", 200, {"a": 1}),
        (b"[1, 2]", None, 200, [1, 2]),
        (b"hello", "text/plain", 200, "hello"),
        ("caf\u00e9".encode("latin-1"), "text/plain; charset=latin-1", 200, "caf\u00e9"),
        (b"\xff\xfe bad", "text/plain", 200, "\ufffd\ufffd bad"),
        (b"not json", "application/json", 200, "not json"),
        (b"x", "text/plain; charset=no-such-codec", 200, "x"),
        (json.dumps({"n": 10**30}).encode(), "application/json", 200, {"n": 10**30}),
    ],
)
def test_decode_body(content: bytes, content_type: str | None, status: int, expected: Any) -> None:
    assert decode_body(content, content_type, status) == expected
