"""What the server runtime promises about replies, errors and routing.

A handler's reply is answered as the spec documents it (status, headers,
body type, CSV when asked for), or not at all (a 500, logged); every error
the runtime answers is in the spec's error shape `{type, code, detail,
attr}`; paths are matched as sent, concrete before templated. Routes are
built here from handler methods of this module.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import Annotated, Any, Generic, Literal, TypeVar

import pytest
from persons_server._runtime import (
    Context,
    ParamsModel,
    Problem,
    RangeReply,
    Reply,
    Route,
    Scope,
    _literal_converters,
    build_app,
    render_csv,
    route,
    server_statuses,
    throttled,
    validation_problem,
)
from persons_server.interface import Created, NotFound, Ok
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tests.server.test_runtime import Http

_B = TypeVar("_B", covariant=True)


@dataclasses.dataclass(frozen=True, slots=True)
class ClientError(RangeReply[_B], Generic[_B]):
    key = "4XX"


@dataclasses.dataclass(frozen=True, slots=True)
class NoContent(Reply[_B], Generic[_B]):
    status = 204


@dataclasses.dataclass(frozen=True, slots=True)
class Default(RangeReply[_B], Generic[_B]):
    key = "default"


class Item(BaseModel):
    name: str
    kind: str | None = Field(None, alias="item-kind")
    size: int | None = None


class NoParams(ParamsModel):
    pass


class Where(ParamsModel):
    project_id: str | None = None
    name: str | None = None
    ext: str | None = None
    id: str | None = None


REPLIES: dict[str, Any] = {}


class Api:
    """Each method answers what `REPLIES` holds under its name."""

    async def item(
        self, ctx: Context, params: NoParams
    ) -> Ok[Item] | ClientError[dict[str, Any]] | NoContent[None]:
        return REPLIES["item"]  # type: ignore[no-any-return]

    async def anything(
        self, ctx: Context, params: NoParams
    ) -> Ok[Any] | Default[dict[str, Any]]:
        return REPLIES["anything"]  # type: ignore[no-any-return]

    async def text(self, ctx: Context, params: NoParams) -> Ok[str] | Created[bytes]:
        return REPLIES["text"]  # type: ignore[no-any-return]

    async def rows(
        self, ctx: Context, params: NoParams
    ) -> Ok[dict[str, Any]] | NotFound[dict[str, Any]]:
        return REPLIES["rows"]  # type: ignore[no-any-return]

    async def where(self, ctx: Context, params: Where) -> Ok[dict[str, Any]]:
        scope = ctx.scope
        return Ok(
            {
                "params": params.model_dump(exclude_none=True),
                "scope": dataclasses.astuple(scope) if scope else None,
                "operation": ctx.operation_id,
                "handler": ctx.handler,
            }
        )

    async def fails(self, ctx: Context, params: NoParams) -> Ok[None]:
        raise NotImplementedError


def serve(routes: list[Route], **options: Any) -> Http:
    return Http(
        build_app(
            Api(),
            routes,
            (),
            authenticate=lambda scheme, credential: None,
            title="t",
            version="1",
            spec_json="{}",
            **options,
        )
    )


def answer(name: str, reply: Any, **request: Any) -> Any:
    REPLIES[name] = reply
    method = getattr(Api, name)
    return serve([route("GET", "/r", method, csv=True)]).get("/r", **request)


# --- replies --------------------------------------------------------------------


def test_a_model_is_answered_by_wire_name_without_unset_fields() -> None:
    reply = answer("item", Ok(Item.model_validate({"name": "a", "item-kind": None})))
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {"name": "a", "item-kind": None}


def test_a_reply_keeps_its_headers() -> None:
    reply = answer(
        "item", Ok(Item.model_validate({"name": "a"}), headers={"X-Total": "3"})
    )
    assert reply.headers["X-Total"] == "3"


def test_a_range_reply_answers_its_own_status() -> None:
    reply = answer("item", ClientError(418, {"why": "teapot"}))
    assert reply.status_code == 418 and reply.json() == {"why": "teapot"}
    other = answer("anything", Default(503, {"why": "busy"}))
    assert other.status_code == 503 and other.json() == {"why": "busy"}


def test_a_reply_without_a_body_is_empty() -> None:
    reply = answer("item", NoContent(None))
    assert reply.status_code == 204 and reply.content == b""


def test_any_body_may_be_null() -> None:
    reply = answer("anything", Ok(None))
    assert reply.status_code == 200 and reply.json() is None
    assert answer("anything", Ok([1, "a"])).json() == [1, "a"]


def test_text_and_bytes_are_answered_as_they_are() -> None:
    text = answer("text", Ok("héllo"))
    assert text.text == "héllo"
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    raw = answer("text", Created(b"\x00\x01"))
    assert raw.status_code == 201 and raw.content == b"\x00\x01"
    assert raw.headers["content-type"] == "application/octet-stream"
    typed = answer("text", Ok("<p>", headers={"content-type": "text/html"}))
    assert typed.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("name", "reply", "message"),
    [
        (
            "item",
            Created(Item.model_validate({"name": "a"})),
            "item answered 201, which item does not document",
        ),
        ("item", Default(500, {}), "item answered 500, which item does not document"),
        ("item", {"name": "a"}, "item returned dict, not a reply the spec documents"),
        (
            "item",
            NoContent({"a": 1}),
            "item returned a body for 204, which documents none",
        ),
    ],
)
def test_a_reply_the_spec_does_not_document_is_a_logged_500(
    name: str, reply: Any, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = answer(name, reply)
    assert response.status_code == 500
    assert response.json() == {
        "type": "server_error",
        "code": "error",
        "detail": "A server error occurred.",
        "attr": None,
    }
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.getMessage() == f"unhandled error in GET /r ({name})"
    assert record.exc_info is not None
    assert message in str(record.exc_info[1])


def test_a_body_not_of_the_documented_type_is_a_500() -> None:
    assert answer("item", Ok({"size": 3})).status_code == 500


def test_an_unimplemented_operation_is_501() -> None:
    reply = serve([route("GET", "/n", Api.fails, operation_id="op_x")]).get("/n")
    assert reply.status_code == 501
    assert reply.json() == {
        "type": "server_error",
        "code": "not_implemented",
        "detail": "op_x is not implemented by this server.",
        "attr": None,
    }


# --- CSV ----------------------------------------------------------------------------

ROWS = {
    "count": 2,
    "results": [
        {"id": 1, "name": "a", "tags": ["x", "y"], "props": {"k": {"d": 1}}},
        {"id": 2, "name": None, "extra": 'e,"q"'},
    ],
}
CSV = "id,name,tags.0,tags.1,props.k.d,extra\r\n" "1,a,x,y,1,\r\n" '2,,,,,"e,""q"""\r\n'


