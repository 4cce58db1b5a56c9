"""Retries exactly as DESIGN.md says: which failures, how many times, how long to wait."""

from __future__ import annotations

import email.utils
import io
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import requests_mock as rm
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from synapse.config import Config, RetryPolicy
from synapse.errors import RateLimited, ServerError, TransportError
from synapse.http.retries import RetryPlan, parse_retry_after
from synapse.transport import RequestEvent, Transport
from tests.conftest import FakeClock

from .conftest import BASE

URL = BASE + "things/"


def refused() -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api/things/", reason))  # type: ignore[arg-type]


def read_timeout() -> requests.exceptions.ReadTimeout:
    return requests.exceptions.ReadTimeout(ReadTimeoutError(None, "/api/things/", "Read timed out."))  # type: ignore[arg-type]


def reset_after_send() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))
    )


def ok() -> dict[str, Any]:
    return {"json": {"ok": True}, "status_code": 200}


def status(code: int, **headers: str) -> dict[str, Any]:
    return {"json": {"detail": "busy"}, "status_code": code, "headers": headers}


# --- the decision table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "statuses", "after_send"),
    [
        ("GET", {429, 502, 503, 504}, True),
        ("HEAD", {429, 502, 503, 504}, True),
        ("PUT", {429, 502, 503, 504}, True),
        ("DELETE", {429, 502, 503, 504}, True),
        ("OPTIONS", {429, 502, 503, 504}, True),
        ("POST", {429, 503}, False),
        ("PATCH", {429, 503}, False),
    ],
)
def test_retry_plan_per_method(method: str, statuses: set[int], after_send: bool) -> None:
    plan = RetryPlan.for_request(method, RetryPolicy(), replayable=True)
    assert plan.statuses == statuses
    assert plan.after_send_errors is after_send
    assert plan.before_send_errors is True


def test_a_streamed_body_is_only_resent_when_never_sent() -> None:
    plan = RetryPlan.for_request("PUT", RetryPolicy(), replayable=False)
    assert (plan.statuses, plan.after_send_errors, plan.before_send_errors) == (frozenset(), False, True)


@pytest.mark.parametrize(
    ("attempt", "elapsed", "retry_after", "expected"),
    [
        (1, 0.0, 2.0, 2.0),  # the server's Retry-After is waited for as given
        (3, 0.0, 2.0, 2.0),  # the last retry the policy allows
        (4, 0.0, 2.0, None),  # retries spent
        (1, 0.0, 61.0, None),  # longer than retry_after_max: reported, not waited for
        (1, 58.0, 2.0, None),  # the wait would reach the total budget
        (1, 57.9, 2.0, 2.0),  # ... and one that ends just inside it
    ],
)
def test_the_wait_before_the_next_attempt(
    attempt: int, elapsed: float, retry_after: float | None, expected: float | None
) -> None:
    policy = RetryPolicy(max_retries=3, retry_after_max=60.0, total_timeout=60.0)
    plan = RetryPlan.for_request("GET", policy, replayable=True)
    assert plan.wait(attempt, elapsed, retry_after, random.Random(1)) == expected


def test_without_retry_after_the_wait_is_the_jittered_backoff() -> None:
    plan = RetryPlan.for_request("GET", RetryPolicy(max_retries=5, backoff_factor=0.5), replayable=True)
    waits = [plan.wait(3, 0.0, None, random.Random(seed)) for seed in range(50)]
    assert waits == [plan.backoff(3, random.Random(seed)) for seed in range(50)]
    assert all(w is not None and 0 <= w <= 0.5 * 2**2 for w in waits) and len(set(waits)) > 1


def test_no_policy_or_zero_retries_sends_once() -> None:
    for policy in (None, RetryPolicy(max_retries=0)):
        plan = RetryPlan.for_request("GET", policy, replayable=True)
        assert not plan.statuses and not plan.after_send_errors and not plan.before_send_errors


