"""What the server runtime promises about requests the persons spec never sends.

OpenAPI's parameter serialisations (every style, in every location), bodies
that are not JSON (forms, multipart, text, bytes, other media types), and
security requirements with alternatives, several schemes, scopes and
optional authentication. Routes are built here from handler methods of this
module, served by the runtime's `build_app`.
"""

from __future__ import annotations

from typing import Any

import pytest
from persons_server._runtime import (
    Context,
    Limits,
    ParamsModel,
    Route,
    SecurityScheme,
    build_app,
    route,
)
from persons_server.interface import Ok
from pydantic import BaseModel, Field

from tests.server.test_runtime import Http

# --- a small API: every method echoes what it was given ------------------------


class Point(BaseModel):
    x: int
    y: int | None = None


class ArrayParams(ParamsModel):
    ids: list[int] | None = None


class ObjectParams(ParamsModel):
    point: Point | None = None


class FreeParams(ParamsModel):
    limit: int | None = None
    extra: dict[str, str] | None = None
    deep: dict[str, str] | None = None


class JsonParams(ParamsModel):
    q: dict[str, Any] | None = None


class PathArray(ParamsModel):
    ids: list[str]


class PathObject(ParamsModel):
    point: dict[str, str]


class HeaderParams(ParamsModel):
    tags: list[str] | None = Field(None, alias="X-Tags")
    point: dict[str, str] | None = Field(None, alias="X-Point")
    spec: dict[str, Any] | None = Field(None, alias="X-Spec")


class CookieParams(ParamsModel):
    session: str | None = None
    ids: list[int] | None = None
    point: dict[str, str] | None = None


class Required(ParamsModel):
    id: str


class NoParams(ParamsModel):
    pass


class Form(BaseModel):
    name: str | list[str] | None = None
    tags: list[str] | None = None
    file: bytes | None = None