@pytest.mark.parametrize(
    "request_args",
    [
        {"params": {"format": "csv"}},
        {"headers": {"Accept": "text/csv"}},
        {"headers": {"Accept": "text/csv;q=0.9, */*"}},
    ],
)
def test_csv_is_answered_when_asked_for(request_args: dict[str, Any]) -> None:
    reply = answer("rows", Ok(ROWS), **request_args)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.text == CSV


@pytest.mark.parametrize(
    "request_args",
    [
        {},
        {"params": {"format": "json"}},
        {"headers": {"Accept": "text/csv, application/json"}},
        {"headers": {"Accept": "application/json"}},
    ],
)
def test_json_is_answered_otherwise(request_args: dict[str, Any]) -> None:
    reply = answer("rows", Ok(ROWS), **request_args)
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == ROWS


def test_an_error_is_never_csv() -> None:
    reply = answer("rows", NotFound({"detail": "no"}), params={"format": "csv"})
    assert reply.status_code == 404
    assert reply.json() == {"detail": "no"}


def test_csv_only_where_the_operation_offers_it() -> None:
    REPLIES["rows"] = Ok(ROWS)
    http = serve([route("GET", "/r", Api.rows)])
    assert http.get("/r?format=csv").json() == ROWS


class Listing(BaseModel):
    results: list[Item]


