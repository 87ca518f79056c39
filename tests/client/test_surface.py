"""The client's surface: configuration, deprecation, raw and CSV access, secrets."""

from __future__ import annotations

import asyncio
import inspect
import logging
import pickle
from collections.abc import Callable
from pathlib import Path

import httpx
import persons_client
import pytest
from persons_client import (
    ApiResponse,
    AsyncClient,
    AuthenticationError,
    Client,
    RequestOptions,
    ResponseDecodeError,
)
from persons_client.models import PaginatedPersonList, PersonRecord

from .conftest import BASE, KEY, FakeServer, error_body, json_response, person

MakeClient = Callable[..., Client]


def test_one_client_reaches_both_scopes(make_client: MakeClient) -> None:
    server = FakeServer(1)
    client = make_client(server)
    client.persons_list(project_id="7")
    with pytest.warns(
        DeprecationWarning, match="environments_persons_list is deprecated"
    ):
        client.environments_persons_list(environment_id="8")
    assert [r.url.path for r in server.requests] == [
        "/api/projects/7/persons/",
        "/api/environments/8/persons/",
    ]


def test_methods_are_keyword_only_typed_and_documented() -> None:
    for cls in (Client, AsyncClient):
        method = cls.persons_list
        signature = inspect.signature(method)
        params = list(signature.parameters.values())[1:]
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
        assert signature.return_annotation == "PaginatedPersonList"
        assert method.__doc__ and method.__doc__.startswith("List persons")
    assert inspect.iscoroutinefunction(AsyncClient.persons_list)
    assert (
        (Client.environments_persons_list.__doc__ or "")
        .rstrip()
        .endswith("Deprecated.")
    )
    sync = {n for n in dir(Client) if not n.startswith("_")}
    asynchronous = {n for n in dir(AsyncClient) if not n.startswith("_")}
    assert sync - {"close", "__enter__"} == asynchronous - {"aclose"}


def test_deprecation_warning_points_at_the_caller(make_client: MakeClient) -> None:
    client = make_client(FakeServer(2))
    with pytest.warns(DeprecationWarning) as direct:
        client.environments_persons_list(environment_id="1")
    with pytest.warns(DeprecationWarning) as raw:
        client.raw(client.environments_persons_list, environment_id="1")
    with pytest.warns(DeprecationWarning) as paged:
        list(client.paginate(client.environments_persons_list, environment_id="1"))
    for record in (*direct, *raw, *paged):
        assert record.filename == __file__


def test_async_deprecation_warning(
    make_async_client: Callable[..., AsyncClient],
) -> None:
    async def main() -> None:
        async with make_async_client(FakeServer(1)) as client:
            await client.environments_persons_list(environment_id="1")

    with pytest.warns(DeprecationWarning) as caught:
        asyncio.run(main())
    assert caught[0].filename == __file__


def test_base_url_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return json_response(200, {"results": [], "next": None, "previous": None})

    transport = httpx.MockTransport(handle)
    with Client(transport=transport) as client:
        client.persons_list(project_id="1")
    assert str(seen[0].url).startswith("https://us.posthog.com/api/projects/1/persons/")
    assert "authorization" not in seen[0].headers
    with Client(base_url="https://eu.posthog.com/", transport=transport) as client:
        client.persons_list(project_id="1")
    assert seen[1].url.host == "eu.posthog.com"


def test_api_key_from_argument_or_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    assert Client._api_key_env  # the generator names the variable
    server = FakeServer(0)
    make_client(server).persons_list(project_id="1")
    monkeypatch.setenv(Client._api_key_env, "phx_from_environment")
    make_client(server, api_key=None).persons_list(project_id="1")
    make_client(server, api_key="phx_argument_wins").persons_list(project_id="1")
    assert [r.headers["authorization"] for r in server.requests] == [
        f"Bearer {KEY}",
        "Bearer phx_from_environment",
        "Bearer phx_argument_wins",
    ]
    readme = Path(persons_client.__file__).with_name("README.md").read_text("utf-8")
    assert Client._api_key_env in readme


