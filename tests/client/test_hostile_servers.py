"""The client against servers that misbehave, over real sockets on loopback.

What the client README promises: `deadline` bounds the whole call, the body
included; a body over `max_response_bytes` raises `ResponseTooLargeError`;
redirects are followed only within the origin that answered, so no body and no
key reaches another host; every failure is an `ApiError`.
"""

from __future__ import annotations

import asyncio
import os
import socket
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from persons_client import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    AsyncClient,
    Client,
    ResponseTooLargeError,
)
from persons_client.models import PersonBulkDeleteRequest

from .conftest import KEY
from .hostile import (
    PAGE,
    Behaviour,
    HostileServer,
    answer,
    chain,
    gzip_bomb,
    head,
    huge,
    redirect,
    reset,
    trickle,
)

MiB = 1024 * 1024
DELETED = (
    b'{"persons_found": 1, "persons_deleted": 1, "deletion_errors": [],'
    b' "events_queued_for_deletion": false, "recordings_queued_for_deletion": false}'
)
BODY = PersonBulkDeleteRequest(ids=["a-person-to-delete"])


def no_sleep(seconds: float) -> None:
    pass


async def no_async_sleep(seconds: float) -> None:
    pass


def sync_list(origin: str, **settings: Any) -> Any:
    with Client(base_url=origin, api_key=KEY, sleep=no_sleep, **settings) as client:
        return client.persons_list(project_id="1")


def async_list(origin: str, **settings: Any) -> Any:
    async def main() -> Any:
        async with AsyncClient(
            base_url=origin, api_key=KEY, sleep=no_async_sleep, **settings
        ) as client:
            return await client.persons_list(project_id="1")

    return asyncio.run(main())


def sync_delete(origin: str, **settings: Any) -> Any:
    with Client(base_url=origin, api_key=KEY, sleep=no_sleep, **settings) as client:
        return client.persons_bulk_delete_create(project_id="1", body=BODY)


def async_delete(origin: str, **settings: Any) -> Any:
    async def main() -> Any:
        async with AsyncClient(
            base_url=origin, api_key=KEY, sleep=no_async_sleep, **settings
        ) as client:
            return await client.persons_bulk_delete_create(project_id="1", body=BODY)

    return asyncio.run(main())


LIST = [sync_list, async_list]
DELETE = [sync_delete, async_delete]
Call = Callable[..., Any]


# --- deadline ------------------------------------------------------------------


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
def test_the_deadline_bounds_a_trickled_body(call: Call) -> None:
    # Sent whole, the body would take 12 s: each byte comes well within
    # `timeout`, so only the deadline can end the call.
    body = b" " * 120 + PAGE
    with HostileServer(trickle(body, every=0.1)) as server:
        with pytest.raises(ApiTimeoutError):
            call(server.origin, timeout=2.0, deadline=1.0)
    assert len(server.requests) == 1  # a passed deadline is not retried


def test_the_async_deadline_bounds_trickled_headers() -> None:
    with HostileServer(trickle(PAGE, every=0.1, headers_too=True)) as server:
        with pytest.raises(ApiTimeoutError):
            async_list(server.origin, timeout=2.0, deadline=1.0)


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
def test_a_slow_body_within_the_deadline_is_read(call: Call) -> None:
    with HostileServer(trickle(b" " * 5 + PAGE, every=0.01)) as server:
        page = call(server.origin, timeout=2.0, deadline=30.0)
    assert page.results == []


# --- response size -------------------------------------------------------------


HUGE = {
    "declared": huge(8 * MiB),
    "chunked": huge(8 * MiB, chunked=True),
    "gzip": gzip_bomb(8 * MiB),
}


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
@pytest.mark.parametrize("behaviour", HUGE.values(), ids=HUGE.keys())
def test_a_body_over_the_cap_is_a_typed_error(call: Call, behaviour: Behaviour) -> None:
    with HostileServer(behaviour) as server:
        with pytest.raises(ResponseTooLargeError) as caught:
            call(server.origin, max_response_bytes=1 * MiB)
    error = caught.value
    assert isinstance(error, ApiError)
    assert error.status_code == 200 and "1048576 bytes" in str(error)
    assert len(server.requests) == 1  # not retried: it would be as large again


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_body_of_exactly_the_cap_is_read(call: Call, chunked: bool) -> None:
    cap = 256 * 1024
    exact = huge(cap - len(PAGE), chunked=chunked)
    with HostileServer(exact) as server:
        assert call(server.origin, max_response_bytes=cap).results == []
    with HostileServer(huge(cap - len(PAGE) + 1, chunked=chunked)) as server:
        with pytest.raises(ResponseTooLargeError):
            call(server.origin, max_response_bytes=cap)