class Listings:
    async def listing(self, ctx: Context, params: NoParams) -> Ok[Listing]:
        return Ok(
            Listing(
                results=[
                    Item.model_validate({"name": "a", "item-kind": "k"}),
                    Item.model_validate({"name": "b", "size": 2}),
                ]
            )
        )


def test_csv_columns_are_wire_names_of_the_fields_set() -> None:
    app = build_app(
        Listings(),
        [route("GET", "/l", Listings.listing, csv=True)],
        (),
        authenticate=lambda scheme, credential: None,
        title="t",
        version="1",
        spec_json="{}",
    )
    reply = Http(app).get("/l?format=csv")
    assert reply.text == "name,item-kind,size\r\na,k,\r\nb,,2\r\n"


def test_csv_rows_are_a_list_body_or_its_results() -> None:
    assert render_csv([{"a": 1}, {"b": [True]}]) == "a,b.0\r\n1,\r\n,True\r\n"
    assert render_csv({"results": [{"a": {"b": None}}]}) == 'a.b\r\n""\r\n'
    assert render_csv([[1, 2]]) == "0,1\r\n1,2\r\n"
    nothings: list[Any] = [{"count": 0}, "text", None, [], {"results": []}]
    for nothing in nothings:
        assert render_csv(nothing) == ""


# --- errors the runtime answers ---------------------------------------------------