def test_backoff_is_full_jitter_below_an_exponential_ceiling() -> None:
    plan = RetryPlan.for_request("GET", RetryPolicy(backoff_factor=0.5, backoff_max=3.0), replayable=True)
    rng = random.Random(7)
    for retry, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (10, 3.0), (500, 3.0)]:
        waits = [plan.backoff(retry, rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8 and min(waits) < ceiling * 0.2  # spread over the whole range


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-1", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=0.0) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 42, usegmt=True), now) == 42.0
    assert parse_retry_after(email.utils.formatdate(now - 42, usegmt=True), now) == 0.0


# --- attempts through the transport ---------------------------------------------------


def methods_and_paths(m: rm.Mocker) -> list[str]:
    return [f"{r.method} {r.path}" for r in m.request_history]


def test_get_on_503_is_retried_until_it_succeeds(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, [status(503), status(503), ok()])
    assert make_transport().get("things/") == {"ok": True}
    assert methods_and_paths(requests_mock) == ["GET /api/things/"] * 3
    assert len(clock.sleeps) == 2


def test_post_on_503_is_retried_too(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.post(URL, [status(503), ok()])
    assert make_transport().post("things/", json={"a": 1}) == {"ok": True}
    assert [r.json() for r in requests_mock.request_history] == [{"a": 1}, {"a": 1}]


@pytest.mark.parametrize("code", [502, 504])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_and_patch_are_not_retried_on_502_504(
    method: str,
    code: int,
    make_transport: Callable[..., Transport],
    requests_mock: rm.Mocker,
    clock: FakeClock,
) -> None:
    requests_mock.register_uri(method, URL, [status(code), ok()])
    with pytest.raises(ServerError):
        make_transport().request(method, "things/", json={})
    assert requests_mock.call_count == 1 and clock.sleeps == []


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "HEAD"])
@pytest.mark.parametrize("code", [429, 502, 503, 504])
def test_idempotent_methods_retry_each_retryable_status(
    method: str, code: int, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.register_uri(method, URL, [status(code), {"status_code": 204}])
    assert make_transport().request(method, "things/") is None
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 500, 501])
def test_other_statuses_are_never_retried(
    code: int, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, [status(code), ok()])
    with pytest.raises(Exception):  # noqa: B017 - the class is checked in test_errors
        make_transport().get("things/")
    assert requests_mock.call_count == 1


def test_retries_stop_at_max_retries_and_raise_the_last_answer(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, status_code=503, json={"detail": "down"})
    with pytest.raises(ServerError, match="down"):
        make_transport(retries=3).get("things/")
    assert requests_mock.call_count == 4 and len(clock.sleeps) == 3


def test_retry_false_sends_once(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, [status(503), ok()])
    with pytest.raises(ServerError):
        make_transport().get("things/", retry=False)
    assert requests_mock.call_count == 1


def test_per_call_policy_overrides_the_clients(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, status_code=503)
    with pytest.raises(ServerError):
        make_transport(retries=0).get("things/", retry=RetryPolicy(max_retries=2))
    assert requests_mock.call_count == 3


# --- Retry-After ------------------------------------------------------------------------


def test_429_waits_what_retry_after_says(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, [status(429, **{"Retry-After": "4"}), status(429, **{"Retry-After": "2"}), ok()])
    assert make_transport().get("things/") == {"ok": True}
    assert clock.sleeps == [4.0, 2.0]