class Api:
    async def arrays(self, ctx: Context, params: ArrayParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def objects(self, ctx: Context, params: ObjectParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def free(self, ctx: Context, params: FreeParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def json(self, ctx: Context, params: JsonParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def path_array(self, ctx: Context, params: PathArray) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def path_object(self, ctx: Context, params: PathObject) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def headers(self, ctx: Context, params: HeaderParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def cookies(self, ctx: Context, params: CookieParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def required(self, ctx: Context, params: Required) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def form(
        self, ctx: Context, params: NoParams, body: Form
    ) -> Ok[dict[str, Any]]:
        data = body.model_dump()
        if body.file is not None:
            data["file"] = body.file.decode()
        return Ok(data)

    async def text(self, ctx: Context, params: NoParams, body: str) -> Ok[str]:
        return Ok(f"got {body!r}")

    async def binary(self, ctx: Context, params: NoParams, body: bytes) -> Ok[str]:
        return Ok(f"got {body!r}")

    async def document(
        self, ctx: Context, params: NoParams, body: dict[str, Any]
    ) -> Ok[dict[str, Any]]:
        return Ok({"body": body})

    async def who(self, ctx: Context, params: NoParams) -> Ok[dict[str, Any]]:
        principal = ctx.principal
        return Ok({"who": getattr(principal, "name", None)})


def serve(
    routes: list[Route],
    schemes: tuple[SecurityScheme, ...] = (),
    limits: Limits | None = None,
) -> Http:
    return Http(
        build_app(
            Api(),
            routes,
            schemes,
            authenticate=authenticate,
            title="t",
            version="1",
            spec_json="{}",
            limits=limits or Limits(),
        )
    )


# --- query parameters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "explode", "query", "ids"),
    [
        ("form", True, "?ids=1&ids=2", [1, 2]),
        ("form", True, "?ids=3", [3]),
        ("form", False, "?ids=1,2,3", [1, 2, 3]),
        ("form", False, "?ids=1,2&ids=3", [1, 2, 3]),
        ("spaceDelimited", False, "?ids=1%202", [1, 2]),
        ("pipeDelimited", False, "?ids=1|2", [1, 2]),
        ("pipeDelimited", False, "?ids=", []),
        ("form", False, "?other=1", None),
    ],
)
def test_a_query_array_is_read_in_its_style(
    style: str, explode: bool, query: str, ids: list[int] | None
) -> None:
    http = serve(
        [route("GET", "/a", Api.arrays, styles={"ids": (style, explode)}, security=[])]
    )
    reply = http.get("/a" + query)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"ids": ids}


def test_a_comma_is_not_a_separator_in_another_style() -> None:
    http = serve(
        [route("GET", "/a", Api.arrays, styles={"ids": ("pipeDelimited", False)})]
    )
    reply = http.get("/a?ids=1,2")
    assert reply.status_code == 400
    assert reply.json()["attr"] == "ids__0"


def test_an_exploded_query_object_takes_its_declared_properties() -> None:
    http = serve([route("GET", "/o", Api.objects)])
    reply = http.get("/o?x=1&y=2&z=3")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"point": {"x": 1, "y": 2}}
    assert http.get("/o?z=3").json() == {"point": None}


def test_a_query_object_not_exploded_is_keys_and_values_in_one() -> None:
    http = serve([route("GET", "/o", Api.objects, styles={"point": ("form", False)})])
    reply = http.get("/o?point=x,1,y,2")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"point": {"x": 1, "y": 2}}


@pytest.mark.parametrize(
    ("style", "sent"),
    [("spaceDelimited", "x%201%20y%202"), ("pipeDelimited", "x|1|y|2")],
)
def test_a_query_object_may_be_space_or_pipe_delimited(style: str, sent: str) -> None:
    http = serve([route("GET", "/o", Api.objects, styles={"point": (style, False)})])
    reply = http.get(f"/o?point={sent}")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"point": {"x": 1, "y": 2}}


def test_a_free_form_query_object_not_exploded_keeps_its_text() -> None:
    http = serve([route("GET", "/f", Api.free, styles={"extra": ("form", False)})])
    reply = http.get("/f?extra=a,%201,b")
    assert reply.status_code == 200, reply.text
    # A key without a value (an odd count) is no error of the server's.
    assert reply.json()["extra"] == {"a": " 1"}


def test_a_deep_object_is_read_from_its_bracketed_keys() -> None:
    http = serve([route("GET", "/f", Api.free, styles={"deep": ("deepObject", True)})])
    reply = http.get("/f?deep[a]=1&deep[b]=2&deep[c=3&deeper[d]=4&limit=5")
    assert reply.status_code == 200, reply.text
    # The free-form `extra` takes what no other parameter claims.
    assert reply.json() == {
        "limit": 5,
        "deep": {"a": "1", "b": "2"},
        "extra": {"deeper[d]": "4"},
    }
    assert http.get("/f?limit=1").json() == {"limit": 1, "deep": None, "extra": None}


def test_a_free_form_object_leaves_an_api_key_in_the_query_alone() -> None:
    key = SecurityScheme("Key", "api_key", "query", "api_key")
    http = serve([route("GET", "/f", Api.free, security=[{"Key": []}])], (key,))
    reply = http.get("/f?api_key=k-ann&a=1")
    assert reply.status_code == 200, reply.text
    assert reply.json()["extra"] == {"a": "1"}


def test_a_json_query_parameter_is_parsed_and_its_errors_located() -> None:
    http = serve([route("GET", "/j", Api.json, json_params=["q"])])
    reply = http.get("/j", params={"q": '{"a": [1, {"b": null}]}'})
    assert reply.json() == {"q": {"a": [1, {"b": None}]}}
    assert http.get("/j").json() == {"q": None}
    bad = http.get("/j", params={"q": "{nope"})
    assert bad.status_code == 400
    assert bad.json()["type"] == "invalid_request"
    assert bad.json()["code"] == "parse_error"
    assert bad.json()["attr"] == "q"
    assert bad.json()["detail"].startswith("JSON parse error - ")


def test_a_lone_surrogate_in_a_json_parameter_is_located() -> None:
    http = serve([route("GET", "/j", Api.json, json_params=["q"])])
    reply = http.get("/j", params={"q": '{"a": "\\ud800"}'})
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "invalid_request",
        "code": "parse_error",
        "detail": "JSON parse error - lone surrogate in string",
        "attr": "q",
    }


