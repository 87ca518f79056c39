"""The generated server's own behaviour, independent of any implementation's logic."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from persons_server import ROUTES, Context, Problem, create_app
from persons_server._runtime import ParamsModel, server_statuses

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


@pytest.mark.parametrize("path", ["values/", "values", "funnel/correlation/"])
@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_a_concrete_path_is_matched_before_a_templated_one(
    http: Http, method: str, path: str
) -> None:
    """`/persons/values/` is not `/persons/{id}/` with `id` "values", even for
    a method only `{id}` serves (the last, two segments deep: no sibling)."""
    response = http.request(method, f"/api/projects/1/persons/{path}", headers=AUTH)
    assert response.status_code == 405, response.text
    assert response.json()["code"] == "method_not_allowed"


def test_a_templated_path_still_takes_what_no_concrete_one_matches(
    http: Http,
) -> None:
    response = http.request(
        "PATCH", "/api/projects/1/persons/1/", json={"properties": {}}, headers=AUTH
    )
    assert response.status_code == 404, response.text


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


# --- bodies: media type, size and depth ---------------------------------------

JSON = {**AUTH, "Content-Type": "application/json"}


def test_a_json_body_without_content_type_is_415(http: Http) -> None:
    # The README: 415 for non-JSON bodies; no type at all is not JSON either.
    response = http.patch(
        "/api/projects/1/persons/1/", content=b'{"properties": {}}', headers=AUTH
    )
    assert response.status_code == 415
    assert response.json() == {
        "type": "invalid_request",
        "code": "unsupported_media_type",
        "detail": 'Unsupported media type "none" in request.',
        "attr": None,
    }


def nested(depth: int) -> bytes:
    """A PATCH body nesting exactly `depth` objects and arrays."""
    return b'{"properties": {"k": ' + b"[" * (depth - 2) + b"]" * (depth - 2) + b"}}"


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Http]:
    """The reference handler under limits small enough to reach in a test."""
    service = build(tmp_path / "small.db", rate_limits=RateLimits(enabled=False))
    service.keys.add("phx_rt", ["*"])
    app = create_app(
        PersonsHandler(service.db),
        authenticate=service.keys.authenticate,
        max_body_bytes=200,
        max_json_depth=5,
    )
    yield Http(app)
    service.db.close()


def test_body_size_and_depth_limits_are_settable(small: Http) -> None:
    # Accepted bodies reach the handler (404: no such person); others do not.
    url = "/api/projects/1/persons/1/"
    exact = b'{"properties": {"k": "' + b"x" * 175 + b'"}}'
    assert len(exact) == 200
    assert small.patch(url, content=exact, headers=JSON).status_code == 404
    over = small.patch(url, content=exact + b" ", headers=JSON)
    assert over.status_code == 413
    assert over.json()["code"] == "request_too_large"
    assert set(over.json()) == {"type", "code", "detail", "attr"}
    assert small.patch(url, content=nested(5), headers=JSON).status_code == 404
    deep = small.patch(url, content=nested(6), headers=JSON)
    assert deep.status_code == 400
    assert deep.json()["detail"] == "JSON parse error - nested deeper than 5 levels"


def test_a_chunked_body_is_counted_as_it_comes(small: Http) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        yield b'{"properties": {"k": "'
        for _ in range(10):
            yield b"x" * 20
        yield b'"}}'

    response = small.patch("/api/projects/1/persons/1/", content=pieces(), headers=JSON)
    assert response.status_code == 413


@pytest.mark.parametrize("length", ["201", "9" * 5000, "0" * 30 + "201"])
def test_a_declared_length_over_the_limit_is_refused_unread(
    small: Http, length: str
) -> None:
    response = small.patch(
        "/api/projects/1/persons/1/",
        content=b"{}",
        headers={**JSON, "Content-Length": length},
    )
    assert response.status_code == 413


def test_json_parameters_nest_within_the_limit(small: Http) -> None:
    def filters(depth: int) -> str:
        return "[" * depth + "]" * depth

    ok = small.get(f"/api/projects/1/persons/?properties={filters(5)}", headers=AUTH)
    assert ok.status_code != 400 or ok.json()["code"] != "parse_error"
    deep = small.get(f"/api/projects/1/persons/?properties={filters(6)}", headers=AUTH)
    assert deep.status_code == 400
    assert (deep.json()["code"], deep.json()["attr"]) == ("parse_error", "properties")


@pytest.mark.parametrize(
    "limits",
    [{"max_json_depth": 0}, {"max_json_depth": 129}, {"max_body_bytes": -1}],
)
def test_limits_that_could_not_be_served_are_refused(
    tmp_path: Path, limits: dict[str, int]
) -> None:
    service = build(tmp_path / "l.db")
    with pytest.raises(ValueError):
        create_app(
            PersonsHandler(service.db), authenticate=service.keys.authenticate, **limits
        )
    service.db.close()


# --- handlers: missing methods, unimplemented operations, errors ---------------


class Tiny:
    """A handler written without the interface at hand: three methods."""

    async def persons_list(self, ctx: Context, params: object) -> object:
        raise NotImplementedError

    async def persons_retrieve(self, ctx: Context, params: object) -> object:
        raise NotImplementedError

    persons_values_retrieve = None  # not callable: as good as missing


def test_a_handler_lacking_methods_is_refused_naming_them_all() -> None:
    with pytest.raises(TypeError) as caught:
        create_app(Tiny(), authenticate=lambda scheme, key: None)  # type: ignore[arg-type]
    message = str(caught.value)
    wanted = {route.handler for route in ROUTES} - {"persons_list", "persons_retrieve"}
    named = set(re.findall(r"\bpersons_\w+", message))
    assert named == wanted
    assert message.startswith(f"Tiny lacks {len(wanted)} method(s)")


class Failing(PersonsHandler):
    async def persons_retrieve(self, ctx: Context, params: Any) -> Any:
        raise NotImplementedError

    async def persons_list(self, ctx: Context, params: Any) -> Any:
        raise RuntimeError("a bug in the handler")


@pytest.fixture
def failing(tmp_path: Path) -> Iterator[Http]:
    service = build(tmp_path / "f.db")
    service.keys.add("phx_rt", ["*"])
    yield Http(create_app(Failing(service.db), authenticate=service.keys.authenticate))
    service.db.close()


def test_an_unimplemented_operation_is_501_without_a_traceback(
    failing: Http, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for path in ("/api/projects/1/persons/7/", "/api/environments/1/persons/7/"):
        response = failing.get(path, headers=AUTH)
        assert response.status_code == 501
        operation = (
            "persons_retrieve"
            if "projects" in path
            else "environments_persons_retrieve"
        )
        assert response.json() == {
            "type": "server_error",
            "code": "not_implemented",
            "detail": f"{operation} is not implemented by this server.",
            "attr": None,
        }
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_an_unhandled_error_is_500_and_logged_once(
    failing: Http, caplog: pytest.LogCaptureFixture
) -> None:
    # ASGITransport raises what the app re-raises, as uvicorn logs it: a
    # second traceback. The answer is the only trace besides our one record.
    response = failing.get("/api/projects/1/persons/", headers=AUTH)
    assert response.status_code == 500
    assert response.json() == {
        "type": "server_error",
        "code": "error",
        "detail": "A server error occurred.",
        "attr": None,
    }
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "persons_list" in logged[0].getMessage()


# --- the runtimes are spec-independent ------------------------------------------


def test_every_package_carries_the_runtimes_verbatim() -> None:
    """Why the feature goldens leave `_runtime.py` out, and why the behaviour
    tests of the persons packages cover every generated package's runtime:
    each is the template itself, after its header line, whatever the spec."""
    from generator.pipeline import Options, run

    root = Path(__file__).resolve().parents[2]
    result = run(Options(spec="tests/golden/security/spec.yaml", jobs=1), None)
    assert result.files is not None
    runtimes = {p: t for p, t in result.files.items() if p.endswith("/_runtime.py")}
    assert len(runtimes) == 2
    for path, text in runtimes.items():
        side = "client" if path.split("/")[0].endswith("_client") else "server"
        template = (root / "templates" / side / "_runtime.py").read_text()
        header, _, body = text.partition("\n")
        assert header.startswith("# Generated by") and body == template


def test_fields_may_be_named_as_pydantic_methods() -> None:
    # A spec parameter or property named `json`, `copy` or `schema` is a field;
    # pydantic's warning about it would be an error here (and in any test
    # suite that turns warnings into errors), stopping the import.
    from persons_server._runtime import ApiModel, ParamsModel

    class Params(ParamsModel):
        json: int | None = None
        schema: str | None = None

    class Body(ApiModel):
        copy: list[int] = []

    assert Params.model_validate({"json": "3", "schema": "s"}).json == 3
    assert Body.model_validate({"copy": [1]}).copy == [1]


def test_a_header_parameter_no_request_can_carry_is_absent() -> None:
    # A spec may name a header in any script; HTTP header names are ASCII,
    # so such a parameter is simply never sent (not a 500).
    from persons_server._runtime import ParamSpec, Route, _collect
    from starlette.requests import Request

    class Params(ParamsModel):
        pass

    route = Route("op", "GET", "/", "op", Params, (ParamSpec("殯x", "header"),))
    scope = {"type": "http", "headers": [(b"x", b"1")], "query_string": b""}
    assert _collect(route, Request(scope)) == {}
