"""The generated server's own behaviour, independent of any implementation's logic."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from persons_server import ROUTES, Context, Problem, create_app
from persons_server._runtime import server_statuses

from examples.app import build
from examples.handler import PersonsHandler
from examples.ratelimit import RateLimits

AUTH = {"Authorization": "Bearer phx_rt"}


class Http:
    """In-process requests to an ASGI app (starlette's TestClient wants httpx2)."""

    def __init__(self, app: object) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)  # type: ignore[arg-type]
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                return await client.request(method, url, **kwargs)  # type: ignore[arg-type]

        return asyncio.run(send())

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def patch(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
def test_every_status_the_runtime_answers_is_documented(route: object) -> None:
    from persons_server._runtime import Route

    assert isinstance(route, Route)
    documented = {int(s) for s in route.responses if s.isdigit()}
    missing = server_statuses(route, rate_limited=True) - documented
    assert not missing, f"{route.operation_id} does not document {sorted(missing)}"


@pytest.fixture
def http(tmp_path: Path) -> Iterator[Http]:
    service = build(tmp_path / "rt.db", rate_limits=RateLimits(enabled=False))
    service.keys.add("phx_rt", ["*"])
    yield Http(service.app)
    service.db.close()


def test_allow_lists_every_method_of_the_path(http: Http) -> None:
    response = http.request(
        "DELETE", "/api/projects/1/persons/funnel/correlation/", headers=AUTH
    )
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert response.json()["code"] == "method_not_allowed"


def test_trailing_slash_is_optional_and_head_works(http: Http) -> None:
    assert http.get("/api/projects/1/persons", headers=AUTH).status_code == 200
    assert http.head("/api/projects/1/persons/", headers=AUTH).status_code == 200


def test_json_null_body_is_validated_not_passed_on(http: Http) -> None:
    response = http.patch(
        "/api/projects/1/persons/1/",
        content=b"null",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_a_union_error_names_the_field_not_the_option(http: Http) -> None:
    """pydantic locates a failed union at each option's tag (`value.str`);
    `attr` names the field, as the request wrote it."""
    import json

    # `value` is str | float | bool | list[...] | None: an object is none of them.
    properties = json.dumps([{"key": "email", "value": {}}])
    response = http.get(
        "/api/projects/1/persons/", params={"properties": properties}, headers=AUTH
    )
    assert response.status_code == 400
    assert response.json()["attr"] == "properties__0__value"


def test_errors_stay_json_when_csv_is_asked_for(http: Http) -> None:
    response = http.get("/api/projects/999/persons/?format=csv", headers=AUTH)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_deeply_nested_json_is_a_parse_error(http: Http) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = http.post(
        "/api/projects/1/persons/bulk_delete/",
        content=body,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_hooks_may_be_async_and_may_raise_problems(tmp_path: Path) -> None:
    service = build(tmp_path / "hooks.db")
    seen: list[str] = []

    async def authenticate(scheme: str, credential: str) -> object:
        await asyncio.sleep(0)
        if credential == "banned":
            raise Problem(
                401, "authentication_error", "authentication_failed", "Banned."
            )
        return service.keys.authenticate(scheme, credential)

    async def rate_limit(ctx: Context) -> float | None:
        seen.append(f"{ctx.operation_id}/{ctx.handler}")
        return 2.5 if ctx.handler == "persons_values_retrieve" else None

    service.keys.add("phx_hooks", ["*"])
    app = create_app(
        PersonsHandler(service.db),
        authenticate=authenticate,  # type: ignore[arg-type]
        rate_limit=rate_limit,
    )
    client = Http(app)
    ok = client.get(
        "/api/environments/1/persons/", headers={"Authorization": "Bearer phx_hooks"}
    )
    assert ok.status_code == 200
    throttled = client.get(
        "/api/projects/1/persons/values/?key=a",
        headers={"Authorization": "Bearer phx_hooks"},
    )
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "3"
    banned = client.get(
        "/api/projects/1/persons/", headers={"Authorization": "Bearer banned"}
    )
    assert banned.status_code == 401 and banned.json()["detail"] == "Banned."
    assert seen == [
        "environments_persons_list/persons_list",
        "persons_values_retrieve/persons_values_retrieve",
    ]
    service.db.close()
