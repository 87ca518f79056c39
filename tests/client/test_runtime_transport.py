"""The client's transport promises, exactly: error bodies and messages, retry
rules and backoff, `Retry-After`, where the API key travels, `next` links,
`with_options`, `raw`, CSV and deprecation, sync and async.

All over `httpx.MockTransport`; sleeps are recorded, never slept.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import logging
import random
import time
import types
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from persons_client import (
    UNSET,
    ApiConnectionError,
    ApiStatusError,
    ApiTimeoutError,
    AsyncClient,
    Client,
    RateLimitError,
    RequestOptions,
    ResponseDecodeError,
    RetryPolicy,
    ServerError,
    Unset,
)
from persons_client import _runtime as rt
from persons_client._runtime import DecodeError, ErrorBody, Operation, operation

from .conftest import BASE, KEY

MakeClient = Callable[..., Client]
MakeAsync = Callable[..., AsyncClient]


def _call(client: Client, op: Operation, **args: Any) -> Any:
    method = types.SimpleNamespace(__operation__=op)
    return client._call(method, args, args.get("options"))  # type: ignore[arg-type]


def _answers(
    *responses: httpx.Response | Exception,
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    queue = list(responses)
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0) if queue else httpx.Response(204)
        if isinstance(item, Exception):
            raise item
        return item

    return handle, seen


_GET = Operation("getThing", "GET", "/thing", responses={"200": dict[str, Any]})
_POST = Operation("makeThing", "POST", "/thing", responses={"201": dict[str, Any]})


# --- error bodies and messages ---


def _response(status: int, **kwargs: Any) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", BASE + "/x"), **kwargs)


def test_an_error_body_reads_posthogs_fields_or_keeps_what_came() -> None:
    full = ErrorBody.from_response(
        _response(
            400,
            json={"type": "t", "code": "c", "detail": "d", "attr": "a", "more": 1},
        )
    )
    assert full == ErrorBody(
        "t",
        "c",
        "d",
        "a",
        {"type": "t", "code": "c", "detail": "d", "attr": "a", "more": 1},
    )
    typed_wrong = ErrorBody.from_response(
        _response(400, json={"type": 1, "code": None, "detail": ["x"], "attr": 2})
    )
    assert (
        typed_wrong.type,
        typed_wrong.code,
        typed_wrong.detail,
        typed_wrong.attr,
    ) == (
        None,
        None,
        None,
        None,
    )
    assert ErrorBody.from_response(_response(400, json={"error": "e"})).detail == "e"
    assert ErrorBody.from_response(_response(400, json={"message": "m"})).detail == "m"
    assert (
        ErrorBody.from_response(
            _response(400, json={"detail": "", "error": "", "message": "m2"})
        ).detail
        == "m2"
    )
    listed = ErrorBody.from_response(_response(400, json=[1, 2]))
    assert listed == ErrorBody(raw=[1, 2])
    text = ErrorBody.from_response(_response(502, text="x" * 600))
    assert text.detail == "x" * 500 and text.raw == "x" * 600
    empty = ErrorBody.from_response(_response(502))
    assert (empty.detail, empty.raw) == (None, "")


def test_status_errors_by_class_and_message(make_client: MakeClient) -> None:
    handler, _ = _answers(
        _response(503, json={"detail": "down", "code": "busy"}),
        _response(418),
        _response(501, text=""),
    )
    client = make_client(handler, max_retries=0)
    with pytest.raises(ServerError) as server:
        _call(client, _GET)
    assert str(server.value) == "503 [busy]: down (GET /thing)"
    with pytest.raises(ApiStatusError) as teapot:
        _call(client, _GET)
    assert type(teapot.value) is ApiStatusError
    assert str(teapot.value) == "418: I'm a teapot (GET /thing)"
    with pytest.raises(ServerError) as empty:
        _call(client, _GET)
    assert str(empty.value) == "501: Not Implemented (GET /thing)"


def test_a_429_carries_retry_after() -> None:
    error = rt.status_error(_response(429, headers={"Retry-After": "7"}))
    assert type(error) is RateLimitError and error.retry_after == 7.0
    assert rt.status_error(_response(429)).retry_after is None  # type: ignore[attr-defined]


# --- Retry-After and backoff ---


def test_retry_after_in_both_forms() -> None:
    def after(value: str) -> float | None:
        return rt.retry_after(_response(503, headers={"Retry-After": value}))

    assert after("3") == 3.0
    assert after("2.5") == 2.5
    assert after("-4") == 0.0
    assert after("") is None
    assert after("soon") is None
    assert rt.retry_after(_response(503)) is None
    past = email.utils.format_datetime(
        datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), usegmt=True
    )
    assert after(past) == 0.0
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=100)
    waited = after(email.utils.format_datetime(future, usegmt=True))
    assert waited is not None and 95 < waited <= 100
    naive = after(future.strftime("%a, %d %b %Y %H:%M:%S"))  # no zone: UTC
    assert naive is not None and 95 < naive <= 100


def test_backoff_doubles_up_to_the_ceiling_with_full_jitter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ranges: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        ranges.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", uniform)
    policy = RetryPolicy(initial_delay=1.0, max_delay=5.0)
    delays = [policy.delay(attempt, None) for attempt in range(5)]
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert ranges == [(0.5, 1.0), (1.0, 2.0), (2.0, 4.0), (2.5, 5.0), (2.5, 5.0)]
    # A response without Retry-After backs off the same way.
    assert policy.delay(1, _response(503)) == 2.0
    default = RetryPolicy()
    assert (default.max_retries, default.initial_delay, default.max_delay) == (
        2,
        0.5,
        8.0,
    )
    assert (default.max_retry_after, default.retry_non_idempotent) == (60.0, False)


def test_retry_after_is_waited_up_to_its_limit() -> None:
    policy = RetryPolicy(max_retry_after=10.0)

    def delay(value: str) -> float | None:
        return policy.delay(0, _response(429, headers={"Retry-After": value}))

    assert delay("10") == 10.0
    assert delay("0") == 0.0
    assert delay("10.5") is None


def test_which_failures_are_retried() -> None:
    policy = RetryPolicy(max_retries=2)
    get, post = _GET, _POST
    assert policy.should_retry(get, 0, 503)
    assert policy.should_retry(get, 1, None)
    assert not policy.should_retry(get, 2, 503)
    assert not policy.should_retry(get, 0, 404)
    assert not policy.should_retry(post, 0, 503)
    assert not policy.should_retry(post, 0, None)
    assert policy.should_retry(post, 0, None, sent=False)
    assert not policy.should_retry(post, 2, None, sent=False)
    eager = RetryPolicy(retry_non_idempotent=True)
    assert eager.should_retry(post, 0, 429)
    assert not eager.should_retry(post, 0, 400)
    for status in (408, 429, 500, 502, 503, 504):
        assert policy.should_retry(get, 0, status)
    for status in (400, 401, 403, 409, 422, 501, 505):
        assert not policy.should_retry(get, 0, status)


def test_each_retry_is_logged_with_its_reason(
    make_client: MakeClient,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler, seen = _answers(
        _response(503, headers={"Retry-After": "1.5"}),
        httpx.ConnectError("refused"),
        _response(200, json={}),
    )
    client = make_client(handler)
    with caplog.at_level(logging.INFO, logger="persons_client"):
        assert _call(client, _GET) == {}
    assert len(seen) == 3
    assert sleeps[0] == 1.5
    assert [r.name for r in caplog.records] == ["persons_client", "persons_client"]
    assert [r.getMessage() for r in caplog.records][0] == (
        "getThing: HTTP 503; retry 1 of 2 in 1.50s"
    )
    assert (
        caplog.records[1]
        .getMessage()
        .startswith("getThing: ApiConnectionError; retry 2 of 2 in ")
    )


def test_a_retry_that_would_pass_the_deadline_is_not_made(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    handler, seen = _answers(
        _response(503, headers={"Retry-After": "5"}),
        _response(503, headers={"Retry-After": "0"}),
        _response(200, json={}),
    )
    client = make_client(handler, deadline=5.0)
    with pytest.raises(ServerError):
        _call(client, _GET)
    assert (len(seen), sleeps) == (1, [])
    # Per call: a deadline the wait fits in.
    handler2, seen2 = _answers(
        _response(503, headers={"Retry-After": "1"}), _response(200, json={"a": 1})
    )
    client2 = make_client(handler2, deadline=0.5)
    assert _call(client2, _GET, options=RequestOptions(deadline=30.0)) == {"a": 1}
    assert sleeps == [1.0]


def test_per_call_options_override_the_clients(make_client: MakeClient) -> None:
    client = make_client(lambda r: _response(204), timeout=7.0, deadline=9.0)
    timeout, retry, deadline_at = client._limits(None)
    assert (timeout, retry.max_retries) == (7.0, 2)
    assert deadline_at is not None and 8.0 < deadline_at - time.monotonic() <= 9.0
    timeout, retry, deadline_at = client._limits(
        RequestOptions(timeout=3.0, max_retries=5, deadline=2.0)
    )
    assert (timeout, retry.max_retries) == (3.0, 5)
    assert deadline_at is not None and 1.0 < deadline_at - time.monotonic() <= 2.0
    plain = make_client(lambda r: _response(204))
    assert plain._limits(RequestOptions())[2] is None
    assert plain._limits(RequestOptions(timeout=1.0))[0] == 1.0


# --- transport failures ---


def test_transport_failures_name_the_operation_and_keep_the_cause(
    make_client: MakeClient,
) -> None:
    refused = httpx.ConnectError("no route")
    slow = httpx.ReadTimeout("too slow")
    handler, seen = _answers(refused, slow)
    client = make_client(handler, max_retries=0)
    with pytest.raises(ApiConnectionError) as failed:
        _call(client, _GET)
    assert type(failed.value) is ApiConnectionError
    assert str(failed.value) == "getThing: ConnectError: no route"
    assert failed.value.__cause__ is refused
    assert failed.value.request is seen[0]
    with pytest.raises(ApiTimeoutError) as timed_out:
        _call(client, _GET)
    assert str(timed_out.value) == "getThing: timed out (ReadTimeout)"
    assert timed_out.value.__cause__ is slow
    assert timed_out.value.request is seen[1]
    assert timed_out.value.status_code is None and timed_out.value.response is None


def test_a_failure_without_a_request_has_none() -> None:
    failure = rt._transport_failure(_GET, httpx.ConnectError("x"), False)
    assert failure.request is None
    assert str(failure) == "getThing: ConnectError: x"


def test_an_unsent_post_is_retried_and_a_sent_one_is_not(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    handler, seen = _answers(httpx.ConnectTimeout("c"), _response(201, json={"id": 1}))
    assert _call(make_client(handler), _POST) == {"id": 1}
    assert len(seen) == 2 and len(sleeps) == 1
    handler2, seen2 = _answers(httpx.ReadError("r"), _response(201, json={}))
    with pytest.raises(ApiConnectionError):
        _call(make_client(handler2), _POST)
    assert len(seen2) == 1


# --- the API key: header, query or cookie ---


class _QueryKeyClient(Client):
    _auth = ("query", "token", "")


class _CookieKeyClient(Client):
    _auth = ("cookie", "sid", "")


def test_a_query_key_travels_in_the_query_and_not_from_next_links() -> None:
    handler, seen = _answers(_response(204), _response(204))
    with _QueryKeyClient(
        base_url=BASE, api_key=KEY, transport=httpx.MockTransport(handler)
    ) as client:
        op = Operation("q", "GET", "/q", query=["a"])
        _call(client, op, a="1")
        request = client._follow("/next?token=stolen&b=&c=2#frag", None)
        client._http.request(**request)
    assert list(seen[0].url.params.multi_items()) == [("a", "1"), ("token", KEY)]
    assert "Authorization" not in seen[0].headers
    assert seen[1].url.path == "/next"
    assert list(seen[1].url.params.multi_items()) == [
        ("b", ""),
        ("c", "2"),
        ("token", KEY),
    ]
    assert seen[1].url.fragment == ""


def test_a_cookie_key_travels_with_the_cookie_parameters() -> None:
    handler, seen = _answers(_response(204))
    with _CookieKeyClient(
        base_url=BASE, api_key=KEY, transport=httpx.MockTransport(handler)
    ) as client:
        op = Operation("c", "GET", "/c", cookies=["theme"])
        _call(client, op, theme="dark")
    assert seen[0].headers["Cookie"] == f"theme=dark; sid={KEY}"
    assert "Authorization" not in seen[0].headers
    assert seen[0].url.query == b""
    with pytest.raises(ValueError) as refused:
        _CookieKeyClient(api_key="a;b")
    assert str(refused.value) == (
        "the API key (api_key) cannot be sent: character 2 of 3 is a character a"
        " cookie cannot carry; an API key is printable ASCII without spaces"
    )
    # A header or query key may carry what a cookie cannot.
    assert _QueryKeyClient(api_key='a;b,"\\')._api_key is not None


def test_a_key_refused_names_its_source_and_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError) as non_ascii:
        Client(api_key="abcé")
    assert str(non_ascii.value) == (
        "the API key (api_key) cannot be sent: character 4 of 4 is a non-ASCII"
        " character; an API key is printable ASCII without spaces"
    )
    monkeypatch.setenv(Client._api_key_env, "ab c")
    with pytest.raises(ValueError) as from_env:
        Client()
    assert str(from_env.value) == (
        "the API key (the POSTHOG_PERSONAL_API_KEY environment variable) cannot be"
        " sent: character 3 of 4 is whitespace or a control character; an API key"
        " is printable ASCII without spaces"
    )
    with pytest.raises(ValueError) as first:
        Client(api_key="\x00abc")
    assert "character 1 of 4 is whitespace or a control character" in str(first.value)
    assert Client(api_key="!~")._api_key is not None


def test_the_key_in_the_environment_is_used_unless_one_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(Client._api_key_env, "from-env")
    handler, seen = _answers(_response(204), _response(204), _response(204))
    with Client(base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        _call(client, _GET)
        _call(client.with_options(api_key="other"), _GET)
        _call(client.with_options(api_key=None), _GET)
    assert seen[0].headers["Authorization"] == "Bearer from-env"
    assert seen[1].headers["Authorization"] == "Bearer other"
    assert "Authorization" not in seen[2].headers
    monkeypatch.setenv(Client._api_key_env, "")
    assert Client()._api_key is None


# --- the client's settings ---


def test_defaults_of_a_new_client() -> None:
    client = Client(api_key=KEY)
    try:
        assert client.base_url == "https://us.posthog.com"
        assert (client.timeout, client.deadline) == (30.0, None)
        assert client.max_response_bytes == 64 * 1024 * 1024
        assert client.retry == RetryPolicy()
        assert client.headers == {}
        assert client._http.timeout == httpx.Timeout(30.0)
        assert client._http.follow_redirects is False
        assert client._sleep is time.sleep
        assert repr(client) == "Client(base_url='https://us.posthog.com')"
    finally:
        client.close()
    custom = Client(
        base_url="http://h/apiX//",
        api_key=KEY,
        timeout=3.0,
        max_retries=4,
        headers={"X-A": "1"},
    )
    try:
        assert custom.base_url == "http://h/apiX"
        assert custom.retry == RetryPolicy(max_retries=4)
        assert custom._http.timeout == httpx.Timeout(3.0)
        assert custom._http.headers["X-A"] == "1"
        assert custom._http.headers["Authorization"] == f"Bearer {KEY}"
        assert custom._http.headers["Accept"] == "application/json"
    finally:
        custom.close()
    policy = RetryPolicy(max_retries=9)
    assert Client(retry=policy, max_retries=1).retry is policy


def test_with_options_changes_only_what_it_is_given(make_client: MakeClient) -> None:
    handler, seen = _answers(*[_response(204)] * 3)
    client = make_client(handler, headers={"X-A": "1"}, timeout=5.0)
    copy = client.with_options(
        base_url="http://other/vX/",
        timeout=2.0,
        max_retries=7,
        deadline=11.0,
        max_response_bytes=10,
        headers={"X-B": "2"},
    )
    assert copy.base_url == "http://other/vX"
    assert (copy.timeout, copy.retry.max_retries, copy.deadline) == (2.0, 7, 11.0)
    assert copy.max_response_bytes == 10
    assert copy.headers == {"X-A": "1", "X-B": "2"}
    assert client.headers == {"X-A": "1"}
    assert (client.base_url, client.timeout, client.retry.max_retries) == (
        BASE,
        5.0,
        2,
    )
    assert (client.deadline, client.max_response_bytes) == (None, 64 * 1024 * 1024)
    same = client.with_options()
    assert (same.base_url, same.timeout, same.retry, same.headers) == (
        client.base_url,
        5.0,
        client.retry,
        {"X-A": "1"},
    )
    assert same._api_key is client._api_key
    policy = RetryPolicy(max_retries=1, initial_delay=3.0)
    assert client.with_options(retry=policy).retry is policy
    both = client.with_options(retry=policy, max_retries=4)
    assert both.retry == RetryPolicy(max_retries=4, initial_delay=3.0)
    assert client.with_options(deadline=None, max_response_bytes=5).deadline is None
    with pytest.raises(ValueError) as refused:
        client.with_options(api_key="two words")
    assert str(refused.value) == (
        "the API key (api_key) cannot be sent: character 4 of 9 is whitespace or a"
        " control character; an API key is printable ASCII without spaces"
    )
    _call(copy, _GET)
    assert str(seen[0].url) == "http://other/vX/thing"
    assert seen[0].headers["X-B"] == "2" and seen[0].headers["X-A"] == "1"
    copy.close()
    _call(client, _GET)  # the original's pool is still open
    assert len(seen) == 2


def test_an_async_client_has_the_same_defaults_and_copies() -> None:
    async def main() -> None:
        handler, seen = _answers(_response(200, json={"a": 1}), _response(204))
        async with AsyncClient(
            base_url=BASE + "/",
            api_key=KEY,
            transport=httpx.MockTransport(handler),
            timeout=4.0,
            max_retries=3,
            headers={"X-A": "1"},
        ) as client:
            assert client.base_url == BASE
            assert client.retry == RetryPolicy(max_retries=3)
            assert client._http.timeout == httpx.Timeout(4.0)
            assert client._http.follow_redirects is False
            assert client._sleep is asyncio.sleep
            assert (client.deadline, client.max_response_bytes) == (
                None,
                64 * 1024 * 1024,
            )
            method = types.SimpleNamespace(__operation__=_GET)
            assert await client._call(method, {}) == {"a": 1}  # type: ignore[arg-type]
            copy = client.with_options(headers={"X-B": "2"})
            await copy.aclose()
            assert await client._call(method, {}) is None  # type: ignore[arg-type]
        assert seen[0].headers["X-A"] == "1"
        assert seen[0].headers["Authorization"] == f"Bearer {KEY}"
        assert client._http.is_closed

    asyncio.run(main())


# --- parsing a success ---


def test_a_success_is_parsed_by_its_documented_status() -> None:
    op = Operation(
        "op",
        "GET",
        "/",
        responses={"200": bytes, "201": str, "2XX": dict[str, float], "default": int},
    )

    def parse(status: int, **kwargs: Any) -> Any:
        return rt.parse(op, _response(status, **kwargs))

    assert parse(200, content=b"\x00") == b"\x00"
    assert parse(201, text="t") == "t"
    assert parse(202, json={"a": 1}) == {"a": 1.0}
    assert parse(304, json=5) == 5
    assert parse(202) is None
    assert op.by_status == {
        200: (True, bytes),
        201: (True, str),
        202: (True, dict[str, float]),
        304: (True, int),
    }
    with pytest.raises(DecodeError) as not_json:
        parse(202, content=b"a,b", headers={"Content-Type": "text/csv"})
    assert str(not_json.value) == (
        "op: expected JSON, got text/csv; use `client.csv(...)` or `client.raw(...)`"
        " for other formats"
    )
    with pytest.raises(DecodeError) as no_type:
        parse(202, content=b"a")
    assert "op: expected JSON, got no content type;" in str(no_type.value)
    with pytest.raises(DecodeError) as invalid:
        parse(202, content=b"{", headers={"Content-Type": "application/json"})
    assert str(invalid.value).startswith("op: the response is not valid JSON: ")
    nothing = Operation("none", "GET", "/")
    assert rt.parse(nothing, _response(200, json={"a": 1})) is None
    assert nothing.by_status == {200: (False, None)}


def test_a_documented_redirect_is_an_answer_and_others_are_errors(
    make_client: MakeClient,
) -> None:
    op = Operation("moved", "GET", "/m", responses={"304": None})
    handler, _ = _answers(_response(304), _response(302), _response(399))
    client = make_client(handler)
    assert _call(client, op) is None
    with pytest.raises(ApiStatusError) as found:
        _call(client, op)
    assert found.value.status_code == 302
    with pytest.raises(ApiStatusError):
        _call(client, op)


def test_a_success_of_the_wrong_shape_is_a_response_decode_error(
    make_client: MakeClient,
) -> None:
    op = Operation("op", "GET", "/", responses={"200": list[int]})
    handler, _ = _answers(_response(200, json={"a": 1}))
    with pytest.raises(ResponseDecodeError) as wrong:
        _call(make_client(handler), op)
    assert str(wrong.value) == "expected array, got dict"
    assert wrong.value.status_code == 200


# --- raw, CSV, deprecation, pagination through generated-style methods ---


@operation(
    "GET",
    "/things",
    responses={"200": dict[str, Any]},
    deprecated=True,
    csv=True,
)
def _list_things(
    self: Client,
    *,
    format: str | Unset = UNSET,
    fmt: str | Unset = UNSET,
    options: RequestOptions | None = None,
) -> Any:
    return self._call(_list_things, locals(), options)


@operation("GET", "/plain", responses={"200": dict[str, Any]})
def _plain(self: Client, *, options: RequestOptions | None = None) -> Any:
    return self._call(_plain, locals(), options)


def test_a_deprecated_operation_warns_by_name(make_client: MakeClient) -> None:
    handler, _ = _answers(_response(200, json={}))
    client = make_client(handler)
    with pytest.warns(DeprecationWarning) as warned:
        _list_things.__get__(client)()
    assert [str(w.message) for w in warned] == ["_list_things is deprecated"]


def test_raw_returns_the_response_and_parses_on_demand(
    make_client: MakeClient,
) -> None:
    handler, _ = _answers(
        _response(200, json={"a": 1}, headers={"X-Req": "r1"}),
        _response(200, content=b"{", headers={"Content-Type": "application/json"}),
    )
    client = make_client(handler)
    raw = client.raw(_plain.__get__(client))
    assert raw.status_code == 200 and raw.headers["X-Req"] == "r1"
    assert raw.json() == {"a": 1} and raw.content == b'{"a":1}'
    assert raw.text == '{"a":1}'
    assert raw.parsed == {"a": 1}
    broken = client.raw(_plain.__get__(client))
    with pytest.raises(ResponseDecodeError):
        _ = broken.parsed
    assert rt._RAW.get() is None
    with pytest.raises(TypeError) as not_an_operation:
        client.raw(print)
    assert "is not an operation of a generated client" in str(not_an_operation.value)


def test_csv_asks_for_csv_in_the_query_and_accept_header(
    make_client: MakeClient,
) -> None:
    handler, seen = _answers(
        _response(200, text="a,b\n", headers={"Content-Type": "text/csv"}),
        _response(200, json={}),
        _response(200, content=b"x"),
    )
    client = make_client(handler)
    with pytest.warns(DeprecationWarning):
        text = client.csv(
            _list_things.__get__(client),
            fmt="x",
            options=RequestOptions(headers={"X-A": "1"}),
        )
    assert text == "a,b\n"
    assert list(seen[0].url.params.multi_items()) == [("format", "csv"), ("fmt", "x")]
    assert seen[0].headers["Accept"] == "text/csv"
    assert seen[0].headers["X-A"] == "1"
    with pytest.warns(DeprecationWarning), pytest.raises(ResponseDecodeError) as js:
        client.csv(_list_things.__get__(client))
    assert str(js.value) == "_list_things: expected text/csv, got application/json"
    with pytest.warns(DeprecationWarning), pytest.raises(ResponseDecodeError) as bare:
        client.csv(_list_things.__get__(client))
    assert str(bare.value) == "_list_things: expected text/csv, got no content type"
    with pytest.raises(TypeError) as no_csv:
        client.csv(_plain.__get__(client))
    assert str(no_csv.value) == "_plain has no CSV form"


def test_async_raw_and_csv(make_async_client: MakeAsync) -> None:
    handler, seen = _answers(
        _response(200, json={"a": 2}),
        _response(200, text="x\n", headers={"Content-Type": "text/csv"}),
    )

    async def main() -> None:
        client = make_async_client(handler)
        method = rt.asynchronous(_plain).__get__(client)
        raw = await client.raw(method)
        assert raw.parsed == {"a": 2}
        assert rt._RAW.get() is None
        listed = rt.asynchronous(_list_things).__get__(client)
        with pytest.warns(DeprecationWarning):
            assert await client.csv(listed) == "x\n"
        await client.aclose()

    asyncio.run(main())
    assert seen[1].headers["Accept"] == "text/csv"
    assert seen[1].url.params["format"] == "csv"


class _PageOf(rt.Model):
    results: list[int]
    next: str | None | Unset = UNSET


@operation("GET", "/pages", responses={"200": _PageOf})
def _pages(
    self: Client, *, start: int | Unset = UNSET, options: RequestOptions | None = None
) -> Any:
    return self._call(_pages, locals(), options)


def _page_server(
    pages: dict[str, dict[str, Any]],
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _response(200, json=pages[request.url.path])

    return handle, seen


_PAGES: dict[str, dict[str, Any]] = {
    "/pages": {"results": [1, 2], "next": "/api/p2?start=3"},
    "/api/p2": {"results": [3], "next": "https://evil.example/api/p3#x"},
    "/api/p3": {"results": [], "next": "p4"},
    "/p4": {"results": [4], "next": "/api/p2?start=3"},
}


def test_paging_follows_next_links_on_our_origin_until_a_loop(
    make_client: MakeClient,
) -> None:
    handler, seen = _page_server(_PAGES)
    client = make_client(handler)
    options = RequestOptions(headers={"X-Page": "yes"}, timeout=1.5)
    items = list(client.paginate(_pages.__get__(client), start=1, options=options))
    assert items == [1, 2, 3, 4]
    assert [str(r.url) for r in seen] == [
        BASE + "/pages?start=1",
        BASE + "/api/p2?start=3",
        BASE + "/api/p3",
        BASE + "/p4",
    ]
    assert all(r.headers["X-Page"] == "yes" for r in seen)
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in seen)
    assert [r.extensions["timeout"]["read"] for r in seen] == [1.5] * 4


def test_async_paging_follows_the_same_links(make_async_client: MakeAsync) -> None:
    handler, seen = _page_server(_PAGES)

    async def main() -> list[int]:
        client = make_async_client(handler)
        method = rt.asynchronous(_pages).__get__(client)
        options = RequestOptions(headers={"X-Page": "yes"}, timeout=2.5)
        items = [i async for i in client.paginate(method, options=options)]
        await client.aclose()
        return items

    assert asyncio.run(main()) == [1, 2, 3, 4]
    assert [r.url.path for r in seen] == ["/pages", "/api/p2", "/api/p3", "/p4"]
    assert all(r.headers["X-Page"] == "yes" for r in seen)
    assert [r.extensions["timeout"]["read"] for r in seen] == [2.5] * 4


def test_a_next_link_resolves_against_a_base_url_with_a_path(
    make_client: MakeClient,
) -> None:
    client = make_client(lambda r: _response(204), base_url=BASE + "/api")
    assert client._follow("p2?x=1", None)["url"] == BASE + "/api/p2"
    assert client._follow("p2?x=1", None)["params"] == [("x", "1")]
    assert client._follow("/root", None)["url"] == BASE + "/root"
    moved = client._follow("http://other:81/api/z?q=", None)
    assert (moved["url"], moved["params"]) == (BASE + "/api/z", [("q", "")])


# --- the async transport, attempt by attempt ---


def _run_async(
    make_async_client: MakeAsync,
    handler: Callable[[httpx.Request], Any],
    op: Operation,
    **settings: Any,
) -> Any:
    async def main() -> Any:
        client = make_async_client(handler, **settings)
        try:
            method = types.SimpleNamespace(__operation__=op)
            return await client._call(method, {})  # type: ignore[arg-type]
        finally:
            await client.aclose()

    return asyncio.run(main())


def test_async_retries_count_attempts_and_waits(
    make_async_client: MakeAsync,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    handler, seen = _answers(
        _response(503),
        _response(502),
        _response(504, headers={"Retry-After": "0.25"}),
        _response(200, json={"ok": 1}),
    )
    op = _GET
    result = _run_async(make_async_client, handler, op, max_retries=3)
    assert result == {"ok": 1}
    assert len(seen) == 4
    assert sleeps == [0.5, 1.0, 0.25]
    handler2, seen2 = _answers(*[_response(500)] * 5)
    with pytest.raises(ServerError):
        _run_async(make_async_client, handler2, op, max_retries=2)
    assert len(seen2) == 3


def test_async_transport_failures(make_async_client: MakeAsync) -> None:
    handler, seen = _answers(httpx.ConnectError("no"), _response(201, json={}))
    assert _run_async(make_async_client, handler, _POST) == {}
    assert len(seen) == 2
    handler2, seen2 = _answers(httpx.ReadError("cut"), _response(201, json={}))
    with pytest.raises(ApiConnectionError) as cut:
        _run_async(make_async_client, handler2, _POST)
    assert str(cut.value) == "makeThing: ReadError: cut"
    assert len(seen2) == 1
    handler3, _ = _answers(*[httpx.ReadTimeout("slow")] * 3)
    with pytest.raises(ApiTimeoutError) as slow:
        _run_async(make_async_client, handler3, _GET)
    assert str(slow.value) == "getThing: timed out (ReadTimeout)"


def test_an_async_deadline_cancels_the_call_wherever_it_is(
    make_async_client: MakeAsync,
) -> None:
    async def stall(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    with pytest.raises(ApiTimeoutError) as late:
        _run_async(make_async_client, stall, _GET, deadline=0.01)
    assert str(late.value) == "getThing: the deadline for this call passed"
    # Within its deadline, the call answers.
    handler, _ = _answers(_response(200, json={"in": "time"}))
    assert _run_async(make_async_client, handler, _GET, deadline=30.0) == {"in": "time"}


def test_sync_retries_count_attempts_and_waits(
    make_client: MakeClient, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    handler, seen = _answers(
        _response(503),
        httpx.ConnectError("x"),
        _response(504, headers={"Retry-After": "0.25"}),
        _response(200, json={"ok": 1}),
    )
    assert _call(make_client(handler, max_retries=3), _GET) == {"ok": 1}
    assert len(seen) == 4
    assert sleeps == [0.5, 1.0, 0.25]


def test_a_next_link_keeps_its_parameters_when_the_key_is_not_in_the_query(
    make_client: MakeClient,
) -> None:
    client = make_client(lambda r: _response(204))
    followed = client._follow("/p?Authorization=x&a=1", None)
    assert followed["params"] == [("Authorization", "x"), ("a", "1")]
    assert followed["url"] == BASE + "/p"


def test_a_shared_http_client_gets_this_clients_timeout_and_headers() -> None:
    handler, seen = _answers(_response(204), _response(204))
    with httpx.Client(
        transport=httpx.MockTransport(handler), timeout=5.0, headers={"X-Own": "1"}
    ) as http:
        client = Client(base_url=BASE, api_key=KEY, http_client=http, timeout=30.0)
        _call(client, _GET)
        client.close()
        assert not http.is_closed
        assert client._http is http
    assert seen[0].extensions["timeout"]["read"] == 30.0
    assert seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["Accept"] == "application/json"
    assert seen[0].headers["X-Own"] == "1"

    async def main() -> None:
        async_handler, async_seen = _answers(_response(204))
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(async_handler), timeout=5.0
        ) as http:
            async with AsyncClient(
                base_url=BASE, api_key=KEY, http_client=http, timeout=30.0
            ) as client:
                method = types.SimpleNamespace(__operation__=_GET)
                await client._call(method, {})  # type: ignore[arg-type]
            assert not http.is_closed
        assert async_seen[0].extensions["timeout"]["read"] == 30.0
        assert async_seen[0].headers["Authorization"] == f"Bearer {KEY}"

    asyncio.run(main())


# --- redirects: within the origin, at most five per attempt ---


def _looping(
    seen: list[httpx.Request],
) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": f"/hop{len(seen)}"})

    return handle


def test_a_redirect_loop_is_followed_five_times(make_client: MakeClient) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(ApiStatusError) as caught:
        _call(make_client(_looping(seen), max_retries=0), _GET)
    assert caught.value.status_code == 302
    assert [r.url.path for r in seen] == [
        "/thing",
        "/hop1",
        "/hop2",
        "/hop3",
        "/hop4",
        "/hop5",
    ]


def test_an_async_redirect_loop_is_followed_five_times(
    make_async_client: MakeAsync,
) -> None:
    seen: list[httpx.Request] = []
    with pytest.raises(ApiStatusError):
        _run_async(make_async_client, _looping(seen), _GET, max_retries=0)
    assert len(seen) == 6


def test_a_shared_client_that_follows_redirects_still_stays_on_the_origin() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "elsewhere":
            return _response(200, json={"stolen": True})
        return httpx.Response(302, headers={"Location": "http://elsewhere/x"})

    with httpx.Client(
        transport=httpx.MockTransport(handle), follow_redirects=True
    ) as http:
        client = Client(base_url=BASE, api_key=KEY, http_client=http, max_retries=0)
        with pytest.raises(ApiStatusError) as caught:
            _call(client, _GET)
    assert caught.value.status_code == 302
    assert [r.url.host for r in seen] == ["testserver"]

    async def main() -> None:
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(handle), follow_redirects=True
        ) as http:
            client = AsyncClient(
                base_url=BASE, api_key=KEY, http_client=http, max_retries=0
            )
            method = types.SimpleNamespace(__operation__=_GET)
            with pytest.raises(ApiStatusError):
                await client._call(method, {})  # type: ignore[arg-type]

    seen.clear()
    asyncio.run(main())
    assert [r.url.host for r in seen] == ["testserver"]


def test_async_retries_are_logged_with_their_reason(
    make_async_client: MakeAsync, caplog: pytest.LogCaptureFixture
) -> None:
    handler, _ = _answers(
        _response(503, headers={"Retry-After": "2"}),
        httpx.ConnectError("refused"),
        _response(200, json={}),
    )
    with caplog.at_level(logging.INFO, logger="persons_client"):
        assert _run_async(make_async_client, handler, _GET) == {}
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "getThing: HTTP 503; retry 1 of 2 in 2.00s"
    assert messages[1].startswith("getThing: ApiConnectionError; retry 2 of 2 in ")


def test_the_key_cannot_be_pickled_and_shows_as_a_secret(
    make_client: MakeClient,
) -> None:
    import pickle

    client = make_client(lambda r: _response(204))
    for secret in (client._api_key, client._preset):
        with pytest.raises(TypeError) as refused:
            pickle.dumps(secret)
        assert str(refused.value) == "the API key cannot be pickled"
        assert repr(secret) == str(secret) == "<secret>"


def test_the_deadline_is_exact_at_its_edge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "monotonic", lambda: 100.0)
    policy = RetryPolicy()

    def delay(after: str, deadline_at: float | None) -> float | None:
        response = _response(503, headers={"Retry-After": after})
        return rt._retry_delay(_GET, policy, 0, deadline_at, response, None, True)

    assert delay("5", 105.0) is None  # the retry would start as the deadline ends
    assert delay("4.5", 105.0) == 4.5
    assert delay("500", None) is None  # beyond max_retry_after
    assert delay("59", None) == 59.0
    assert rt._remaining(None, 7.0) == 7.0
    assert rt._remaining(103.0, 7.0) == 3.0
    assert rt._remaining(110.0, 7.0) == 7.0
    for passed in (100.0, 99.0):
        with pytest.raises(ApiTimeoutError) as late:
            rt._remaining(passed, 7.0)
        assert str(late.value) == "the deadline for this call passed"


def test_a_body_over_the_limit_is_refused_saying_so(
    make_client: MakeClient, make_async_client: MakeAsync
) -> None:
    from persons_client import ResponseTooLargeError

    def declared(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b"{}", headers={"Content-Length": "11"}, request=request
        )

    def streamed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"a": "123456"}', request=request)

    for handler in (declared, streamed):
        client = make_client(handler, max_response_bytes=10, max_retries=0)
        with pytest.raises(ResponseTooLargeError) as refused:
            _call(client, _GET)
        assert str(refused.value) == (
            "getThing: the response is larger than 10 bytes (max_response_bytes)"
        )
        assert refused.value.status_code == 200
        assert refused.value.request is not None
        with pytest.raises(ResponseTooLargeError):
            _run_async(make_async_client, handler, _GET, max_response_bytes=10)
    exact = make_client(
        lambda r: _response(200, json={"a": "1234"}), max_response_bytes=12
    )
    assert _call(exact, _GET) == {"a": "1234"}