def test_the_cap_is_settable_per_copy() -> None:
    with HostileServer(huge(2 * MiB)) as server:
        with Client(base_url=server.origin, api_key=KEY) as client:
            small = client.with_options(max_response_bytes=MiB)
            with pytest.raises(ResponseTooLargeError):
                small.persons_list(project_id="1")
            assert client.persons_list(project_id="1").results == []


# --- resets ----------------------------------------------------------------------


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
def test_a_reset_mid_body_is_a_connection_error_and_retried(call: Call) -> None:
    start = head(200, {"Content-Type": "application/json", "Content-Length": "500"})
    with HostileServer(reset(start + b'{"results": [')) as server:
        with pytest.raises(ApiConnectionError):
            call(server.origin, max_retries=2)
    assert len(server.requests) == 3


@pytest.mark.parametrize("call", DELETE, ids=["sync", "async"])
def test_a_reset_after_a_post_arrived_is_not_retried(call: Call) -> None:
    with HostileServer(reset()) as server:
        with pytest.raises(ApiConnectionError):
            call(server.origin, max_retries=2)
    assert len(server.requests) == 1  # it reached the server: not sent twice


# --- redirects -------------------------------------------------------------------


def other_hosts() -> list[str]:
    """Another port of this host, and another loopback address where it has one."""
    hosts = ["127.0.0.1"]
    try:
        with socket.create_server(("127.0.0.2", 0)):
            hosts.append("127.0.0.2")
    except OSError:
        pass
    return hosts


@pytest.mark.parametrize("host", other_hosts())
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("call", DELETE, ids=["sync", "async"])
def test_a_redirect_to_another_origin_is_not_followed(
    call: Call, status: int, host: str
) -> None:
    with HostileServer(answer(202, DELETED), host=host) as elsewhere:
        target = elsewhere.origin + "/api/projects/1/persons/bulk_delete/"
        with HostileServer(redirect(status, target)) as server:
            with pytest.raises(ApiStatusError) as caught:
                call(server.origin)
    assert caught.value.status_code == status
    assert caught.value.response.headers["location"] == target
    assert elsewhere.requests == []  # neither the body nor the key went there
    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("call", DELETE, ids=["sync", "async"])
def test_a_redirect_within_the_origin_is_followed_with_body_and_key(
    call: Call, status: int
) -> None:
    moved = redirect(status, "/api/projects/1/persons/bulk_delete/v2/")
    with HostileServer(chain(moved, answer(202, DELETED))) as server:
        result = call(server.origin)
    assert result.persons_deleted == 1
    first, second = server.requests
    assert second.target == "/api/projects/1/persons/bulk_delete/v2/"
    assert (second.method, second.body) == ("POST", first.body)
    assert second.headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("call", LIST, ids=["sync", "async"])
def test_a_redirect_loop_ends(call: Call) -> None:
    with HostileServer(redirect(302, "/api/projects/1/persons/")) as server:
        with pytest.raises(ApiStatusError) as caught:
            call(server.origin)
    assert caught.value.status_code == 302
    assert 1 < len(server.requests) <= 10