def test_json_parameters_nest_at_most_the_limit() -> None:
    http = serve(
        [route("GET", "/j", Api.json, json_params=["q"])],
        limits=Limits(max_json_depth=2),
    )
    assert http.get("/j", params={"q": '{"a": []}'}).status_code == 200
    deep = http.get("/j", params={"q": '{"a": [[]]}'})
    assert deep.status_code == 400
    assert deep.json()["detail"] == "JSON parse error - nested deeper than 2 levels"


# --- path, header and cookie parameters -----------------------------------------


def test_a_path_array_is_comma_separated_and_kept_as_sent() -> None:
    http = serve([route("GET", "/p/{ids}", Api.path_array)])
    reply = http.get("/p/a,%20b,c%2Cd")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"ids": ["a", " b", "c", "d"]}


def test_a_path_object_is_keys_and_values_or_pairs_when_exploded() -> None:
    plain = serve([route("GET", "/p/{point}", Api.path_object)])
    assert plain.get("/p/x,1,y,2").json() == {"point": {"x": "1", "y": "2"}}
    exploded = serve(
        [
            route(
                "GET", "/p/{point}", Api.path_object, styles={"point": ("simple", True)}
            )
        ]
    )
    assert exploded.get("/p/x=1,y=%202").json() == {"point": {"x": "1", "y": " 2"}}


def test_header_arrays_and_objects_are_comma_separated_and_trimmed() -> None:
    http = serve(
        [
            route(
                "GET",
                "/h",
                Api.headers,
                headers=["X-Tags", "X-Point", "X-Spec"],
                styles={"X-Point": ("simple", True)},
                json_params=["X-Spec"],
            )
        ]
    )
    reply = http.get(
        "/h",
        headers={"X-Tags": "a, b ,c", "X-Point": "x=1, y = 2", "X-Spec": '{"k": [1]}'},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "X-Tags": ["a", "b", "c"],
        "X-Point": {"x": "1", "y ": " 2"},
        "X-Spec": {"k": [1]},
    }
    assert http.get("/h").json() == {"X-Tags": None, "X-Point": None, "X-Spec": None}


def test_cookies_carry_scalars_arrays_and_objects() -> None:
    http = serve(
        [
            route(
                "GET",
                "/c",
                Api.cookies,
                cookies=["session", "ids", "point"],
                styles={"point": ("form", False)},
            )
        ]
    )
    reply = http.get(
        "/c", headers={"Cookie": "session=s1; ids=1, 2; point=x,1,y,2; other=o"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "session": "s1",
        "ids": [1, 2],
        "point": {"x": "1", "y": "2"},
    }
    assert http.get("/c", params={"session": "q"}).json()["session"] is None


def test_a_missing_required_parameter_is_a_400_naming_it() -> None:
    http = serve([route("GET", "/r", Api.required, query=["id"])])
    reply = http.get("/r")
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "validation_error",
        "code": "required",
        "detail": "id: Field required",
        "attr": "id",
    }
    assert http.get("/r?id=7").json() == {"id": "7"}


# --- bodies ---------------------------------------------------------------------


def test_a_form_body_repeats_a_field_as_a_list() -> None:
    http = serve([route("POST", "/form", Api.form, body="form")])
    reply = http.post(
        "/form",
        content=b"name=ann&tags=a&tags=b&tags=c",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"name": "ann", "tags": ["a", "b", "c"], "file": None}
    twice = http.post("/form", data={"name": ["a", "b"]})
    assert twice.json()["name"] == ["a", "b"]


