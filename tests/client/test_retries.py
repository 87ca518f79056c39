"""Retries, backoff, Retry-After, deadlines, timeouts and error mapping, over MockTransport."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from persons_client import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestOptions,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
)
from persons_client.models import PersonBulkDeleteRequest, PersonUpdateRequest

from .conftest import FakeServer, error_body, json_response

MakeClient = Callable[..., Client]
DELETED = {
    "persons_found": 1,
    "persons_deleted": 1,
    "deletion_errors": [],
    "events_queued_for_deletion": False,
    "recordings_queued_for_deletion": False,
}


def sequence(
    *responses: httpx.Response | Exception,
) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering with `responses` in turn, then 200 with an empty page."""
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if not queue:
            return json_response(200, {"results": [], "next": None, "previous": None})
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    handle.seen = seen  # type: ignore[attr-defined]
    return handle


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(
    make_client: MakeClient, status: int, sleeps: list[float]
) -> None:
    handler = sequence(json_response(status, {}), json_response(status, {}))
    page = make_client(handler).persons_list(project_id="1")
    assert page.results == []
    assert len(handler.seen) == 3  # type: ignore[attr-defined]
    assert len(sleeps) == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
def test_other_statuses_are_not_retried(make_client: MakeClient, status: int) -> None:
    handler = sequence(json_response(status, error_body("invalid_request", "x", "no")))
    with pytest.raises(ApiStatusError):
        make_client(handler).persons_list(project_id="1")
    assert len(handler.seen) == 1  # type: ignore[attr-defined]


