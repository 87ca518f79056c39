"""Fixtures for the generated client's tests: a fake PostHog behind httpx.MockTransport."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import GENERATED

# The committed client, importable as `persons_client` by every test here.
if str(GENERATED) not in sys.path:
    sys.path.insert(0, str(GENERATED))

from persons_client import AsyncClient, Client

BASE = "http://testserver"
KEY = "phx_TEST_SECRET_KEY_0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def person(i: int, **extra: Any) -> dict[str, Any]:
    """A list item as the server sends it."""
    return {
        "id": f"00000000-0000-0000-0000-{i:012d}",
        "uuid": f"00000000-0000-0000-0000-{i:012d}",
        "name": f"person {i}",
        "distinct_ids": [f"d{i}"],
        "properties": {"email": f"p{i}@example.com"},
        "created_at": "2024-05-01T12:00:00Z",
        "is_identified": True,
        "type": "person",
        **extra,
    }


def error_body(type_: str, code: str, detail: str, attr: str | None = None) -> Any:
    return {"type": type_, "code": code, "detail": detail, "attr": attr}


class FakeServer:
    """Serves `total` persons by limit/offset with absolute `next` links, like PostHog."""

    def __init__(self, total: int, *, origin: str = BASE) -> None:
        self.total = total
        self.origin = origin
        self.requests: list[httpx.Request] = []
        # Responses to send first, before the normal page logic (e.g. a 429).
        self.script: list[httpx.Response] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            return self.script.pop(0)
        query = request.url.params
        if query.get("format") == "csv" or "text/csv" in request.headers.get(
            "accept", ""
        ):
            rows = "".join(f"{i},p{i}@example.com\n" for i in range(self.total))
            return httpx.Response(
                200,
                text="id,properties.email\n" + rows,
                headers={"Content-Type": "text/csv; charset=utf-8"},
            )
        limit = int(query.get("limit", 100))
        offset = int(query.get("offset", 0))
        results = [person(i) for i in range(offset, min(offset + limit, self.total))]
        following = None
        if len(results) >= limit:
            params = dict(query) | {"offset": str(offset + limit)}
            following = str(httpx.URL(self.origin + request.url.path, params=params))
        return httpx.Response(
            200, json={"results": results, "next": following, "previous": None}
        )


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


@pytest.fixture(autouse=True)
def _no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(Client._api_key_env, raising=False)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(handler: Handler, **settings: Any) -> Client:
        settings.setdefault("base_url", BASE)
        settings.setdefault("api_key", KEY)
        client = Client(
            transport=httpx.MockTransport(handler), sleep=sleeps.append, **settings
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def make_async_client(sleeps: list[float]) -> Callable[..., AsyncClient]:
    def make(handler: Handler, **settings: Any) -> AsyncClient:
        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        settings.setdefault("base_url", BASE)
        settings.setdefault("api_key", KEY)
        return AsyncClient(
            transport=httpx.MockTransport(handler), sleep=sleep, **settings
        )

    return make