def test_a_multipart_body_reads_files_as_bytes() -> None:
    http = serve([route("POST", "/upload", Api.form, body="multipart")])
    reply = http.post(
        "/upload",
        data={"name": "ann"},
        files={"file": ("a.txt", b"file text", "text/plain")},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"name": "ann", "tags": None, "file": "file text"}


@pytest.mark.parametrize(
    ("kind", "sent", "expected"),
    [
        ("form", "multipart/form-data; boundary=x", "multipart/form-data"),
        ("form", "application/json", "application/json"),
        (
            "multipart",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded",
        ),
        ("json", "text/plain; charset=utf-8", "text/plain"),
        ("json", "", "none"),
    ],
)
def test_a_body_of_another_media_type_is_415(
    kind: str, sent: str, expected: str
) -> None:
    handler = Api.document if kind == "json" else Api.form
    http = serve([route("POST", "/b", handler, body=kind)])
    reply = http.post("/b", content=b"a=1", headers={"Content-Type": sent})
    assert reply.status_code == 415
    assert reply.json() == {
        "type": "invalid_request",
        "code": "unsupported_media_type",
        "detail": f'Unsupported media type "{expected}" in request.',
        "attr": None,
    }


@pytest.mark.parametrize(
    "media",
    [
        "application/json",
        "Application/JSON; charset=utf-8",
        "application/merge-patch+json",
    ],
)
def test_json_is_any_json_media_type(media: str) -> None:
    http = serve([route("POST", "/d", Api.document)])
    reply = http.post("/d", content=b'{"a": 1}', headers={"Content-Type": media})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"body": {"a": 1}}


def test_each_media_type_a_body_may_come_as_is_read_as_its_kind() -> None:
    http = serve(
        [
            route(
                "POST",
                "/d",
                Api.document,
                media={"Application/X-WWW-Form-Urlencoded": "form"},
            )
        ]
    )
    as_form = http.post("/d", data={"a": "1"})
    assert as_form.status_code == 200, as_form.text
    assert as_form.json() == {"body": {"a": "1"}}
    as_json = http.post("/d", json={"a": 1})
    assert as_json.json() == {"body": {"a": 1}}


def test_a_text_body_is_text_even_when_not_utf8() -> None:
    http = serve([route("POST", "/t", Api.text, body="text")])
    reply = http.post("/t", content="é".encode() + b"\xff")
    assert reply.status_code == 200, reply.text
    assert reply.text == "got 'é\ufffd'"
    assert reply.headers["content-type"].startswith("text/plain")


def test_a_binary_body_is_the_bytes_sent() -> None:
    http = serve([route("POST", "/bin", Api.binary, body="binary")])
    reply = http.post(
        "/bin", content=b"\x00\xff", headers={"Content-Type": "image/png"}
    )
    assert reply.status_code == 200, reply.text
    assert reply.text == "got b'\\x00\\xff'"