def test_backoff_is_exponential_with_jitter(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    handler = sequence(*[json_response(503, {}) for _ in range(4)])
    policy = RetryPolicy(max_retries=4, initial_delay=1.0, max_delay=5.0)
    make_client(handler, retry=policy).persons_list(project_id="1")
    ceilings = [1.0, 2.0, 4.0, 5.0]
    assert len(sleeps) == 4
    for slept, ceiling in zip(sleeps, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling


def test_retries_exhausted_raise_the_last_error(make_client: MakeClient) -> None:
    handler = sequence(
        *[
            json_response(503, error_body("server_error", "error", "down"))
            for _ in range(3)
        ]
    )
    with pytest.raises(ServerError) as caught:
        make_client(handler, max_retries=2).persons_list(project_id="1")
    assert caught.value.status_code == 503
    assert caught.value.body.detail == "down"
    assert len(handler.seen) == 3  # type: ignore[attr-defined]


def test_max_retries_zero_and_per_call(make_client: MakeClient) -> None:
    handler = sequence(*[json_response(503, {}) for _ in range(10)])
    client = make_client(handler, max_retries=0)
    with pytest.raises(ServerError):
        client.persons_list(project_id="1")
    assert len(handler.seen) == 1  # type: ignore[attr-defined]
    with pytest.raises(ServerError):
        client.persons_list(project_id="1", options=RequestOptions(max_retries=3))
    assert len(handler.seen) == 5  # type: ignore[attr-defined]
    with pytest.raises(ServerError):
        client.with_options(max_retries=1).persons_list(project_id="1")
    assert len(handler.seen) == 7  # type: ignore[attr-defined]


def test_retry_after_seconds(make_client: MakeClient, sleeps: list[float]) -> None:
    handler = sequence(
        json_response(
            429,
            error_body("throttled_error", "throttled", "slow down"),
            **{"Retry-After": "7"},
        )
    )
    make_client(handler).persons_list(project_id="1")
    assert sleeps == [7.0]


def test_retry_after_http_date(make_client: MakeClient, sleeps: list[float]) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    header = email.utils.format_datetime(when, usegmt=True)
    handler = sequence(json_response(503, {}, **{"Retry-After": header}))
    make_client(handler).persons_list(project_id="1")
    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 30


def test_retry_after_in_the_past_or_garbage(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    past = email.utils.format_datetime(
        datetime.now(UTC) - timedelta(hours=1), usegmt=True
    )
    handler = sequence(
        json_response(429, {}, **{"Retry-After": past}),
        json_response(429, {}, **{"Retry-After": "soon"}),
    )
    make_client(handler).persons_list(project_id="1")
    assert sleeps[0] == 0.0
    assert 0 < sleeps[1] <= 1.0  # garbage: ordinary backoff


def test_retry_after_too_long_raises_at_once(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    handler = sequence(
        json_response(
            429,
            error_body(
                "throttled_error",
                "throttled",
                "Request was throttled. Expected available in 3600 seconds.",
            ),
            **{"Retry-After": "3600"},
        )
    )
    with pytest.raises(RateLimitError) as caught:
        make_client(handler).persons_list(project_id="1")
    assert caught.value.retry_after == 3600
    assert caught.value.body.code == "throttled"
    assert sleeps == []


def test_non_idempotent_methods_are_not_retried_by_default(
    make_client: MakeClient,
) -> None:
    handler = sequence(json_response(503, {}), json_response(202, DELETED))
    body = PersonBulkDeleteRequest(ids=["a"])
    with pytest.raises(ServerError):
        make_client(handler).persons_bulk_delete_create(project_id="1", body=body)
    assert len(handler.seen) == 1  # type: ignore[attr-defined]
    handler = sequence(json_response(503, {}), json_response(202, DELETED))
    client = make_client(handler, retry=RetryPolicy(retry_non_idempotent=True))
    client.persons_bulk_delete_create(project_id="1", body=body)
    assert len(handler.seen) == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["persons_partial_update", "persons_update"])
def test_only_idempotent_methods_are_retried_after_a_5xx(
    make_client: MakeClient, method: str
) -> None:
    # The README: 5xx are retried "for idempotent methods only". PATCH is not
    # one (RFC 9110): a PATCH answered 503 may have been applied, and is sent
    # once; PUT is, and is retried.
    handler = sequence(json_response(503, {}), json_response(202, {}))
    call = getattr(make_client(handler), method)
    body = PersonUpdateRequest(properties={"plan": "pro"})
    if method == "persons_partial_update":
        with pytest.raises(ServerError):
            call(project_id="1", id="7", body=body)
        assert [r.method for r in handler.seen] == ["PATCH"]  # type: ignore[attr-defined]
    else:
        call(project_id="1", id="7", body=body)
        assert [r.method for r in handler.seen] == ["PUT", "PUT"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("header", ["-5", "-0.5", "-1e9"])
def test_a_negative_retry_after_means_now(
    make_client: MakeClient, sleeps: list[float], header: str
) -> None:
    handler = sequence(json_response(503, {}, **{"Retry-After": header}))
    page = make_client(handler).persons_list(project_id="1")
    assert page.results == []
    assert sleeps == [0.0]


def test_a_negative_retry_after_with_the_real_sleep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `time.sleep(-5)` raises ValueError: the client must never ask for it.
    slept: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", sleep)
    handler = sequence(json_response(429, {}, **{"Retry-After": "-5"}))
    client = Client(
        base_url="http://testserver",
        api_key="k",
        transport=httpx.MockTransport(handler),
    )
    assert client.persons_list(project_id="1").results == []
    assert slept == [0.0]


def test_unsent_requests_are_retried_for_any_method(make_client: MakeClient) -> None:
    handler = sequence(httpx.ConnectError("refused"), json_response(202, DELETED))
    make_client(handler).persons_bulk_delete_create(
        project_id="1", body=PersonBulkDeleteRequest(ids=["a"])
    )
    assert len(handler.seen) == 2  # type: ignore[attr-defined]
    # A read timeout may have reached the server: a POST is not repeated.
    handler = sequence(httpx.ReadTimeout("slow"))
    with pytest.raises(ApiTimeoutError):
        make_client(handler).persons_bulk_delete_create(
            project_id="1", body=PersonBulkDeleteRequest(ids=["a"])
        )
    assert len(handler.seen) == 1  # type: ignore[attr-defined]


def test_connection_errors(make_client: MakeClient, sleeps: list[float]) -> None:
    handler = sequence(
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("reset"),
        httpx.ReadError("broken"),
    )
    with pytest.raises(ApiConnectionError) as caught:
        make_client(handler).persons_list(project_id="1")
    error = caught.value
    assert not isinstance(error, ApiTimeoutError)
    assert isinstance(error.__cause__, httpx.ReadError)
    assert (
        error.request is not None
        and error.request.url.path == "/api/projects/1/persons/"
    )
    assert error.status_code is None and error.response is None and error.body is None
    assert len(sleeps) == 2


def test_timeouts_are_typed_and_retried(make_client: MakeClient) -> None:
    handler = sequence(
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.PoolTimeout("slow"),
    )
    with pytest.raises(ApiTimeoutError):
        make_client(handler).persons_list(project_id="1")
    assert len(handler.seen) == 3  # type: ignore[attr-defined]


def test_timeout_per_client_and_per_call(make_client: MakeClient) -> None:
    handler = sequence()
    client = make_client(handler, timeout=12.5)
    client.persons_list(project_id="1")
    client.persons_list(project_id="1", options=RequestOptions(timeout=2.0))
    client.with_options(timeout=4.0).persons_list(project_id="1")
    seen = [r.extensions["timeout"]["read"] for r in handler.seen]  # type: ignore[attr-defined]
    assert seen == [12.5, 2.0, 4.0]


def test_deadline_stops_retrying(make_client: MakeClient, sleeps: list[float]) -> None:
    # The server asks for 10 s; the deadline leaves 5: the call fails at once.
    handler = sequence(json_response(429, {}, **{"Retry-After": "10"}))
    with pytest.raises(RateLimitError):
        make_client(handler, deadline=5.0).persons_list(project_id="1")
    assert sleeps == []
    handler = sequence(json_response(429, {}, **{"Retry-After": "10"}))
    page = make_client(handler, deadline=5.0).persons_list(
        project_id="1", options=RequestOptions(deadline=60.0)
    )
    assert page.results == [] and sleeps == [10.0]


def test_deadline_bounds_each_attempts_timeout(make_client: MakeClient) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        handler.seen.append(request)  # type: ignore[attr-defined]
        time.sleep(0.05)
        return json_response(503, {})

    handler: Any = slow
    handler.seen = []
    policy = RetryPolicy(max_retries=10, initial_delay=0.001, max_delay=0.001)
    with pytest.raises((ServerError, ApiTimeoutError)):
        make_client(handler, retry=policy, timeout=30.0, deadline=0.3).persons_list(
            project_id="1"
        )
    timeouts = [r.extensions["timeout"]["read"] for r in handler.seen]
    assert 1 < len(timeouts) < 10
    assert all(t <= 0.3 for t in timeouts)
    assert timeouts == sorted(timeouts, reverse=True)


def test_deadline_already_passed_is_a_timeout(make_client: MakeClient) -> None:
    with pytest.raises(ApiTimeoutError):
        make_client(sequence()).persons_list(
            project_id="1", options=RequestOptions(deadline=-1.0)
        )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, ApiStatusError),
    ],
)
def test_error_mapping(
    make_client: MakeClient, status: int, error: type[ApiStatusError]
) -> None:
    body = error_body(
        "validation_error", "invalid_input", "Enter a valid value.", "email"
    )
    handler = sequence(json_response(status, body))
    with pytest.raises(error) as caught:
        make_client(handler, max_retries=0).persons_list(project_id="1", email="x")
    raised = caught.value
    assert type(raised) is error
    assert isinstance(raised, ApiError)
    assert raised.status_code == status
    assert (
        raised.body.type,
        raised.body.code,
        raised.body.detail,
        raised.body.attr,
    ) == (
        "validation_error",
        "invalid_input",
        "Enter a valid value.",
        "email",
    )
    assert raised.body.raw == body
    assert raised.response.status_code == status
    assert raised.request.url.path == "/api/projects/1/persons/"
    assert str(status) in str(raised) and "Enter a valid value." in str(raised)
    assert "email=x" not in str(raised)  # no query string (user data) in messages


def test_error_bodies_that_are_not_posthogs(make_client: MakeClient) -> None:
    handler = sequence(
        httpx.Response(400, text="<html>bad gateway</html>"),
        json_response(400, {"error": "Could not parse timestamp"}),
        json_response(400, ["a", "list"]),
        httpx.Response(404),
    )
    client = make_client(handler)
    for detail in ("<html>bad gateway</html>", "Could not parse timestamp", None):
        with pytest.raises(BadRequestError) as caught:
            client.persons_list(project_id="1")
        assert caught.value.body.detail == detail
    with pytest.raises(NotFoundError) as missing:
        client.persons_list(project_id="1")
    assert missing.value.body.detail is None and "Not Found" in str(missing.value)


def test_undocumented_success_shape_is_a_decode_error(make_client: MakeClient) -> None:
    handler = sequence(
        json_response(200, {"results": "nope"}),
        httpx.Response(
            200, text="not json", headers={"Content-Type": "application/json"}
        ),
    )
    client = make_client(handler)
    for _ in range(2):
        with pytest.raises(ResponseDecodeError) as caught:
            client.persons_list(project_id="1")
        assert caught.value.status_code == 200 and caught.value.response is not None


def test_unexpected_redirect_status_is_an_error(make_client: MakeClient) -> None:
    with pytest.raises(ApiStatusError) as caught:
        make_client(sequence(httpx.Response(304))).persons_list(project_id="1")
    assert caught.value.status_code == 304


def test_a_failure_is_never_none(make_client: MakeClient) -> None:
    server = FakeServer(3)
    server.script = [
        json_response(
            403,
            error_body(
                "authentication_error",
                "permission_denied",
                "This action does not support Personal API Key access",
            ),
        )
    ]
    with pytest.raises(PermissionDeniedError) as caught:
        make_client(server).persons_trends_retrieve(project_id="1")
    assert "Personal API Key" in str(caught.value)