def test_429_with_an_http_date(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    requests_mock.get(URL, [status(429, **{"Retry-After": when}), ok()])
    make_transport().get("things/")
    assert len(clock.sleeps) == 1 and 8.0 <= clock.sleeps[0] <= 10.0


def test_429_without_retry_after_backs_off_with_jitter(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, [status(429), status(429), status(429), ok()])
    make_transport(retries=RetryPolicy(backoff_factor=1.0)).get("things/")
    ceilings = [1.0, 2.0, 4.0]
    assert len(clock.sleeps) == 3
    assert all(0 <= w <= c for w, c in zip(clock.sleeps, ceilings, strict=True))


def test_retry_after_over_the_cap_is_not_waited_for(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, [status(429, **{"Retry-After": "120"}), ok()])
    with pytest.raises(RateLimited) as info:
        make_transport(retries=RetryPolicy(retry_after_max=60)).get("things/")
    assert info.value.retry_after == 120.0
    assert clock.sleeps == [] and requests_mock.call_count == 1


def test_503_retry_after_over_the_cap_raises_server_error_with_it(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.post(URL, [status(503, **{"Retry-After": "3600"}), ok()])
    with pytest.raises(ServerError) as info:
        make_transport().post("things/", json={})
    assert info.value.retry_after == 3600.0 and clock.sleeps == []


def test_total_budget_stops_retrying(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, clock: FakeClock
) -> None:
    requests_mock.get(URL, status_code=429, headers={"Retry-After": "4"})
    with pytest.raises(RateLimited):
        make_transport(retries=RetryPolicy(max_retries=10, total_timeout=10)).get("things/")
    assert clock.sleeps == [4.0, 4.0]  # a third wait would end past the 10 s budget
    assert requests_mock.call_count == 3


def test_attempt_timeouts_shrink_to_the_remaining_budget(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, [status(503, **{"Retry-After": "8"}), ok()])
    make_transport(retries=RetryPolicy(total_timeout=20)).get("things/")
    assert requests_mock.request_history[0].timeout == (5.0, 20.0)
    assert requests_mock.request_history[1].timeout == (5.0, 12.0)


# --- connection failures ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PUT"])
def test_connection_refused_is_retried_for_every_method(
    method: str, make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.register_uri(method, URL, [{"exc": refused()}, {"exc": refused()}, ok()])
    assert make_transport().request(method, "things/", json={"x": 1}) == {"ok": True}
    assert requests_mock.call_count == 3


def test_connection_refused_error_says_not_sent(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.post(URL, exc=refused())
    with pytest.raises(TransportError) as info:
        make_transport(retries=2).post("things/", json={})
    err = info.value
    assert err.may_have_reached_server is False
    assert (err.method, err.path) == ("POST", "/api/things/")
    assert "could not connect" in str(err) and "not sent" in str(err) and "attempt 3" in str(err)
    assert requests_mock.call_count == 3


@pytest.mark.parametrize("failure", [read_timeout, reset_after_send])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_post_is_not_resent_after_the_body_was_sent(
    method: str,
    failure: Callable[[], Exception],
    make_transport: Callable[..., Transport],
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.register_uri(method, URL, [{"exc": failure()}, ok()])
    with pytest.raises(TransportError) as info:
        make_transport().request(method, "things/", json={"x": 1})
    assert info.value.may_have_reached_server is True
    assert requests_mock.call_count == 1


@pytest.mark.parametrize("failure", [read_timeout, reset_after_send])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_idempotent_methods_are_resent_after_a_lost_answer(
    method: str,
    failure: Callable[[], Exception],
    make_transport: Callable[..., Transport],
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.register_uri(method, URL, [{"exc": failure()}, ok()])
    assert make_transport().request(method, "things/") == {"ok": True}
    assert requests_mock.call_count == 2


def test_read_timeout_names_the_timeout(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.post(URL, exc=read_timeout())
    with pytest.raises(TransportError) as info:
        make_transport(timeout=(2, 17)).post("things/", json={})
    assert info.value.timeout == 17.0
    assert "17 s (read timeout)" in str(info.value) and "may have reached the server" in str(info.value)


def test_connect_timeout_names_the_timeout(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.post(URL, exc=requests.exceptions.ConnectTimeout())
    with pytest.raises(TransportError) as info:
        make_transport(retries=0).post("things/", json={}, timeout=(1.5, 9))
    assert info.value.may_have_reached_server is False and info.value.timeout == 1.5
    assert "1.5 s (connect timeout)" in str(info.value)


def test_a_certificate_error_is_not_retried(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.get(URL, exc=requests.exceptions.SSLError("certificate verify failed"))
    with pytest.raises(TransportError):
        make_transport().get("things/")
    assert requests_mock.call_count == 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_connection_refused_on_loopback(clock: FakeClock) -> None:
    port = closed_port()
    config = Config.resolve(base_url=f"http://127.0.0.1:{port}/", api_token="t-abcdef", retries=1, env={})
    transport = Transport(config, sleep=clock.sleep, clock=clock)
    with pytest.raises(TransportError) as info:
        transport.post("things/", json={"a": 1})
    assert info.value.may_have_reached_server is False
    assert "ConnectionRefusedError" in str(info.value)
    assert len(clock.sleeps) == 1  # the POST was retried once: it never left


def test_real_read_timeout_after_send_on_loopback(loopback: Any, clock: FakeClock) -> None:
    server = loopback()

    def stall(handler: Any) -> None:
        time.sleep(0.5)

    server.routes["/slow/"] = stall
    config = Config.resolve(base_url=server.url, api_token="t-abcdef", timeout=(2, 0.1), env={})
    transport = Transport(config, sleep=clock.sleep, clock=clock)
    with pytest.raises(TransportError) as info:
        transport.post("slow/", json={"a": 1})
    assert info.value.may_have_reached_server is True and info.value.timeout == 0.1
    assert [r["method"] for r in server.received] == ["POST"]


# --- bodies ---------------------------------------------------------------------------------


def test_a_streamed_body_is_not_resent_after_it_was_sent(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"abc"

    requests_mock.put(URL, [status(503), ok()])
    with pytest.raises(ServerError):
        make_transport().put("things/", data=chunks())
    assert requests_mock.call_count == 1


def test_a_streamed_body_is_resent_after_a_failed_connect(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.put(URL, [{"exc": refused()}, ok()])
    assert make_transport().put("things/", data=iter([b"abc"])) == {"ok": True}
    assert requests_mock.call_count == 2


def test_a_seekable_file_is_rewound_before_a_retry(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    seen: list[bytes] = []

    def answer(request: Any, context: Any) -> dict[str, bool]:
        seen.append(request.body.read())
        context.status_code = 503 if len(seen) == 1 else 200
        return {"ok": True}

    requests_mock.put(URL, json=answer)
    source = io.BytesIO(b"0123456789")
    source.seek(2)
    make_transport().put("things/", data=source)
    assert seen == [b"23456789", b"23456789"]


def test_a_multipart_file_is_sent_whole_on_each_attempt(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker
) -> None:
    requests_mock.post(URL, [status(503), ok()])
    make_transport().post("things/", files={"file": ("a.bin", io.BytesIO(b"payload-bytes"))})
    bodies = [r.body for r in requests_mock.request_history]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and b"payload-bytes" in bodies[1]


# --- logging and hooks ------------------------------------------------------------------------


def test_each_retry_is_logged_at_info_with_attempt_and_wait(
    make_transport: Callable[..., Transport], requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture
) -> None:
    requests_mock.get(URL, [status(503, **{"Retry-After": "2"}), status(429, **{"Retry-After": "1"}), ok()])
    with caplog.at_level(logging.INFO, logger="synapse"):
        make_transport(retries=5).get("things/")
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == [
        "retrying GET /api/things/ after 503 Service Unavailable: attempt 2 of 6 in 2.00 s",
        "retrying GET /api/things/ after 429 Too Many Requests: attempt 3 of 6 in 1.00 s",
    ]


def test_hooks_see_every_attempt(make_transport: Callable[..., Transport], requests_mock: rm.Mocker) -> None:
    requests_mock.get(URL, [{"exc": refused()}, status(503), ok()])
    events: list[RequestEvent] = []
    transport = make_transport()
    transport.add_hook(events.append)
    transport.get("things/")
    assert [(e.attempt, e.status) for e in events] == [(1, None), (2, 503), (3, 200)]
    assert isinstance(events[0].error, TransportError) and events[2].error is None
    assert all(e.method == "GET" and e.path == "/api/things/" for e in events)