def test_a_redirect_to_plain_http_is_not_followed(
    make_client: Callable[..., Client],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.scheme == "https":
            downgrade = str(request.url.copy_with(scheme="http"))
            return httpx.Response(307, headers={"Location": downgrade})
        return httpx.Response(200, json={"results": [], "next": None})

    client = make_client(handler, base_url="https://testserver")
    with pytest.raises(ApiStatusError):
        client.persons_list(project_id="1")
    assert [r.url.scheme for r in seen] == ["https"]


# --- API keys ----------------------------------------------------------------------

SECRET = "phx_S3CRET0123456789abcdef"
BAD_KEYS = {
    "trailing newline": SECRET + "\n",
    "trailing space": SECRET + " ",
    "inner space": "phx_S3CRET 0123456789abcdef",
    "leading tab": "\t" + SECRET,
    "carriage return": SECRET + "\r\nX-Injected: 1",
    "NUL": SECRET + "\x00",
    "non-ASCII": SECRET + "é",
    "line separator": SECRET + "\u2028",
    "lone surrogate": SECRET + "\ud800",
}


def texts_of(error: BaseException) -> list[str]:
    """Everything an error shows: its message, repr, args, and those of every
    exception chained to it, and the formatted traceback."""
    texts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return texts


def environ_can_hold(text: str) -> bool:
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@pytest.mark.parametrize("key", BAD_KEYS.values(), ids=BAD_KEYS.keys())
@pytest.mark.parametrize("client", [Client, AsyncClient])
def test_a_key_that_cannot_be_sent_is_refused_at_once_without_showing_it(
    client: type[Client] | type[AsyncClient],
    key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors = []
    with pytest.raises(ValueError) as caught:
        client(api_key=key)
    errors.append(caught.value)
    if environ_can_hold(key):
        monkeypatch.setenv(Client._api_key_env, key)
        with pytest.raises(ValueError) as caught:
            client()
        errors.append(caught.value)
        assert Client._api_key_env in str(caught.value)  # where the key came from
        monkeypatch.delenv(Client._api_key_env)
    good = client(api_key=SECRET)
    with pytest.raises(ValueError) as caught:
        good.with_options(api_key=key)
    errors.append(caught.value)
    for error in errors:
        assert error.__cause__ is None and error.__context__ is None
        for text in texts_of(error):
            assert "S3CRET" not in text


def test_every_printable_ascii_key_is_accepted() -> None:
    key = "".join(chr(c) for c in range(0x21, 0x7F))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"results": [], "next": None})

    Client(
        base_url="http://testserver",
        api_key=key,
        transport=httpx.MockTransport(handler),
    ).persons_list(project_id="1")
    assert seen[0].headers["authorization"] == f"Bearer {key}"


def test_a_cookie_key_refuses_what_a_cookie_cannot_carry() -> None:
    class CookieClient(Client):
        _auth = ("cookie", "session", "")

    for key in ("phx;admin=1", 'phx"', "phx,x", "phx\\"):
        with pytest.raises(ValueError, match="cookie"):
            CookieClient(api_key=key)
    assert CookieClient(api_key="phx_ok")._api_key is not None


# --- any misbehaviour: an ApiError, nothing sent elsewhere, nothing over the cap ---

CAP = 64 * 1024


def behaviours(elsewhere: str) -> st.SearchStrategy[Behaviour]:
    statuses = st.sampled_from([200, 202, 204, 400, 404, 429, 500, 503])
    sizes = st.integers(0, 3 * CAP)
    return st.one_of(
        st.builds(
            lambda status, body: answer(status, body),
            statuses,
            st.binary(max_size=200) | st.just(PAGE) | st.just(DELETED),
        ),
        st.builds(
            lambda size, chunked: huge(size, chunked=chunked), sizes, st.booleans()
        ),
        st.builds(gzip_bomb, sizes),
        st.builds(lambda n: trickle(b" " * n + PAGE, every=0.005), st.integers(0, 20)),
        st.builds(
            lambda cut: reset((head(200, {"Content-Length": "999"}) + DELETED)[:cut]),
            st.integers(0, 120),
        ),
        st.builds(
            lambda status, where, path: redirect(status, where + path),
            st.sampled_from([301, 302, 303, 307, 308]),
            st.sampled_from([elsewhere, ""]),
            st.sampled_from(["/api/projects/1/persons/", "/x", "/"]),
        ),
    )


@st.composite
def scripts(draw: st.DrawFn, elsewhere: str) -> list[Behaviour]:
    return draw(st.lists(behaviours(elsewhere), min_size=1, max_size=3))


@pytest.mark.parametrize(
    "call", [sync_list, async_list, sync_delete, async_delete], ids=lambda c: c.__name__
)
def test_misbehaving_servers_give_api_errors_only(call: Call) -> None:
    with HostileServer(answer(202, DELETED)) as elsewhere:

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(script=scripts(elsewhere.origin))
        def check(script: list[Behaviour]) -> None:
            with HostileServer(chain(*script)) as server:
                try:
                    result = call(
                        server.origin,
                        timeout=1.0,
                        deadline=3.0,
                        max_retries=1,
                        max_response_bytes=CAP,
                    )
                except ResponseTooLargeError:
                    pass  # its body was not kept
                except ApiError as error:
                    if error.response is not None:
                        assert len(error.response.content) <= CAP
                else:
                    assert result is None or hasattr(result, "to_dict")
            assert elsewhere.requests == []

        check()
