"""AsyncClient has the sync client's behaviour: retries, errors, timeouts, options."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
from persons_client import (
    ApiConnectionError,
    AsyncClient,
    PermissionDeniedError,
    RequestOptions,
    ServerError,
)
from persons_client.models import PaginatedPersonList

from .conftest import FakeServer, error_body, json_response

MakeAsync = Callable[..., AsyncClient]


def test_retries_honour_retry_after(
    make_async_client: MakeAsync, sleeps: list[float]
) -> None:
    server = FakeServer(2)
    server.script = [
        json_response(429, {}, **{"Retry-After": "3"}),
        json_response(502, {}),
    ]

    async def main() -> PaginatedPersonList:
        async with make_async_client(server) as client:
            return await client.persons_list(project_id="1")

    assert len(asyncio.run(main()).results) == 2
    assert sleeps[0] == 3.0 and len(sleeps) == 2


def test_errors_are_typed(make_async_client: MakeAsync) -> None:
    server = FakeServer(0)
    server.script = [
        json_response(
            403, error_body("authentication_error", "permission_denied", "no scope")
        )
    ]

    async def main() -> None:
        async with make_async_client(server) as client:
            await client.persons_list(project_id="1")

    with pytest.raises(PermissionDeniedError) as caught:
        asyncio.run(main())
    assert (
        caught.value.body.detail == "no scope" and caught.value.request.method == "GET"
    )


def test_exhausted_retries_and_connection_errors(make_async_client: MakeAsync) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def main(handler: Callable[[httpx.Request], httpx.Response]) -> None:
        async with make_async_client(handler, max_retries=1) as client:
            await client.persons_list(project_id="1")

    with pytest.raises(ApiConnectionError):
        asyncio.run(main(refuse))
    server = FakeServer(0)
    server.script = [json_response(500, {}), json_response(500, {})]
    with pytest.raises(ServerError):
        asyncio.run(main(server))


def test_options_timeouts_and_with_options(make_async_client: MakeAsync) -> None:
    server = FakeServer(0)

    async def main() -> None:
        async with make_async_client(
            server, timeout=9.0, headers={"X-A": "1"}
        ) as client:
            await client.persons_list(project_id="1")
            await client.persons_list(
                project_id="1", options=RequestOptions(timeout=1.5)
            )
            other = client.with_options(timeout=2.5, headers={"X-B": "2"})
            assert isinstance(other, AsyncClient)
            await other.persons_list(project_id="1")
            await other.aclose()  # does not close the shared pool
            await client.persons_list(project_id="1")

    asyncio.run(main())
    timeouts = [r.extensions["timeout"]["read"] for r in server.requests]
    assert timeouts == [9.0, 1.5, 2.5, 9.0]
    assert (
        server.requests[2].headers["x-a"] == "1"
        and server.requests[2].headers["x-b"] == "2"
    )


def test_injected_async_http_client() -> None:
    server = FakeServer(1)

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as http:
            async with AsyncClient(
                base_url="http://testserver", http_client=http
            ) as client:
                await client.persons_list(project_id="1")
            assert not http.is_closed

    asyncio.run(main())
    assert len(server.requests) == 1