def test_a_required_body_must_be_sent() -> None:
    http = serve([route("POST", "/d", Api.document)])
    reply = http.post("/d", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json() == {
        "type": "validation_error",
        "code": "required",
        "detail": "A request body is required.",
        "attr": None,
    }


def test_a_body_over_the_limit_is_413_in_the_error_shape() -> None:
    http = serve([route("POST", "/t", Api.text, body="text")], limits=Limits(10))
    assert http.post("/t", content=b"x" * 10).status_code == 200
    reply = http.post("/t", content=b"x" * 11)
    assert reply.status_code == 413
    assert reply.json() == {
        "type": "invalid_request",
        "code": "request_too_large",
        "detail": "The request body is larger than the 10 bytes this server accepts.",
        "attr": None,
    }


# --- authentication -----------------------------------------------------------


class Who:
    def __init__(self, name: str, scopes: set[str]) -> None:
        self.name = name
        self.scopes = scopes

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


PEOPLE = {
    "t-ann": Who("ann", {"read"}),
    "t-bob": Who("bob", {"read", "write"}),
    "k-ann": Who("ann-key", {"read"}),
    "k-bob": Who("bob-key", {"read", "write"}),
    "YWxpY2U6b3Blbg==": Who("alice", set()),
}


def authenticate(scheme: str, credential: str) -> Who | None:
    who = PEOPLE.get(credential)
    if who is None or not credential.startswith(
        {"Token": "t-", "Basic": "Y"}.get(scheme, "k-")
    ):
        return None
    return who


TOKEN = SecurityScheme("Token", "bearer", "header", "Authorization")
BASIC = SecurityScheme("Basic", "basic", "header", "Authorization")
HEADER_KEY = SecurityScheme("Key", "api_key", "header", "X-Key")
QUERY_KEY = SecurityScheme("QKey", "api_key", "query", "key")
COOKIE_KEY = SecurityScheme("CKey", "api_key", "cookie", "sid")
SCHEMES = (TOKEN, BASIC, HEADER_KEY, QUERY_KEY, COOKIE_KEY)


def guarded(*security: dict[str, list[str]]) -> Http:
    return serve([route("GET", "/w", Api.who, security=security)], SCHEMES)


def who(reply: Any) -> Any:
    assert reply.status_code == 200, reply.text
    return reply.json()["who"]


@pytest.mark.parametrize(
    ("scheme", "request_args", "name"),
    [
        ("Token", {"headers": {"Authorization": "Bearer t-ann"}}, "ann"),
        ("Token", {"headers": {"Authorization": "bearer   t-ann  "}}, "ann"),
        ("Basic", {"headers": {"Authorization": "Basic YWxpY2U6b3Blbg=="}}, "alice"),
        ("Key", {"headers": {"X-Key": "k-ann"}}, "ann-key"),
        ("QKey", {"params": {"key": "k-ann"}}, "ann-key"),
        ("CKey", {"headers": {"Cookie": "sid=k-ann"}}, "ann-key"),
    ],
)
def test_each_scheme_reads_its_credential_where_it_is_sent(
    scheme: str, request_args: dict[str, Any], name: str
) -> None:
    assert who(guarded({scheme: []}).get("/w", **request_args)) == name


@pytest.mark.parametrize(
    ("scheme", "request_args", "challenge"),
    [
        ("Token", {}, "Bearer"),
        ("Token", {"headers": {"Authorization": "Bearer "}}, "Bearer"),
        ("Token", {"headers": {"Authorization": "Basic t-ann"}}, "Bearer"),
        ("Token", {"headers": {"Authorization": "t-ann"}}, "Bearer"),
        ("Basic", {"headers": {"Authorization": "Bearer YWxpY2U6b3Blbg=="}}, "Basic"),
        ("Key", {"headers": {"X-Key": ""}}, None),
        ("Key", {"params": {"X-Key": "k-ann"}}, None),
        ("QKey", {"params": {"key": ""}}, None),
        ("QKey", {"headers": {"key": "k-ann"}}, None),
        ("CKey", {"params": {"sid": "k-ann"}}, None),
        ("CKey", {"headers": {"Cookie": "sid="}}, None),
    ],
)
def test_a_request_without_the_credential_is_401_not_authenticated(
    scheme: str, request_args: dict[str, Any], challenge: str | None
) -> None:
    reply = guarded({scheme: []}).get("/w", **request_args)
    assert reply.status_code == 401
    assert reply.json() == {
        "type": "authentication_error",
        "code": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "attr": None,
    }
    assert reply.headers.get("WWW-Authenticate") == challenge


@pytest.mark.parametrize(
    ("scheme", "headers", "challenge"),
    [
        ("Token", {"Authorization": "Bearer wrong"}, "Bearer"),
        ("Basic", {"Authorization": "Basic d3Jvbmc="}, "Basic"),
        ("Key", {"X-Key": "t-ann"}, None),
    ],
)
def test_a_refused_credential_is_401_authentication_failed(
    scheme: str, headers: dict[str, str], challenge: str | None
) -> None:
    reply = guarded({scheme: []}).get("/w", headers=headers)
    assert reply.status_code == 401
    assert reply.json() == {
        "type": "authentication_error",
        "code": "authentication_failed",
        "detail": "The API key is invalid.",
        "attr": None,
    }
    assert reply.headers.get("WWW-Authenticate") == challenge


def test_a_missing_scope_is_403_naming_the_first_missing() -> None:
    http = guarded({"Token": ["read", "write", "admin"]})
    reply = http.get("/w", headers={"Authorization": "Bearer t-ann"})
    assert reply.status_code == 403
    assert reply.json() == {
        "type": "authentication_error",
        "code": "permission_denied",
        "detail": "API key missing required scope 'write'",
        "attr": None,
    }
    assert "WWW-Authenticate" not in reply.headers
    bob = http.get("/w", headers={"Authorization": "Bearer t-bob"})
    assert bob.json()["detail"] == "API key missing required scope 'admin'"
    assert (
        who(
            guarded({"Token": ["read", "write"]}).get(
                "/w", headers={"Authorization": "Bearer t-bob"}
            )
        )
        == "bob"
    )


def test_any_requirement_of_the_list_may_pass() -> None:
    http = guarded({"Token": ["write"]}, {"Key": []})
    # The first requirement's credential is not there, the second's is.
    assert who(http.get("/w", headers={"X-Key": "k-ann"})) == "ann-key"
    # The first's lacks a scope, the second's passes.
    both = {"Authorization": "Bearer t-ann", "X-Key": "k-ann"}
    assert who(http.get("/w", headers=both)) == "ann-key"
    assert who(http.get("/w", headers={"Authorization": "Bearer t-bob"})) == "bob"


def test_a_refusal_says_what_went_furthest() -> None:
    http = guarded({"Token": ["write"]}, {"Key": []})
    # A credential lacking a scope says so, whatever the other requirement lacks.
    short = http.get("/w", headers={"Authorization": "Bearer t-ann"})
    assert short.status_code == 403
    assert short.json()["code"] == "permission_denied"
    # A refused credential says so rather than that none was sent.
    wrong = http.get("/w", headers={"X-Key": "nobody"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "authentication_failed")
    # None at all: challenged for the first requirement's scheme.
    none = http.get("/w")
    assert (none.status_code, none.json()["code"]) == (401, "not_authenticated")
    assert none.headers["WWW-Authenticate"] == "Bearer"
    # The same, whatever the order of the requirements.
    turned = guarded({"Key": []}, {"Token": ["write"]})
    both = {"Authorization": "Bearer t-ann", "X-Key": "nobody"}
    assert turned.get("/w", headers=both).status_code == 403
    wrong_token = turned.get("/w", headers={"Authorization": "Bearer nobody"})
    assert wrong_token.json()["code"] == "authentication_failed"
    assert wrong_token.headers["WWW-Authenticate"] == "Bearer"
    assert "WWW-Authenticate" not in turned.get("/w").headers


def test_within_a_requirement_every_scheme_must_pass() -> None:
    http = guarded({"Token": [], "Key": ["write"]})
    assert (
        who(http.get("/w", headers={"Authorization": "Bearer t-ann", "X-Key": "k-bob"}))
        == "bob-key"
    )
    only_token = http.get("/w", headers={"Authorization": "Bearer t-ann"})
    assert (only_token.status_code, only_token.json()["code"]) == (
        401,
        "not_authenticated",
    )
    weak_key = http.get(
        "/w", headers={"Authorization": "Bearer t-ann", "X-Key": "k-ann"}
    )
    assert weak_key.status_code == 403
    bad_token = http.get(
        "/w", headers={"Authorization": "Bearer nobody", "X-Key": "k-bob"}
    )
    assert bad_token.json()["code"] == "authentication_failed"


@pytest.mark.parametrize("order", ["first", "last"])
def test_an_empty_requirement_makes_authentication_optional(order: str) -> None:
    optional: tuple[dict[str, list[str]], ...] = ({"Token": []}, {})
    http = guarded(*(optional if order == "last" else optional[::-1]))
    assert who(http.get("/w")) is None
    assert who(http.get("/w", headers={"Authorization": "Bearer t-ann"})) == "ann"


def test_without_requirements_no_credential_is_read() -> None:
    calls: list[str] = []

    def counting(scheme: str, credential: str) -> Who | None:
        calls.append(credential)
        return None

    app = build_app(
        Api(),
        [route("GET", "/w", Api.who)],
        SCHEMES,
        authenticate=counting,
        title="t",
        version="1",
        spec_json="{}",
    )
    reply = Http(app).get("/w", headers={"Authorization": "Bearer t-ann"})
    assert who(reply) is None and calls == []


async def slow_authenticate(scheme: str, credential: str) -> Who | None:
    return authenticate(scheme, credential)


def test_authenticate_may_be_async() -> None:
    app = build_app(
        Api(),
        [route("GET", "/w", Api.who, security=[{"Token": ["read"]}])],
        SCHEMES,
        authenticate=slow_authenticate,
        title="t",
        version="1",
        spec_json="{}",
    )
    http = Http(app)
    assert who(http.get("/w", headers={"Authorization": "Bearer t-ann"})) == "ann"
    assert http.get("/w", headers={"Authorization": "Bearer x"}).status_code == 401


class Order(BaseModel):
    items: list[int]
    note: str | None = None


class Orders:
    async def order(
        self, ctx: Context, params: NoParams, body: Order
    ) -> Ok[dict[str, Any]]:
        return Ok(body.model_dump())


def test_a_body_that_fails_validation_names_the_field_as_sent() -> None:
    http = Http(
        build_app(
            Orders(),
            [route("POST", "/o", Orders.order)],
            (),
            authenticate=authenticate,
            title="t",
            version="1",
            spec_json="{}",
        )
    )
    assert http.post("/o", json={"items": [1]}).json() == {"items": [1], "note": None}
    reply = http.post("/o", json={"items": [1, "x"]})
    assert reply.status_code == 400
    assert reply.json()["attr"] == "items__1"
    assert reply.json()["code"] == "invalid_input"
    assert http.post("/o", json={}).json()["code"] == "required"


@pytest.mark.parametrize(
    ("sent", "detail"),
    [
        (b'{"a": "\\ud800"}', "JSON parse error - lone surrogate in string"),
        (b"[" * 65 + b"]" * 65, "JSON parse error - nested deeper than 64 levels"),
        (b"{", "JSON parse error - Expecting property name enclosed in double quotes"),
    ],
)
def test_a_body_no_reply_could_carry_is_a_parse_error(sent: bytes, detail: str) -> None:
    http = serve([route("POST", "/d", Api.document)])
    reply = http.post("/d", content=sent, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json()["type"] == "invalid_request"
    assert reply.json()["code"] == "parse_error"
    assert reply.json()["detail"].startswith(detail)
    assert reply.json()["attr"] is None


@pytest.mark.parametrize(
    ("length", "status"), [("100", 413), ("0010", 200), ("11", 413), (" 10 ", 200)]
)
def test_a_declared_length_is_read_as_a_number(length: str, status: int) -> None:
    http = serve([route("POST", "/t", Api.text, body="text")], limits=Limits(10))
    reply = http.post("/t", content=b"x", headers={"Content-Length": length})
    assert reply.status_code == status, reply.text