def errors_of(tp: Any, data: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(tp).validate_python(data)
    return caught.value


class Color(enum.Enum):
    RED = "red"


class Body(BaseModel):
    id: int | str
    name: str = Field(min_length=2, max_length=3)
    level: int = Field(0, ge=1, le=5)
    kind: Literal["a", "b"] = "a"
    items: list[int] = []
    tags: list[str] = Field([], min_length=1, max_length=2)
    ratio: float = Field(0.5, gt=0, lt=1)
    color: Color = Color.RED

    model_config = {"extra": "forbid"}


@pytest.mark.parametrize(
    ("data", "code", "attr"),
    [
        ({"name": "ab"}, "required", "id"),
        ({"id": 1, "name": "a"}, "min_length", "name"),
        ({"id": 1, "name": "abcd"}, "max_length", "name"),
        ({"id": 1, "name": "ab", "level": 0}, "min_value", "level"),
        ({"id": 1, "name": "ab", "level": 6}, "max_value", "level"),
        ({"id": 1, "name": "ab", "kind": "c"}, "invalid_choice", "kind"),
        ({"id": 1, "name": "ab", "more": 1}, "unexpected_field", "more"),
        ({"id": 1, "name": "ab", "items": [1, "x"]}, "invalid_input", "items__1"),
        ({"id": [], "name": "ab"}, "invalid_input", "id"),
        ({"id": 1, "name": "ab", "tags": []}, "min_length", "tags"),
        ({"id": 1, "name": "ab", "tags": ["a", "b", "c"]}, "max_length", "tags"),
        ({"id": 1, "name": "ab", "ratio": 0}, "min_value", "ratio"),
        ({"id": 1, "name": "ab", "ratio": 1}, "max_value", "ratio"),
        ({"id": 1, "name": "ab", "color": "blue"}, "invalid_choice", "color"),
    ],
)
def test_a_validation_error_is_a_400_naming_the_field_as_sent(
    data: dict[str, Any], code: str, attr: str
) -> None:
    problem = validation_problem(errors_of(Body, data), data=data)
    assert (problem.status, problem.type, problem.code) == (
        400,
        "validation_error",
        code,
    )
    assert problem.attr == attr
    assert problem.detail.startswith(f"{attr}: ")
    assert problem.headers == {}


def test_a_validation_error_is_located_under_its_prefix() -> None:
    error = errors_of(Body, {"id": 1, "name": "a"})
    problem = validation_problem(error, ("body",), data={"id": 1, "name": "a"})
    assert problem.attr == "body__name"
    assert problem.detail == "body__name: String should have at least 2 characters"


def test_an_error_of_the_whole_value_has_no_attr() -> None:
    problem = validation_problem(errors_of(int, "x"), data="x")
    assert problem.attr is None
    assert problem.detail == (
        "Input should be a valid integer, unable to parse string as an integer"
    )
    bare = validation_problem(errors_of(list[int], ["x"]))
    assert bare.attr == "0"


@pytest.mark.parametrize(
    ("seconds", "wait"), [(0, 1), (0.2, 1), (1, 1), (1.01, 2), (2.5, 3)]
)
def test_throttling_says_how_long_in_whole_seconds(seconds: float, wait: int) -> None:
    problem = throttled(seconds)
    assert (problem.status, problem.type, problem.code) == (
        429,
        "throttled_error",
        "throttled",
    )
    assert (
        problem.detail
        == f"Request was throttled. Expected available in {wait} seconds."
    )
    assert problem.headers == {"Retry-After": str(wait)}
    assert problem.attr is None


def test_a_rate_limited_request_is_429_before_its_parameters_are_read() -> None:
    seen: list[tuple[str, str]] = []

    def rate_limit(ctx: Context) -> float | None:
        seen.append((ctx.operation_id, ctx.handler))
        return 0.5 if "slow" in ctx.request.url.path else None

    http = serve(
        [
            route("GET", "/slow", Api.where, operation_id="slow_op", query=["id"]),
            route("GET", "/fast", Api.where, query=["id"]),
        ],
        rate_limit=rate_limit,
    )
    reply = http.get("/slow?id=&id=1")
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == "1"
    assert reply.json()["code"] == "throttled"
    assert http.get("/fast?id=1").status_code == 200
    assert seen == [("slow_op", "where"), ("where", "where")]


def test_the_error_shape_may_be_the_users_own() -> None:
    http = serve(
        [route("GET", "/n", Api.fails)],
        error_body=lambda p: {"error": [p.status, p.code]},
    )
    assert http.get("/n").json() == {"error": [501, "not_implemented"]}
    assert http.get("/nowhere").json() == {"error": [404, "not_found"]}


def test_a_problem_keeps_what_it_was_given() -> None:
    problem = Problem(409, "t", "c", "d", "a", {"X": "1"})
    assert (problem.status, problem.type, problem.code, problem.detail) == (
        409,
        "t",
        "c",
        "d",
    )
    assert (problem.attr, problem.headers, str(problem)) == ("a", {"X": "1"}, "d")


# --- routing -------------------------------------------------------------------------


def routing() -> Http:
    return serve(
        [
            route("GET", "/projects/{project_id}/files/{name}.{ext}", Api.where),
            route("GET", "/projects/{project_id}/files/{id}", Api.where),
            route(
                "GET",
                "/projects/{project_id}/files/latest",
                Api.where,
                operation_id="latest",
            ),
            route(
                "POST",
                "/projects/{project_id}/files/latest",
                Api.where,
                operation_id="latest",
            ),
            route(
                "GET",
                "/projects/{project_id}/items/",
                Api.where,
                ("project", "project_id"),
                operation_id="items",
            ),
        ]
    )


def test_parameters_are_read_from_the_path_as_sent() -> None:
    http = routing()
    reply = http.get("/projects/p%2F1/files/a%2Fb.tar.gz")
    assert reply.status_code == 200, reply.text
    assert reply.json()["params"] == {
        "project_id": "p/1",
        "name": "a/b",
        "ext": "tar.gz",
    }
    plain = http.get("/projects/7/files/readme")
    assert plain.json()["params"] == {"project_id": "7", "id": "readme"}


def test_a_concrete_path_wins_over_a_templated_one() -> None:
    http = routing()
    assert http.get("/projects/7/files/latest").json()["operation"] == "latest"
    refused = http.request("DELETE", "/projects/7/files/latest")
    assert refused.status_code == 405
    assert set(refused.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST"}
    assert refused.json() == {
        "type": "invalid_request",
        "code": "method_not_allowed",
        "detail": 'Method "DELETE" not allowed.',
        "attr": None,
    }


def test_an_unknown_path_is_404_in_the_error_shape() -> None:
    http = routing()
    for path in ("/projects/7/files", "/projects/7/files/a/b", "/other", "/"):
        reply = http.get(path)
        assert reply.status_code == 404, path
        assert reply.json() == {
            "type": "invalid_request",
            "code": "not_found",
            "detail": "Not found.",
            "attr": None,
        }


def test_a_url_scope_is_in_the_context_not_the_parameters() -> None:
    http = routing()
    for path in ("/projects/42/items/", "/projects/42/items"):
        reply = http.get(path)
        assert reply.status_code == 200, path
        assert reply.json()["scope"] == ["project", "project_id", "42"]
        assert reply.json()["operation"] == "items"
    assert http.head("/projects/42/items").status_code == 200
    assert http.get("/projects/7/files/x").json()["scope"] is None


def test_a_scope_holds_its_name_parameter_and_id() -> None:
    scope = Scope("project", "project_id", "42")
    assert (scope.name, scope.param, scope.id) == ("project", "project_id", "42")


def test_behind_a_root_path_the_route_path_is_matched() -> None:
    app = routing().app

    async def call(path: str, raw: bytes) -> tuple[int, bytes]:
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": raw,
            "root_path": "/api",
            "query_string": b"",
            "headers": [],
            "server": ("testserver", 80),
            "client": ("c", 1),
        }
        await app(scope, receive, send)  # type: ignore[operator]
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    import asyncio
    import json

    status, body = asyncio.run(
        call("/api/projects/7/files/a/b.c", b"/api/projects/7/files/a%2Fb.c")
    )
    assert status == 200
    assert json.loads(body)["params"] == {"project_id": "7", "name": "a/b", "ext": "c"}


# --- statuses the runtime may answer ---------------------------------------------------


class Plain(ParamsModel):
    name: str | None = None


class Checked(ParamsModel):
    count: int | None = None


class InPath(ParamsModel):
    id: str = Field(alias="id")


class Mandatory(ParamsModel):
    q: str


class Unaliased(ParamsModel):
    id: str


class Constrained(ParamsModel):
    name: str | None = Field(None, min_length=1)


def statuses_of(model: type[ParamsModel], **route_args: Any) -> set[int]:
    path = route_args.pop("path", "/s")
    defaults: dict[str, Any] = {"body": None, "security": ()}
    defaults.update(route_args)
    rt = Route("op", "GET", path, "op", model, **defaults)
    return server_statuses(rt)


def test_the_statuses_the_runtime_may_answer() -> None:
    from persons_server._runtime import ParamSpec

    assert statuses_of(Plain) == set()
    assert statuses_of(Checked) == {400}
    assert statuses_of(Mandatory) == {400}
    assert statuses_of(InPath, params=(ParamSpec("id", "path"),)) == set()
    assert statuses_of(Unaliased, params=(ParamSpec("id", "path"),)) == set()
    assert statuses_of(Unaliased) == {400}
    assert statuses_of(Constrained) == {400}
    assert statuses_of(Plain, params=(ParamSpec("name", "query", json=True),)) == {400}
    assert statuses_of(Plain, body="json") == {400, 415}
    assert statuses_of(Plain, body="form") == {400, 415}
    assert statuses_of(Plain, body="multipart") == {400, 415}
    assert statuses_of(Plain, body="text") == {400}
    assert statuses_of(Plain, security=((("K", ()),),)) == {401}
    assert statuses_of(Plain, security=((("K", ("read",)),),)) == {401, 403}
    assert statuses_of(Plain, security=((("K", ("read",)),), ())) == set()
    rt = Route("op", "GET", "/s", "op", Plain)
    assert server_statuses(rt, rate_limited=True) == {429}


# --- integer literals in parameters ---------------------------------------------


class Node(BaseModel):
    v: Literal[1] | None = None
    child: Node | None = None


class Literals(ParamsModel):
    one: Literal[1, 2] | None = None
    many: list[Literal[1, 2]] | None = None
    by_key: dict[str, Literal[3]] | None = None
    mixed: Literal[1, "a"] | None = None
    texty: Literal[1] | str | None = None
    either: Literal[1] | Literal[2, 3] | None = None
    flag: Literal[True] | None = None
    aliased: Literal[5] | None = Field(None, alias="Aliased-Name")
    described: Annotated[Literal[6, 7], Field(description="d")] | None = None
    node: Node | None = None
    text_or_int: Literal["1"] | Literal[1, 2] | None = None
    int_or_list: Literal[1, 2] | list[float] | None = None


class Point(BaseModel):
    x: Literal[0, 1]
    label: str = ""


class WithObject(ParamsModel):
    point: Point | None = None


def test_digits_are_read_as_the_integer_literals_a_field_allows() -> None:
    got = Literals.model_validate(
        {"one": "2", "many": ["1", "2"], "by_key": {"a": "3"}, "Aliased-Name": "5"}
    )
    assert (got.one, got.many, got.by_key, got.aliased) == (2, [1, 2], {"a": 3}, 5)
    assert Literals.model_validate({"aliased": "5"}).aliased == 5
    assert Literals.model_validate({"described": "7"}).described == 7
    assert Literals.model_validate({"one": 1, "many": [2]}).many == [2]
    # A recursive model: its own fields are read, and the reading stops.
    node = Literals.model_validate({"node": {"v": "1", "child": {}}}).node
    assert node == Node(v=1, child=Node())
    assert WithObject.model_validate({"point": {"x": "1", "label": "7"}}).point == (
        Point(x=1, label="7")
    )


@pytest.mark.parametrize(
    "data",
    [
        {"one": "3"},
        {"one": "1.0"},
        {"one": " 1"},
        {"many": ["1", "4"]},
        {"flag": "1"},
    ],
)
def test_other_text_is_refused_as_before(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Literals.model_validate(data)


def test_text_a_field_also_allows_as_text_is_kept() -> None:
    # A model of its own: the runtime works out a model's converters once, and
    # this test is about how (another test may have used Literals before).
    class Fresh(Literals):
        pass

    assert Fresh.model_validate({"mixed": "a"}).mixed == "a"
    assert Fresh.model_validate({"texty": "1"}).texty == "1"
    assert Fresh.model_validate({"text_or_int": "1"}).text_or_int == "1"
    assert Fresh.model_validate({"int_or_list": "2"}).int_or_list == 2
    assert set(_literal_converters(Fresh)) == {
        "one",
        "many",
        "by_key",
        "described",
        "node",
        "int_or_list",
        "aliased",
        "Aliased-Name",
    }


# --- splitting the path ------------------------------------------------------------


def test_a_root_path_that_is_not_a_prefix_is_ignored() -> None:
    from persons_server._runtime import _split_path

    scope: dict[str, Any] = {"path": "/apix/files/a", "root_path": "/api"}
    assert _split_path(scope) == ["", "apix", "files", "a"]
    scope = {"path": "/api", "root_path": "/api", "raw_path": b"/api"}
    assert _split_path(scope) == ["", "api"]


def test_a_path_the_root_path_leaves_nothing_of_is_no_route_path() -> None:
    from persons_server._runtime import _split_path

    assert _split_path({"path": "", "root_path": ""}) is None
    assert _split_path({"path": "files", "raw_path": b"files"}) is None


def test_a_raw_path_not_under_the_root_path_is_not_used() -> None:
    from persons_server._runtime import _split_path

    # A proxy that rewrote the path: the decoded one is the truth.
    scope = {
        "path": "/api/files/a%2Fb",
        "root_path": "/api",
        "raw_path": b"/v2/files/a%252Fb",
    }
    assert _split_path(scope) == ["", "files", "a%2Fb"]
    text = {"path": "/files/x", "root_path": "", "raw_path": "/files/y"}
    assert _split_path(text) == ["", "files", "x"]


def test_the_segments_are_computed_again_for_another_path() -> None:
    from persons_server._runtime import _path_segments

    scope: dict[str, Any] = {"path": "/a/b", "root_path": "", "raw_path": b"/a/b"}
    assert _path_segments(scope) == ["", "a", "b"]
    assert _path_segments(scope) == ["", "a", "b"]
    scope["path"], scope["raw_path"] = "/c", b"/c"
    assert _path_segments(scope) == ["", "c"]
    scope["root_path"] = "/c"
    assert _path_segments(scope) == ["", "c"]
    scope.update(path="/c/d", raw_path=b"/c/d%2Fe")
    assert _path_segments(scope) == ["", "d/e"]


def test_only_http_requests_are_routed() -> None:
    from persons_server._runtime import _RawPathRoute
    from starlette.routing import Match

    async def endpoint(request: Any) -> Any:
        return None

    served = _RawPathRoute("/files/{id}", endpoint, methods=["GET"])
    http = {"type": "http", "path": "/files/7", "method": "GET"}
    assert served.matches(http)[0] == Match.FULL
    assert served.matches(http)[1]["path_params"] == {"id": "7"}
    assert served.matches({**http, "method": "PUT"})[0] == Match.PARTIAL
    assert served.matches({**http, "type": "websocket"}) == (Match.NONE, {})
    assert served.matches({**http, "path": "/files/7/x"}) == (Match.NONE, {})
    assert served.matches({**http, "path": "/other/7"}) == (Match.NONE, {})
    kept = {**http, "path_params": {"project": "p"}}
    assert served.matches(kept)[1]["path_params"] == {"project": "p", "id": "7"}


def test_a_route_is_shadowed_only_by_a_more_literal_one_of_its_length() -> None:
    from persons_server._runtime import _RawPathRoute

    async def endpoint(request: Any) -> Any:
        return None

    def at(path: str) -> _RawPathRoute:
        return _RawPathRoute(path, endpoint, methods=["GET"])

    templated = at("/files/{id}")
    assert templated.shadowed_by(at("/files/latest"))
    assert not templated.shadowed_by(templated)
    assert not templated.shadowed_by(at("/files/{name}"))
    assert not templated.shadowed_by(at("/files/latest/x"))
    assert not templated.shadowed_by(at("/{kind}/latest"))
    assert not at("/files/latest").shadowed_by(templated)
    assert at("/{kind}/{id}").shadowed_by(at("/files/{id}"))


# --- what a route declares ------------------------------------------------------


class Area(BaseModel):
    width: int = Field(alias="Width-Px")
    depth: int | None = None


class Mixed(ParamsModel):
    id: int
    q: list[str] | None = None
    point: Point | None = None
    free: dict[str, str] | None = None
    header: str | None = Field(None, alias="X-H")
    c: list[int] | None = None
    j: dict[str, Any] | None = None
    s: set[str] | None = None
    t: tuple[int, ...] | None = None
    f: frozenset[str] | None = None
    area: Area | None = None


class Declares:
    async def mixed(
        self, ctx: Context, params: Mixed, body: Item | None
    ) -> Ok[Item] | NotFound[None]:
        raise NotImplementedError


def test_a_route_spells_out_only_what_departs_from_openapis_defaults() -> None:
    declared = route(
        "POST",
        "/{org}/items/{id}",
        Declares.mixed,
        ("org", "org"),
        headers=["X-H"],
        cookies=["c"],
        json_params=["j"],
        styles={"free": ("deepObject", True)},
        body_required=False,
        media={"Text/Plain": "text"},
        security=[{"K": ["a", "b"]}, {}],
    )
    assert (declared.operation_id, declared.handler) == ("mixed", "mixed")
    assert [
        (p.wire, p.location, p.style, p.explode, p.json, p.array, p.object, p.keys)
        for p in declared.params
    ] == [
        ("org", "path", "simple", False, False, False, False, None),
        ("id", "path", "simple", False, False, False, False, None),
        ("q", "query", "form", True, False, True, False, None),
        ("point", "query", "form", True, False, False, True, ("x", "label")),
        ("free", "query", "deepObject", True, False, False, True, None),
        ("j", "query", "form", True, True, False, True, None),
        ("s", "query", "form", True, False, True, False, None),
        ("t", "query", "form", True, False, True, False, None),
        ("f", "query", "form", True, False, True, False, None),
        ("area", "query", "form", True, False, False, True, ("Width-Px", "depth")),
        ("X-H", "header", "simple", False, False, False, False, None),
        ("c", "cookie", "form", True, False, True, False, None),
    ]
    assert (declared.body, declared.body_type, declared.body_required) == (
        "json",
        Item,
        False,
    )
    assert dict(declared.responses) == {"200": Item, "404": None}
    assert declared.security == ((("K", ("a", "b")),), ())
    assert declared.scope == ("org", "org")
    assert dict(declared.media) == {"text/plain": "text"}
    assert route("GET", "/x", Api.item, operation_id="other").operation_id == "other"
    without = route("GET", "/x", Api.item)
    assert (without.body, without.body_type, without.body_required) == (
        None,
        None,
        False,
    )
    assert route("POST", "/x", Declares.mixed).body_required


class Raises:
    async def teapot(self, ctx: Context, params: NoParams) -> Ok[None]:
        from starlette.exceptions import HTTPException

        raise HTTPException(418, "I'm a teapot")


def test_an_http_exception_is_answered_in_the_error_shape() -> None:
    app = build_app(
        Raises(),
        [route("GET", "/t", Raises.teapot)],
        (),
        authenticate=lambda scheme, credential: None,
        title="t",
        version="1",
        spec_json="{}",
    )
    reply = Http(app).get("/t")
    assert reply.status_code == 418
    assert reply.json() == {
        "type": "invalid_request",
        "code": "error",
        "detail": "I'm a teapot",
        "attr": None,
    }


def test_a_handler_lacking_methods_is_refused_at_start_up() -> None:
    with pytest.raises(TypeError) as caught:
        build_app(
            Raises(),
            [route("GET", "/t", Raises.teapot), route("GET", "/i", Api.item)]
            + [route("GET", "/w", Api.where), route("GET", "/x", Api.where)],
            (),
            authenticate=lambda scheme, credential: None,
            title="t",
            version="1",
            spec_json="{}",
        )
    assert str(caught.value) == (
        "Raises lacks 2 method(s) of the handler interface: item, where. Define"
        " each; one that raises NotImplementedError answers 501."
    )


def test_an_error_escaping_the_handlers_is_a_500_in_the_shape_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import asyncio

    import httpx
    from persons_server._runtime import error_body

    def fragile(problem: Problem) -> Any:
        if problem.code == "not_implemented":
            raise RuntimeError("the error body factory failed")
        return error_body(problem)

    app = build_app(
        Api(),
        [route("GET", "/n", Api.fails)],
        (),
        authenticate=lambda scheme, credential: None,
        title="t",
        version="1",
        spec_json="{}",
        error_body=fragile,
    )

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/n")

    caplog.set_level(logging.ERROR)
    reply = asyncio.run(get())
    assert reply.status_code == 500
    assert reply.json() == {
        "type": "server_error",
        "code": "error",
        "detail": "A server error occurred.",
        "attr": None,
    }
    mine = [r for r in caplog.records if r.name == "persons_server._runtime"]
    assert [r.getMessage() for r in mine] == ["unhandled error in GET /n"]
    assert mine[0].exc_info is not None
    assert str(mine[0].exc_info[1]) == "the error body factory failed"


def test_a_negative_body_limit_is_refused_saying_so() -> None:
    from persons_server._runtime import Limits

    with pytest.raises(ValueError, match="^max_body_bytes must not be negative$"):
        Limits(max_body_bytes=-1)
    assert Limits(max_body_bytes=0).max_body_bytes == 0