def test_default_and_per_call_headers(make_client: MakeClient) -> None:
    server = FakeServer(0)
    client = make_client(server, headers={"X-Team": "a", "User-Agent": "mine/1.0"})
    client.persons_list(project_id="1", options=RequestOptions(headers={"X-Call": "b"}))
    client.with_options(headers={"X-Team": "c"}).persons_list(project_id="1")
    first, second = server.requests
    assert (
        first.headers["x-team"],
        first.headers["x-call"],
        first.headers["user-agent"],
    ) == ("a", "b", "mine/1.0")
    assert second.headers["x-team"] == "c" and "x-call" not in second.headers
    assert first.headers["accept"] == "application/json"


def test_injected_http_client_is_used_and_left_open() -> None:
    server = FakeServer(1)
    http = httpx.Client(
        transport=httpx.MockTransport(server), headers={"X-From": "outer"}
    )
    with Client(base_url=BASE, api_key=KEY, http_client=http) as client:
        client.persons_list(project_id="1")
    assert server.requests[0].headers["x-from"] == "outer"
    assert not http.is_closed
    http.close()


def test_context_manager_closes_its_own_pool() -> None:
    with Client(base_url=BASE, transport=httpx.MockTransport(FakeServer(0))) as client:
        copy = client.with_options(timeout=1.0)
        copy.close()  # a copy never closes the shared pool
        assert not client._http.is_closed
    assert client._http.is_closed


def test_with_options_is_a_cheap_independent_copy(make_client: MakeClient) -> None:
    server = FakeServer(0)
    client = make_client(server, timeout=10.0)
    other = client.with_options(
        base_url="http://other/", api_key="phx_other", timeout=1.0, deadline=3.0
    )
    assert type(other) is Client and other._http is client._http
    assert (client.base_url, client.timeout, client.deadline) == (BASE, 10.0, None)
    assert (other.base_url, other.timeout, other.deadline) == ("http://other", 1.0, 3.0)
    other.persons_list(project_id="1")
    assert server.requests[0].headers["authorization"] == "Bearer phx_other"
    unauthenticated = client.with_options(api_key=None)
    unauthenticated.persons_list(project_id="1")
    assert "authorization" not in server.requests[1].headers


def test_headers_follow_the_client_settings_of_each_call(
    make_client: MakeClient,
) -> None:
    # A client's own httpx client sends its usual headers by itself; a call
    # whose headers differ (settings changed since, a copy, per-call options)
    # still sends exactly its own.
    server = FakeServer(0)
    client = make_client(server, headers={"X-Team": "a", "X-Gone": "1"})
    client.persons_list(project_id="1")
    client.headers["X-Team"] = "b"
    del client.headers["X-Gone"]
    client.persons_list(project_id="1")
    client.persons_list(
        project_id="1", options=RequestOptions(headers={"Authorization": "Bearer x"})
    )
    client.with_options(api_key=None, headers={"X-Team": "c"}).persons_list(
        project_id="1"
    )
    client.persons_list(project_id="1")
    seen = [
        (
            r.headers.get("x-team"),
            r.headers.get("x-gone"),
            r.headers.get_list("authorization"),
        )
        for r in server.requests
    ]
    assert seen == [
        ("a", "1", [f"Bearer {KEY}"]),
        ("b", None, [f"Bearer {KEY}"]),
        ("b", None, ["Bearer x"]),
        ("c", None, []),
        ("b", None, [f"Bearer {KEY}"]),
    ]
    assert all(r.headers["accept"] == "application/json" for r in server.requests)


def test_async_copy_without_key_sends_none(
    make_async_client: Callable[..., AsyncClient],
) -> None:
    server = FakeServer(0)

    async def main() -> None:
        async with make_async_client(server) as client:
            await client.with_options(api_key=None).persons_list(project_id="1")
            await client.persons_list(project_id="1")

    asyncio.run(main())
    assert [r.headers.get("authorization") for r in server.requests] == [
        None,
        f"Bearer {KEY}",
    ]


def test_raw_response(make_client: MakeClient) -> None:
    server = FakeServer(3)
    server.script = [
        json_response(
            200,
            {"results": [person(1)], "next": None, "previous": None},
            **{"X-Extra": "yes"},
        )
    ]
    client = make_client(server)
    raw = client.raw(client.persons_list, project_id="1")
    assert isinstance(raw, ApiResponse)
    assert raw.status_code == 200 and raw.headers["x-extra"] == "yes"
    assert raw.json()["results"][0]["name"] == "person 1" and b"person 1" in raw.content
    assert (
        isinstance(raw.parsed, PaginatedPersonList)
        and raw.parsed.results[0].name == "person 1"
    )
    assert raw.http.request.url.path == "/api/projects/1/persons/"


