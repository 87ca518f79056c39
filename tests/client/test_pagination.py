"""Pagination: lazy iteration following `next`, sync and async, and its edge cases."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from persons_client import AsyncClient, Client, NotFoundError, RequestOptions
from persons_client.models import (
    PaginatedPersonList,
    PersonListItem,
    PropertyFilter,
    PropertyFilterOperator,
)

from .conftest import KEY, FakeServer, error_body, json_response, person

MakeClient = Callable[..., Client]


def page(results: list[dict[str, Any]], **fields: Any) -> httpx.Response:
    return json_response(200, {"results": results, **fields})


@pytest.mark.parametrize(
    ("total", "limit", "requests"), [(25, 10, 3), (30, 10, 4), (0, 10, 1), (5, 10, 1)]
)
def test_every_item_once_in_order(
    make_client: MakeClient, total: int, limit: int, requests: int
) -> None:
    server = FakeServer(total)
    client = make_client(server)
    names = [
        p.name
        for p in client.paginate(client.persons_list, project_id="1", limit=limit)
    ]
    assert names == [f"person {i}" for i in range(total)]
    # A full last page has a `next` whose page is empty: one request more.
    assert len(server.requests) == requests


def test_iteration_is_lazy(make_client: MakeClient) -> None:
    server = FakeServer(100)
    client = make_client(server)
    items = client.paginate(client.persons_list, project_id="1", limit=10)
    assert server.requests == []
    first = next(items)
    assert isinstance(first, PersonListItem) and len(server.requests) == 1
    for _ in range(10):
        next(items)
    assert len(server.requests) == 2


def test_filters_and_options_follow_every_page(make_client: MakeClient) -> None:
    server = FakeServer(25)
    client = make_client(server)
    filters = [
        PropertyFilter(
            key="email", value="example.com", operator=PropertyFilterOperator.ICONTAINS
        )
    ]
    options = RequestOptions(timeout=3.0, headers={"X-Trace": "t"})
    assert (
        len(
            list(
                client.paginate(
                    client.persons_list,
                    project_id="1",
                    limit=10,
                    properties=filters,
                    options=options,
                )
            )
        )
        == 25
    )
    encoded = [{"key": "email", "value": "example.com", "operator": "icontains"}]
    offsets = [r.url.params.get("offset") for r in server.requests]
    assert offsets == [None, "10", "20"]
    for request in server.requests:
        assert json.loads(request.url.params["properties"]) == encoded
        assert request.url.params["limit"] == "10"
        assert request.headers["x-trace"] == "t"
        assert request.extensions["timeout"]["read"] == 3.0
        assert request.headers["authorization"].startswith("Bearer ")


@pytest.mark.parametrize(
    "last",
    [{}, {"next": None}, {"next": ""}],
    ids=["next absent", "next null", "next empty"],
)
def test_last_page(make_client: MakeClient, last: dict[str, Any]) -> None:
    server = FakeServer(0)
    server.script = [
        page([person(0)], next="http://testserver/api/projects/1/persons/?offset=1"),
        page([person(1)], previous=None, **last),
    ]
    client = make_client(server)
    assert [p.name for p in client.paginate(client.persons_list, project_id="1")] == [
        "person 0",
        "person 1",
    ]
    assert len(server.requests) == 2


def test_next_absent_decodes_as_null(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [page([])]
    single = make_client(server).persons_list(project_id="1")
    assert single.next is None and single.results == []


def test_empty_page_with_next_keeps_going(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        page([], next="http://testserver/api/projects/1/persons/?offset=10"),
        page([person(10)], next=None),
    ]
    client = make_client(server)
    assert [p.name for p in client.paginate(client.persons_list, project_id="1")] == [
        "person 10"
    ]


def test_a_next_loop_ends(make_client: MakeClient) -> None:
    loop = "http://testserver/api/projects/1/persons/?offset=1"
    server = FakeServer(0)
    server.script = [page([person(0)], next=loop), page([person(1)], next=loop)]
    client = make_client(server)
    assert len(list(client.paginate(client.persons_list, project_id="1"))) == 2
    assert len(server.requests) == 2


def test_next_links_never_leave_the_base_url(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        page(
            [person(0)],
            next="https://evil.example/api/projects/1/persons/?offset=1&limit=1",
        ),
        page([person(1)], next="/api/projects/1/persons/?offset=2&limit=1"),
        page([person(2)], next=None),
    ]
    client = make_client(server)
    assert len(list(client.paginate(client.persons_list, project_id="1"))) == 3
    urls = [str(r.url) for r in server.requests]
    assert urls[1] == "http://testserver/api/projects/1/persons/?offset=1&limit=1"
    assert urls[2] == "http://testserver/api/projects/1/persons/?offset=2&limit=1"


def test_next_links_never_downgrade_the_scheme(make_client: MakeClient) -> None:
    # Same host, plain http: following it would send the key in clear.
    server = FakeServer(0)
    server.script = [
        page([person(0)], next="http://testserver/api/projects/1/persons/?offset=1"),
        page(
            [person(1)], next="http://testserver:443/api/projects/1/persons/?offset=2"
        ),
        page([person(2)], next=None),
    ]
    client = make_client(server, base_url="https://testserver")
    assert len(list(client.paginate(client.persons_list, project_id="1"))) == 3
    urls = [str(r.url) for r in server.requests]
    assert urls[1:] == [
        "https://testserver/api/projects/1/persons/?offset=1",
        "https://testserver/api/projects/1/persons/?offset=2",
    ]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)


def test_retries_and_errors_while_paging(
    make_client: MakeClient, sleeps: list[float]
) -> None:
    server = FakeServer(30)
    client = make_client(server)
    items = client.paginate(client.persons_list, project_id="1", limit=10)
    for _ in range(10):
        next(items)
    server.script = [
        json_response(
            429,
            error_body("throttled_error", "throttled", "wait"),
            **{"Retry-After": "2"},
        )
    ]
    assert next(items).name == "person 10"
    assert sleeps == [2.0]
    for _ in range(9):
        next(items)
    server.script = [
        json_response(404, error_body("invalid_request", "not_found", "Not found."))
    ]
    with pytest.raises(NotFoundError):
        next(items)


def test_a_single_page_stays_available(make_client: MakeClient) -> None:
    client = make_client(FakeServer(25))
    first = client.persons_list(project_id="1", limit=10)
    assert isinstance(first, PaginatedPersonList)
    assert (
        len(first.results) == 10
        and first.next is not None
        and "offset=10" in first.next
    )


def test_async_pagination(
    make_async_client: Callable[..., AsyncClient], sleeps: list[float]
) -> None:
    server = FakeServer(25)

    async def main() -> list[str]:
        async with make_async_client(server) as client:
            server.script = [json_response(503, {})]
            return [
                p.name
                async for p in client.paginate(
                    client.persons_list, project_id="1", limit=10
                )
            ]

    assert asyncio.run(main()) == [f"person {i}" for i in range(25)]
    assert len(server.requests) == 4 and len(sleeps) == 1


def test_async_pagination_edge_cases(
    make_async_client: Callable[..., AsyncClient],
) -> None:
    server = FakeServer(0)
    server.script = [
        page([], next="https://elsewhere/api/projects/1/persons/?offset=10"),
        page([person(10)]),
    ]

    async def main() -> list[str]:
        async with make_async_client(server) as client:
            return [
                p.name
                async for p in client.paginate(client.persons_list, project_id="1")
            ]

    assert asyncio.run(main()) == ["person 10"]
    assert server.requests[1].url.host == "testserver"
    assert json.loads(server.requests[1].url.params.get("offset", "0")) == 10