def test_raw_of_an_empty_body_and_errors(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        httpx.Response(202),
        json_response(
            401, error_body("authentication_error", "not_authenticated", "no")
        ),
    ]
    client = make_client(server)
    raw = client.raw(client.persons_destroy, project_id="1", id="5")
    assert raw.status_code == 202 and raw.parsed is None
    with pytest.raises(AuthenticationError):
        client.raw(client.persons_destroy, project_id="1", id="5")
    with pytest.raises(TypeError):
        client.raw(len, "not an operation")  # type: ignore[arg-type]


def test_async_raw(make_async_client: Callable[..., AsyncClient]) -> None:
    async def main() -> ApiResponse[PersonRecord]:
        server = FakeServer(0)
        server.script = [
            json_response(
                200,
                {
                    "id": 5,
                    "uuid": "u",
                    "name": "n",
                    "distinct_ids": [],
                    "properties": {},
                    "created_at": "2024-01-01T00:00:00Z",
                },
            )
        ]
        async with make_async_client(server) as client:
            return await client.raw(client.persons_retrieve, project_id="1", id="5")

    raw = asyncio.run(main())
    assert raw.status_code == 200 and raw.parsed.id == 5


def test_csv(make_client: MakeClient) -> None:
    server = FakeServer(3)
    client = make_client(server)
    text = client.csv(client.persons_list, project_id="1", search="p")
    assert text.splitlines() == [
        "id,properties.email",
        "0,p0@example.com",
        "1,p1@example.com",
        "2,p2@example.com",
    ]
    request = server.requests[0]
    assert request.url.params["format"] == "csv" and request.url.params["search"] == "p"
    assert request.headers["accept"] == "text/csv"
    with pytest.raises(TypeError, match="no CSV form"):
        client.csv(client.persons_retrieve, project_id="1", id="1")


def test_csv_when_the_server_answers_json(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        json_response(200, {"results": [], "next": None, "previous": None})
    ]
    client = make_client(server)
    with pytest.raises(ResponseDecodeError, match="expected text/csv"):
        client.csv(client.persons_list, project_id="1")


def test_csv_without_the_helper_says_what_to_do(make_client: MakeClient) -> None:
    client = make_client(FakeServer(2))
    with pytest.raises(ResponseDecodeError, match=r"client\.csv"):
        client.persons_list(project_id="1", format="csv")  # type: ignore[arg-type]


def test_async_csv(make_async_client: Callable[..., AsyncClient]) -> None:
    async def main() -> str:
        async with make_async_client(FakeServer(1)) as client:
            return await client.csv(client.persons_list, project_id="1")

    assert asyncio.run(main()) == "id,properties.email\n0,p0@example.com\n"


# --- secrets ----------------------------------------------------------------


def test_secret_never_in_repr_str_or_exceptions(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = FakeServer(0)
    server.script = [
        json_response(503, {}),
        json_response(
            401,
            error_body("authentication_error", "authentication_failed", "Invalid key"),
        ),
    ]
    client = make_client(server)
    texts = [
        repr(client),
        str(client),
        repr(client.__dict__),
        repr(client.with_options(timeout=1)),
    ]
    with pytest.raises(AuthenticationError) as caught:
        client.persons_list(project_id="1")
    error = caught.value
    texts += [
        str(error),
        repr(error),
        repr(error.request),
        repr(error.request.headers),
        repr(error.response),
    ]
    texts += [repr(vars(error)), caplog.text]
    assert "persons_list: HTTP 503; retry 1 of 2" in caplog.text
    for text in texts:
        assert KEY not in text
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    with pytest.raises(TypeError):
        pickle.dumps(client._api_key)


def test_secret_not_in_connection_errors(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = make_client(refuse, max_retries=1)
    with pytest.raises(persons_client.ApiConnectionError) as caught:
        client.persons_list(project_id="1")
    for text in (
        str(caught.value),
        repr(caught.value),
        repr(caught.value.request),
        caplog.text,
    ):
        assert KEY not in text
